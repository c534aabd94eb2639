#include "gaterouter/upstream/response.hpp"

#include "exchange.hpp"

namespace gaterouter::upstream {

const char* describe(Failure f) {
    switch (f) {
        case Failure::none:
            return "no failure";
        case Failure::resolve:
            return "DNS lookup failed";
        case Failure::connect:
            return "connection failed";
        case Failure::tls:
            return "TLS handshake failed";
        case Failure::write:
            return "sending the request failed";
        case Failure::first_byte_timeout:
            return "no response within the first-byte timeout";
        case Failure::idle_timeout:
            return "the response stalled past the idle timeout";
        case Failure::total_timeout:
            return "the request exceeded the total timeout";
        case Failure::closed:
            return "the connection was closed";
        case Failure::protocol:
            return "the response was not valid HTTP";
        case Failure::cancelled:
            return "the gateway cancelled the request";
        case Failure::out_of_descriptors:
            return "the gateway has no free descriptor for a connection (its open-files limit)";
    }
    return "unknown failure";
}

bool is_timeout(Failure f) {
    return f == Failure::first_byte_timeout || f == Failure::idle_timeout || f == Failure::total_timeout;
}

bool is_gateways_own(Failure f) {
    return f == Failure::cancelled || f == Failure::out_of_descriptors;
}

Response::Response() = default;
Response::Response(std::unique_ptr<Exchange> exchange, const std::shared_ptr<ConnectionPool>& pool)
    : exchange_(std::move(exchange)), pool_(pool) {}
Response::~Response() {
    release();
}
Response::Response(Response&&) noexcept = default;
Response& Response::operator=(Response&& other) noexcept {
    if (this != &other) {
        release();
        exchange_ = std::move(other.exchange_);
        pool_ = std::move(other.pool_);
    }
    return *this;
}

unsigned Response::status() const {
    return exchange_->status();
}
const http::bhttp::fields& Response::headers() const {
    return exchange_->headers();
}
awaitable<Failure> Response::read_some(std::string_view& piece) {
    piece = {};
    if (!exchange_) co_return Failure::none;
    const Failure f = co_await exchange_->read_some(piece);
    co_return f;
}

awaitable<Failure> Response::read_all(std::string& body, std::size_t limit) {
    body.clear();
    for (;;) {
        std::string_view piece;
        const Failure f = co_await read_some(piece);
        if (f != Failure::none) co_return f;
        if (piece.empty()) co_return Failure::none;
        if (body.size() + piece.size() > limit) {
            abandon();
            co_return Failure::protocol;
        }
        body.append(piece);
    }
}

void Response::abandon() {
    if (exchange_) exchange_->close();
    exchange_.reset();
}

void Response::release() {
    if (!exchange_) return;
    auto pool = pool_.lock();
    if (pool && exchange_->reusable()) {
        pool->put(exchange_->take_connection());
    } else {
        exchange_->close();
    }
    exchange_.reset();
}

}  // namespace gaterouter::upstream
