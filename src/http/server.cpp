#include "gaterouter/http/server.hpp"

#include <sys/socket.h>

#include <exception>

namespace gaterouter::http {

// One client connection: reads requests one after another (HTTP/1.1 keep-alive) and hands each to its route.
// Two timeouts guard the read: `idle_timeout` while waiting for the first byte of a request, `read_timeout`
// for the rest of it, so a client trickling bytes cannot hold the worker.
class Session {
  public:
    Session(tcp::socket socket, Server& server) : stream_(std::move(socket)), server_(&server) {
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
    awaitable<void> dispatch(Request& req, ResponseWriter& out);
    awaitable<void> reject(Status status, std::string_view reason, const Request* partial);
    awaitable<void> linger_close();

    beast::tcp_stream stream_;
    Server* server_;
    beast::flat_buffer buffer_;
    bool idle_ = true;
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
        stream_.expires_after(server_->limits().idle_timeout);
        const std::size_t n = co_await stream_.async_read_some(buffer_.prepare(2048), with_ec(ec));
        buffer_.commit(n);
        if (server_ == nullptr) co_return ReadResult::closed;
        idle_ = false;
        if (ec) co_return ReadResult::closed;
    }
    idle_ = false;
    stream_.expires_after(server_->limits().read_timeout);
    co_await bhttp::async_read_header(stream_, buffer_, parser, with_ec(ec));
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
        return Refusal{Status::bad_request, "malformed HTTP request", false};
    return std::nullopt;
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

static awaitable<void> run_session(tcp::socket socket, Server& server) {
    Session session(std::move(socket), server);
    co_await session.run();
}

Server::Server(net::io_context& io, const tcp::endpoint& endpoint, const Router& router, ServerLimits limits,
               RejectFn reject)
    : io_(io), acceptor_(io), router_(router), limits_(limits), reject_(std::move(reject)) {
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
        tcp::socket socket = co_await acceptor_.async_accept(with_ec(ec));
        if (ec) {
            if (!acceptor_.is_open() || ec == net::error::operation_aborted) co_return;
            // Out of descriptors or similar: back off briefly instead of spinning on the error.
            net::steady_timer pause(io_, std::chrono::milliseconds(20));
            co_await pause.async_wait(with_ec(ec));
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        net::co_spawn(io_, run_session(std::move(socket), *this), net::detached);
    }
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
