#pragma once
// hiredis' asynchronous API driven by an Asio io_context: hiredis asks for read and write readiness
// through five hooks (addRead, delRead, addWrite, delWrite, cleanup); each becomes an async_wait on
// its socket. hiredis keeps owning the descriptor and closes it itself. Private to src/context/.

#include <boost/asio/io_context.hpp>

struct redisAsyncContext;

namespace twiml_redirect::context {

// Attaches `ac` (just created by redisAsyncConnect, not yet attached) to `io_context`, and asks for
// write readiness so the connect completes. All of hiredis' work then runs on the io_context's
// thread, which must be the only thread touching `ac`.
void attach_to_asio(redisAsyncContext* ac, boost::asio::io_context& io_context);

}  // namespace twiml_redirect::context
