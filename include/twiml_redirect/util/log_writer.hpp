#pragma once
// Writes log bytes from a thread of its own, so that a log reader that stops reading (a full pipe,
// a paused log shipper, a terminal scrolled back) never blocks a server thread: server threads hand
// over whole batches of lines and go on. The queue is bounded in bytes; past the bound the oldest
// batches are dropped, and their lines counted, rather than memory growing without limit.
//
// The thread lets lines gather for a few milliseconds after the first one arrives and writes them
// with one write(2): handing over a line costs a server thread no wake-up of another thread and no
// system call of its own, which matters for lines logged per request (a /call_context lookup's).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace twiml_redirect::util {

class log_writer {
 public:
  static constexpr std::size_t kDefaultMaxQueuedBytes = 4 * 1024 * 1024;
  // How long lines may wait for company, and how many bytes end the wait early.
  static constexpr std::chrono::milliseconds kGatherTime{5};
  static constexpr std::size_t kGatherBytes = 32 * 1024;
  // At most this much in one write(2) (more when a single batch is larger).
  static constexpr std::size_t kMaxWriteBytes = 64 * 1024;

  explicit log_writer(std::size_t max_queued_bytes = kDefaultMaxQueuedBytes);
  // Writes what is queued, then stops the thread (so it waits for a reader that stopped reading:
  // the shared writer is never destroyed for that reason).
  ~log_writer();
  log_writer(const log_writer&) = delete;
  log_writer& operator=(const log_writer&) = delete;

  // Queues `lines` (whole lines, each ending in '\n') for one write(2) to `fd`, which must stay
  // open until the writer is done with it. Takes the bytes and leaves `lines` empty, with the
  // capacity of an earlier batch, so a caller that refills it does not allocate. Thread-safe.
  void write(int fd, std::string& lines);

  // Writes everything queued now, without the gathering pause, and waits until it is written or
  // `timeout` passes; true if written.
  bool drain(std::chrono::milliseconds timeout);

  // Lines dropped because the queue was full (the reader fell behind by more than the bound).
  std::uint64_t lines_dropped() const;

 private:
  struct batch {
    int fd;
    std::string lines;
  };
  void run();

  const std::size_t max_queued_bytes_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;     // a batch was queued, or stop
  std::condition_variable written_;  // the queue emptied
  std::deque<batch> queue_;
  std::vector<std::string> spare_;  // written batches' buffers, handed back to callers
  std::size_t queued_bytes_ = 0;  // queued, and taken for the write under way
  bool idle_ = false;             // the thread waits for a first batch: the next one wakes it
  bool flush_now_ = false;        // drain() asked: no gathering pause
  bool writing_ = false;
  bool stop_ = false;
  std::uint64_t lines_dropped_ = 0;
  std::thread thread_;
};

// The process's one writer for access lines, started on first use and never destroyed.
log_writer& shared_log_writer();

}  // namespace twiml_redirect::util
