// Asio's TLS implementation, compiled once for the whole project.
#include <boost/asio/ssl/impl/src.hpp>
