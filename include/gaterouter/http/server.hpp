#pragma once
// The HTTP/1.1 server of one worker thread: its own acceptor on the shared port (SO_REUSEPORT) and the
// sessions it accepted. Nothing in here is shared between threads but the connection gate, which all the
// workers of one listener share.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_set>

#include "gaterouter/http/connection_gate.hpp"
#include "gaterouter/http/router.hpp"

namespace gaterouter::http {

struct ServerLimits {
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_body_bytes = 16 * 1024 * 1024;
    Millis idle_timeout{60'000};
    // A new connection's wait for its first byte; the shorter of this and idle_timeout.
    Millis first_byte_timeout{10'000};
    Millis read_timeout{30'000};
    Millis write_timeout{30'000};
};

using RequestParser = bhttp::request_parser<bhttp::string_body>;

// Bounds a parser for the next request on a connection by the server's limits. The fuzz target
// (tests/fuzz/http_request_fuzz.cpp) reads requests through the same, so what it finds is what the server
// meets.
void limit_parser(RequestParser& parser, const ServerLimits& limits);

// How the server answers a request that failed to read with `ec` before any handler ran.
struct Refusal {
    Status status;
    std::string reason;  // for the log
    bool with_header;    // the header was read: the response may use it
};
// Nothing when the read failed because the client went away or stalled: the connection just closes.
std::optional<Refusal> refusal_for(const error_code& ec);

// Makes the response for a request refused before any handler ran: body too large (413), headers too large
// (431), not HTTP or framed ambiguously (400), a transfer coding not supported (501). `partial` is null when
// not even the request line could be read.
using RejectFn = std::function<Response(Status, std::string_view reason, const Request* partial)>;

class Session;

class Server {
  public:
    // `gate` caps the connections of every worker of this listener together; it outlives the server.
    Server(net::io_context& io, const tcp::endpoint& endpoint, const Router& router, ServerLimits limits,
           RejectFn reject, ConnectionGate& gate);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    void start();
    // Stops accepting; idle connections close now, busy ones after the response in progress.
    void begin_shutdown();
    // Closes every connection left, busy or not (the shutdown deadline passed).
    void close_all();
    // Readable from any thread (for stats); the session set itself belongs to this worker.
    std::size_t open_connections() const { return open_.load(std::memory_order_relaxed); }
    std::uint64_t accepted_connections() const { return accepted_.load(std::memory_order_relaxed); }
    bool draining() const { return draining_; }
    tcp::endpoint local_endpoint() const;

    // Sessions register themselves for the life of their connection.
    void attach(Session* s) {
        sessions_.insert(s);
        open_.fetch_add(1, std::memory_order_relaxed);
        accepted_.fetch_add(1, std::memory_order_relaxed);
    }
    void detach(Session* s) {
        sessions_.erase(s);
        open_.fetch_sub(1, std::memory_order_relaxed);
    }
    const Router& router() const { return router_; }
    const ServerLimits& limits() const { return limits_; }
    const RejectFn& reject() const { return reject_; }

  private:
    awaitable<void> accept_loop();
    awaitable<void> report_refusals_later();

    net::io_context& io_;
    tcp::acceptor acceptor_;
    const Router& router_;
    ServerLimits limits_;
    RejectFn reject_;
    ConnectionGate& gate_;
    bool report_pending_ = false;  // report_refusals_later is waiting on this worker
    std::unordered_set<Session*> sessions_;
    bool draining_ = false;
    std::atomic<std::size_t> open_{0};
    std::atomic<std::uint64_t> accepted_{0};
};

}  // namespace gaterouter::http
