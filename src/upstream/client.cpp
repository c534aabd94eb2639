#include "gaterouter/upstream/client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/ssl/host_name_verification.hpp>

#include "connection.hpp"
#include "exchange.hpp"

namespace gaterouter::upstream {
namespace {

std::unique_ptr<net::ssl::context> make_tls_context(bool verify) {
    auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
    ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                     net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                     net::ssl::context::no_tlsv1_1);
    if (verify) {
        ctx->set_default_verify_paths();
        ctx->set_verify_mode(net::ssl::verify_peer);
    } else {
        ctx->set_verify_mode(net::ssl::verify_none);
    }
    return ctx;
}

std::string pool_key(const Origin& o) {
    std::string key = o.tls ? (o.verify_peer ? "https://" : "https+insecure://") : "http://";
    key.append(o.host).push_back(':');
    key.append(std::to_string(o.port));
    return key;
}

}  // namespace

Client::Client(net::io_context& io, PoolLimits limits)
    : io_(io),
      tls_verified_(make_tls_context(true)),
      tls_unverified_(make_tls_context(false)),
      pool_(std::make_shared<ConnectionPool>(limits)) {}

Client::~Client() {
    pool_->close_all();
}

void Client::close_idle() {
    pool_->close_all();
}
std::uint64_t Client::connections_opened() const {
    return pool_->opened;
}

// Opens a new connection: DNS (cached), TCP connect, and the TLS handshake with SNI and host-name checks.
static awaitable<Failure> open_connection(net::io_context& io, ConnectionPool& pool, const Origin& origin,
                                          net::ssl::context& tls_ctx, const Timeouts& timeouts,
                                          Clock::time_point deadline, std::unique_ptr<Connection>& out) {
    error_code ec;
    const std::string host_port = origin.host + ":" + std::to_string(origin.port);
    tcp::resolver::results_type addresses;
    if (const auto* cached = pool.cached_address(host_port)) {
        addresses = *cached;
    } else {
        tcp::resolver resolver(io);
        addresses = co_await resolver.async_resolve(origin.host, std::to_string(origin.port), with_ec(ec));
        if (ec || addresses.empty()) co_return Failure::resolve;
        pool.cache_address(host_port, addresses);
    }

    auto conn = origin.tls ? std::make_unique<Connection>(io, tls_ctx) : std::make_unique<Connection>(io);
    // Each address in turn, opening the socket here: a connect over the whole range would report the
    // gateway's own lack of descriptors as an aborted connect, and so blame the provider for it.
    tcp::socket& socket = conn->tcp().socket();
    ec = net::error::host_not_found;
    for (const auto& address : addresses) {
        socket.close(ec);
        socket.open(address.endpoint().protocol(), ec);
        if (ec == boost::system::errc::too_many_files_open ||
            ec == boost::system::errc::too_many_files_open_in_system)
            co_return Failure::out_of_descriptors;
        if (ec) break;
        conn->tcp().expires_after(step_timeout(timeouts.connect, deadline));
        co_await conn->tcp().async_connect(address.endpoint(), with_ec(ec));
        if (!ec || Clock::now() >= deadline) break;
    }
    if (ec) co_return Clock::now() >= deadline ? Failure::total_timeout : Failure::connect;
    conn->tcp().socket().set_option(tcp::no_delay(true), ec);

    if (auto* tls = conn->tls()) {
        if (!SSL_set_tlsext_host_name(tls->native_handle(), origin.host.c_str())) co_return Failure::tls;
        if (origin.verify_peer) tls->set_verify_callback(net::ssl::host_name_verification(origin.host));
        conn->tcp().expires_after(step_timeout(timeouts.connect, deadline));
        co_await tls->async_handshake(net::ssl::stream_base::client, with_ec(ec));
        if (ec) co_return Clock::now() >= deadline ? Failure::total_timeout : Failure::tls;
    }
    ++pool.opened;
    out = std::move(conn);
    co_return Failure::none;
}

awaitable<Failure> Client::send(const Origin& origin, http::Request& request, const Timeouts& timeouts,
                                Response& response, CancelSignal* cancel) {
    response = Response{};
    const auto deadline = Clock::now() + timeouts.total;
    const std::string key = pool_key(origin);
    if (request.find(http::bhttp::field::host) == request.end()) {
        const bool default_port = origin.port == (origin.tls ? 443 : 80);
        request.set(http::bhttp::field::host,
                    default_port ? origin.host : origin.host + ":" + std::to_string(origin.port));
    }
    request.keep_alive(true);
    request.prepare_payload();

    // A pooled connection may have been closed by the upstream while it sat idle; a request that fails on one
    // before any byte of the answer came back is sent once more on a fresh connection.
    for (int attempt = 0;; ++attempt) {
        std::unique_ptr<Connection> conn = pool_->take(key);
        if (!conn) {
            auto& tls_ctx = origin.verify_peer ? *tls_verified_ : *tls_unverified_;
            const Failure f =
                co_await open_connection(io_, *pool_, origin, tls_ctx, timeouts, deadline, conn);
            if (f != Failure::none) co_return f;
            conn->origin_key = key;
        }
        const bool may_retry = conn->reused && attempt == 0;

        if (cancel != nullptr && cancel->cancelled()) co_return Failure::cancelled;
        auto exchange = std::make_unique<Exchange>(std::move(conn), timeouts, deadline);
        if (cancel != nullptr) cancel->on_cancel_ = [ex = exchange.get()] { ex->close(); };
        const Failure f = co_await exchange->write_and_read_head(request);
        if (cancel != nullptr) {
            cancel->on_cancel_ = nullptr;
            if (cancel->cancelled()) co_return Failure::cancelled;
        }
        if (f == Failure::none) {
            response = Response(std::move(exchange), pool_);
            co_return Failure::none;
        }
        if (!(may_retry && f == Failure::closed && exchange->nothing_received())) co_return f;
    }
}

}  // namespace gaterouter::upstream
