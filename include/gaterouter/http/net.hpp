#pragma once
// The common first include for code that speaks Asio/Beast. Boost 1.74's asio/awaitable.hpp uses
// std::exchange without including <utility>, so <utility> must come before any Asio header.

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace gaterouter {
namespace net = boost::asio;
namespace beast = boost::beast;
using error_code = boost::system::error_code;
template <class T>
using awaitable = net::awaitable<T>;
using tcp = net::ip::tcp;

// Completion token for the hot path: errors land in `ec` instead of being thrown.
inline auto with_ec(error_code& ec) {
    return net::redirect_error(net::use_awaitable, ec);
}
}  // namespace gaterouter
