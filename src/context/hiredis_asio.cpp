#include "hiredis_asio.hpp"

#include <hiredis/async.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <memory>

namespace twiml_redirect::context {
namespace {

namespace asio = boost::asio;

// One per connection. A wait's handler holds it (shared), so it outlives hiredis freeing the
// context mid-handler; `freed` tells the handler not to touch the context again.
class watcher : public std::enable_shared_from_this<watcher> {
 public:
  watcher(redisAsyncContext* ac, asio::io_context& io_context) : ac_(ac), socket_(io_context) {
    socket_.assign(ac->c.fd);
  }

  void want_read(bool on) {
    reading_ = on;
    if (on) arm(read_armed_, asio::posix::stream_descriptor::wait_read);
  }
  void want_write(bool on) {
    writing_ = on;
    if (on) arm(write_armed_, asio::posix::stream_descriptor::wait_write);
  }

  // hiredis is freeing the context and will close the descriptor: let go of it without closing.
  void cleanup() {
    freed_ = true;
    boost::system::error_code ignored;
    socket_.cancel(ignored);
    socket_.release();
  }

 private:
  void arm(bool& armed, asio::posix::stream_descriptor::wait_type type) {
    if (armed || freed_) return;
    armed = true;
    socket_.async_wait(type, [self = shared_from_this(), type](const boost::system::error_code& ec) {
      const bool read = type == asio::posix::stream_descriptor::wait_read;
      (read ? self->read_armed_ : self->write_armed_) = false;
      if (ec || self->freed_) return;
      if (read) {
        if (!self->reading_) return;
        redisAsyncHandleRead(self->ac_);  // may free the context (a closed connection)
        if (!self->freed_ && self->reading_) self->want_read(true);
      } else {
        if (!self->writing_) return;
        redisAsyncHandleWrite(self->ac_);
        if (!self->freed_ && self->writing_) self->want_write(true);
      }
    });
  }

  redisAsyncContext* ac_;
  asio::posix::stream_descriptor socket_;
  bool reading_ = false;
  bool writing_ = false;
  bool read_armed_ = false;
  bool write_armed_ = false;
  bool freed_ = false;
};

// What ev.data points to: hiredis' hooks get only a void*.
struct holder {
  std::shared_ptr<watcher> w;
};

watcher& of(void* data) { return *static_cast<holder*>(data)->w; }

}  // namespace

void attach_to_asio(redisAsyncContext* ac, asio::io_context& io_context) {
  auto* h = new holder{std::make_shared<watcher>(ac, io_context)};
  ac->ev.data = h;
  ac->ev.addRead = [](void* data) { of(data).want_read(true); };
  ac->ev.delRead = [](void* data) { of(data).want_read(false); };
  ac->ev.addWrite = [](void* data) { of(data).want_write(true); };
  ac->ev.delWrite = [](void* data) { of(data).want_write(false); };
  ac->ev.cleanup = [](void* data) {
    of(data).cleanup();
    delete static_cast<holder*>(data);
  };
  h->w->want_write(true);  // a non-blocking connect completes when the socket becomes writable
}

}  // namespace twiml_redirect::context
