#include "gaterouter/http/server.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <exception>
#include <optional>
#include <string>

#include "gaterouter/http/request_head.hpp"

namespace gaterouter::http {

// One client connection: reads requests one after another (HTTP/1.1 keep-alive) and hands each to its route.
// Three timeouts guard the read: `first_byte_timeout` while a new connection has sent nothing yet,
// `idle_timeout` while a kept-alive one waits for its next request, `read_timeout` for the rest of a request
// once its first byte came, so that a client trickling bytes, or sending none, cannot hold the worker.
class Session {
  public:
    Session(tcp::socket socket, Server& server, ConnectionGate::Place place)
        : stream_(std::move(socket)), server_(&server), place_(std::move(place)) {
        server_->attach(this);
    }
    ~Session() {
        if (server_ != nullptr) server_->detach(this);
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    awaitable<void> run();

    void close_if_idle() {
        if (idle_) cancel();
    }
    void cancel() {
        error_code ignored;
        stream_.socket().cancel(ignored);
    }
    // Wakes the session whatever it waits on; its next read or write fails and it ends.
    void shut() {
        error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.socket().cancel(ignored);
    }
    void forget_server() { server_ = nullptr; }

  private:
    enum class ReadResult { request, closed, rejected };
    awaitable<ReadResult> read_request(RequestParser& parser);
    awaitable<std::size_t> read_head(error_code& ec);
    std::string_view buffered() const {
        const auto data = buffer_.data();
        return {static_cast<const char*>(data.data()), data.size()};
    }
    awaitable<void> dispatch(Request& req, ResponseWriter& out);
    awaitable<void> reject(Status status, std::string_view reason, const Request* partial);
    awaitable<void> linger_close();

    beast::tcp_stream stream_;
    Server* server_;
    ConnectionGate::Place place_;  // held for the life of the connection
    beast::flat_buffer buffer_;
    bool idle_ = true;
    bool fresh_ = true;  // no byte has come yet
};

awaitable<void> Session::run() {
    for (;;) {
        RequestParser parser;
        limit_parser(parser, server_->limits());
        const ReadResult got = co_await read_request(parser);
        if (got == ReadResult::rejected) {
            co_await linger_close();
            co_return;
        }
        if (got == ReadResult::closed || server_ == nullptr) break;

        Request req = parser.release();
        ResponseWriter out(stream_, server_->limits().write_timeout,
                           req.keep_alive() && !server_->draining());
        co_await dispatch(req, out);
        if (server_ == nullptr || !out.complete() || !out.keep_alive()) break;
    }
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
}

awaitable<Session::ReadResult> Session::read_request(RequestParser& parser) {
    error_code ec;
    if (buffer_.size() == 0) {
        idle_ = true;
        if (server_->draining()) co_return ReadResult::closed;
        const ServerLimits& limits = server_->limits();
        // A new connection waits no longer for its first byte than a kept-alive one for its next request.
        const Millis wait =
            fresh_ ? std::min(limits.first_byte_timeout, limits.idle_timeout) : limits.idle_timeout;
        stream_.expires_after(wait);
        const std::size_t n = co_await stream_.async_read_some(buffer_.prepare(2048), with_ec(ec));
        buffer_.commit(n);
        if (server_ == nullptr) co_return ReadResult::closed;
        idle_ = false;
        if (ec) co_return ReadResult::closed;
    }
    idle_ = false;
    fresh_ = false;
    stream_.expires_after(server_->limits().read_timeout);
    const std::size_t head_size = co_await read_head(ec);
    if (server_ == nullptr) co_return ReadResult::closed;
    if (!ec) {
        const std::string_view raw = buffered().substr(0, head_size);
        const std::size_t used = parser.put(net::buffer(raw.data(), raw.size()), ec);
        std::optional<HeadFault> fault;
        if (!ec) fault = check_request_head(raw, parser.get());
        buffer_.consume(used);
        if (fault) {
            co_await reject(fault->status, fault->reason, &parser.get());
            co_return ReadResult::rejected;
        }
    }
    if (!ec) {
        const auto& header = parser.get();
        if (beast::iequals(header[bhttp::field::expect], "100-continue") && !parser.is_done()) {
            static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
            co_await net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()), with_ec(ec));
        }
        if (!ec && !parser.is_done()) co_await bhttp::async_read(stream_, buffer_, parser, with_ec(ec));
    }
    if (!ec) co_return ReadResult::request;
    if (server_ == nullptr) co_return ReadResult::closed;
    const std::optional<Refusal> refusal = refusal_for(ec);
    if (!refusal) co_return ReadResult::closed;  // the client went away or timed out mid-request
    const Request* partial = refusal->with_header ? &parser.get() : nullptr;
    co_await reject(refusal->status, refusal->reason, partial);
    co_return ReadResult::rejected;
}

void limit_parser(RequestParser& parser, const ServerLimits& limits) {
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);
}

std::optional<Refusal> refusal_for(const error_code& ec) {
    if (ec == bhttp::error::body_limit)
        return Refusal{Status::payload_too_large, "request body is larger than the limit", true};
    if (ec == bhttp::error::header_limit)
        return Refusal{Status::request_header_fields_too_large, "request headers are larger than the limit",
                       false};
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
        return Refusal{Status::bad_request, ec.message(), false};  // Beast's words: "bad method", ...
    return std::nullopt;
}

// Reads until the buffer holds a whole request head (HeadFinder) and returns its size.
awaitable<std::size_t> Session::read_head(error_code& ec) {
    HeadFinder finder(server_->limits().max_header_bytes);
    for (;;) {
        const std::size_t size = finder.find(buffered(), ec);
        if (size != 0 || ec) co_return size;
        const std::size_t n =
            co_await stream_.async_read_some(buffer_.prepare(finder.room(buffered())), with_ec(ec));
        buffer_.commit(n);
        if (ec || server_ == nullptr) co_return 0;
    }
}

awaitable<void> Session::dispatch(Request& req, ResponseWriter& out) {
    const auto match = server_->router().find(req.method(), req.target());
    if (match.handler == nullptr) {
        co_await out.send(server_->reject()(match.path_known ? Status::method_not_allowed : Status::not_found,
                                            match.path_known ? "method not allowed" : "no such route", &req));
        co_return;
    }
    std::string failure;
    try {
        co_await (*match.handler)(req, out);
    } catch (const std::exception& e) {
        failure = e.what();  // handlers report their own errors; this is the last line of defence
    }
    if (!failure.empty() && server_ != nullptr) {
        out.close_after();
        // The reason is for the log; the client gets a generic 500 (or a cut stream, if it had begun).
        Response res = server_->reject()(Status::internal_server_error, failure, &req);
        if (!out.headers_sent()) co_await out.send(std::move(res));
    }
}

awaitable<void> Session::reject(Status status, std::string_view reason, const Request* partial) {
    Response res = server_->reject()(status, reason, partial);
    ResponseWriter out(stream_, server_->limits().write_timeout, false);
    co_await out.send(std::move(res));
}

// Closes after an error response without resetting the connection under the client's feet: stop sending, then
// read and drop what the client still sends for a short while, so it gets to read our answer.
awaitable<void> Session::linger_close() {
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(2));
    std::size_t drained = 0;
    while (!ec && drained < 4 * 1024 * 1024) {
        buffer_.clear();
        drained += co_await stream_.async_read_some(buffer_.prepare(16 * 1024), with_ec(ec));
    }
    stream_.socket().close(ec);
}

static awaitable<void> run_session(tcp::socket socket, Server& server, ConnectionGate::Place place) {
    Session session(std::move(socket), server, std::move(place));
    co_await session.run();
}

Server::Server(net::io_context& io, const tcp::endpoint& endpoint, const Router& router, ServerLimits limits,
               RejectFn reject, ConnectionGate& gate)
    : io_(io), acceptor_(io), router_(router), limits_(limits), reject_(std::move(reject)), gate_(gate) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    // Every worker has its own acceptor on the same port; the kernel spreads connections between them.
    const int one = 1;
    ::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
}

Server::~Server() {
    for (Session* s : sessions_) s->forget_server();
}

void Server::start() {
    net::co_spawn(io_, accept_loop(), net::detached);
}

tcp::endpoint Server::local_endpoint() const {
    return acceptor_.local_endpoint();
}

awaitable<void> Server::accept_loop() {
    for (;;) {
        error_code ec;
        tcp::endpoint peer;
        tcp::socket socket = co_await acceptor_.async_accept(peer, with_ec(ec));
        if (ec) {
            if (!acceptor_.is_open() || ec == net::error::operation_aborted) co_return;
            // Out of descriptors or similar: back off briefly instead of spinning on the error.
            net::steady_timer pause(io_, std::chrono::milliseconds(20));
            co_await pause.async_wait(with_ec(ec));
            continue;
        }
        ConnectionGate::Place place = gate_.enter(peer.address(), ConnectionGate::Clock::now());
        if (!place.admitted()) {
            // The cheapest refusal: a reset now. No answer to write that a client which does not read could
            // hold up, no access-log line per refusal, and nothing left behind in TIME_WAIT.
            socket.set_option(net::socket_base::linger(true, 0), ec);
            socket.close(ec);
            if (gate_.unreported() && !report_pending_) {
                report_pending_ = true;
                net::co_spawn(io_, report_refusals_later(), net::detached);
            }
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        net::co_spawn(io_, run_session(std::move(socket), *this, std::move(place)), net::detached);
    }
}

// Refusals that came too soon after the last report are reported once the interval has passed, even if no
// refusal comes after them to trigger it.
awaitable<void> Server::report_refusals_later() {
    net::steady_timer timer(io_);
    bool waiting = true;
    while (waiting) {
        timer.expires_after(gate_.report_interval());
        error_code ec;
        co_await timer.async_wait(with_ec(ec));
        if (ec) break;
        waiting = gate_.report_due(ConnectionGate::Clock::now());
    }
    report_pending_ = false;
}

void Server::begin_shutdown() {
    draining_ = true;
    error_code ignored;
    acceptor_.close(ignored);
    for (Session* s : sessions_) s->close_if_idle();
}

void Server::close_all() {
    for (Session* s : sessions_) s->shut();
}

}  // namespace gaterouter::http
