#include "twiml_redirect/util/log_writer.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

namespace twiml_redirect::util {
namespace {

// Writes all of `bytes` to `fd`, retrying after signals and short writes. Gives up on other errors
// (EPIPE when the reader is gone): there is nowhere left to report that the log cannot be written.
void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return;
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
}

// Spare buffers kept for reuse: one per server thread is enough; more would only hold memory.
constexpr std::size_t kMaxSpareBuffers = 64;

}  // namespace

log_writer::log_writer(std::size_t max_queued_bytes)
    : max_queued_bytes_(max_queued_bytes), thread_([this] { run(); }) {}

log_writer::~log_writer() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void log_writer::write(int fd, std::string& lines) {
  if (lines.empty()) return;
  std::string replacement;
  bool wake = false;
  {
    const std::lock_guard lock(mutex_);
    queued_bytes_ += lines.size();
    queue_.push_back({fd, std::move(lines)});
    // Drop the oldest batches, never the one just queued, until the queue fits its bound again.
    while (queued_bytes_ > max_queued_bytes_ && queue_.size() > 1) {
      const std::string& oldest = queue_.front().lines;
      lines_dropped_ += static_cast<std::uint64_t>(std::count(oldest.begin(), oldest.end(), '\n'));
      queued_bytes_ -= oldest.size();
      queue_.pop_front();
    }
    if (!spare_.empty()) {
      replacement = std::move(spare_.back());
      spare_.pop_back();
    }
    // A thread that is gathering wakes by itself; only an idle one, or a full gathering, needs a call.
    wake = idle_ || queued_bytes_ >= kGatherBytes;
  }
  if (wake) wake_.notify_one();
  lines = std::move(replacement);
  lines.clear();
}

bool log_writer::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  flush_now_ = true;
  wake_.notify_one();
  return written_.wait_for(lock, timeout, [this] { return queue_.empty() && !writing_; });
}

std::uint64_t log_writer::lines_dropped() const {
  const std::lock_guard lock(mutex_);
  return lines_dropped_;
}

void log_writer::run() {
  std::string out;  // the bytes of one write(2), reused
  std::unique_lock lock(mutex_);
  for (;;) {
    idle_ = true;
    wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    idle_ = false;
    if (queue_.empty()) return;  // stopping, and everything is written
    const auto gathered = [this] { return stop_ || flush_now_ || queued_bytes_ >= kGatherBytes; };
    if (!gathered()) wake_.wait_for(lock, kGatherTime, gathered);
    // Consecutive batches for the same descriptor, in order, up to kMaxWriteBytes (at least one).
    const int fd = queue_.front().fd;
    out.clear();
    while (!queue_.empty() && queue_.front().fd == fd &&
           (out.empty() || out.size() + queue_.front().lines.size() <= kMaxWriteBytes)) {
      out += queue_.front().lines;
      if (spare_.size() < kMaxSpareBuffers) spare_.push_back(std::move(queue_.front().lines));
      queue_.pop_front();
    }
    if (queue_.empty()) flush_now_ = false;
    writing_ = true;
    lock.unlock();
    write_all(fd, out);
    lock.lock();
    // Counted against the bound until written, so the memory held stays within it.
    queued_bytes_ -= out.size();
    writing_ = false;
    if (queue_.empty()) written_.notify_all();
  }
}

log_writer& shared_log_writer() {
  // Never destroyed: at exit its thread may be stuck in write(2) to a reader that stopped, and
  // joining it would hang the exit. main drains it, with a deadline, before returning.
  static log_writer* const writer = new log_writer();
  return *writer;
}

}  // namespace twiml_redirect::util
