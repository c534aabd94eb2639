#pragma once
// The upstream HTTP client of one worker thread: per-origin keep-alive pools (most recently used first), TLS
// with peer verification and SNI, a DNS cache, and the four timeouts (connect, first byte, idle, total).
// A connection that broke, or whose response was not read to its end, is closed, never pooled again.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gaterouter/http/message.hpp"
#include "gaterouter/upstream/response.hpp"

namespace boost::asio::ssl {
class context;
}

namespace gaterouter::upstream {

using Millis = std::chrono::milliseconds;

struct Origin {
    bool tls = false;
    std::string host;
    std::uint16_t port = 0;
    bool verify_peer = true;  // false only for providers explicitly marked insecure_skip_verify
};

struct Timeouts {
    Millis connect{5'000};
    Millis first_byte{120'000};
    Millis idle{60'000};
    Millis total{600'000};
};

struct PoolLimits {
    std::size_t max_idle_per_origin = 256;
    Millis idle_ttl{30'000};
    Millis dns_ttl{60'000};
};

class ConnectionPool;

// Lets the caller give up on a send() in progress (on the same thread): its pending read or write ends at
// once with Failure::cancelled and its connection is closed, never pooled.
class CancelSignal {
  public:
    void cancel() {
        cancelled_ = true;
        if (on_cancel_) on_cancel_();
    }
    bool cancelled() const { return cancelled_; }

  private:
    friend class Client;
    std::function<void()> on_cancel_;  // set while an exchange is under way
    bool cancelled_ = false;
};

class Client {
  public:
    Client(net::io_context& io, PoolLimits limits);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Sends `request` to `origin` and waits for the response head. Sets Host, Content-Length and keep-alive.
    // On failure the returned Failure says where it failed; `response` is then empty.
    awaitable<Failure> send(const Origin& origin, http::Request& request, const Timeouts& timeouts,
                            Response& response, CancelSignal* cancel = nullptr);

    // Closes every pooled connection (shutdown).
    void close_idle();
    std::uint64_t connections_opened() const;

  private:
    net::io_context& io_;
    std::unique_ptr<net::ssl::context> tls_verified_;
    std::unique_ptr<net::ssl::context> tls_unverified_;
    std::shared_ptr<ConnectionPool> pool_;
};

}  // namespace gaterouter::upstream
