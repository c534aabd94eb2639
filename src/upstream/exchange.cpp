#include "exchange.hpp"

#include <limits>

namespace gaterouter::upstream {

Clock::duration step_timeout(Millis step, Clock::time_point deadline) {
    // Not rounded to milliseconds: a timer set short of the deadline would fire before it, and a stream cut
    // by the total limit would be reported as idle.
    const Clock::duration left = deadline - Clock::now();
    return std::max(Clock::duration::zero(), std::min<Clock::duration>(step, left));
}

Exchange::Exchange(std::unique_ptr<Connection> connection, const Timeouts& timeouts,
                   Clock::time_point deadline)
    : connection_(std::move(connection)), timeouts_(timeouts), deadline_(deadline) {
    parser_.header_limit(64 * 1024);
    parser_.body_limit(std::numeric_limits<std::uint64_t>::max());  // streams are as long as they are
}

Failure Exchange::fail(const error_code& ec, Failure on_timeout) {
    failed_ = true;
    if (ec == beast::error::timeout) return Clock::now() >= deadline_ ? Failure::total_timeout : on_timeout;
    if (ec.category() == http::bhttp::make_error_code(http::bhttp::error::bad_target).category() &&
        ec != http::bhttp::error::end_of_stream && ec != http::bhttp::error::partial_message) {
        return Failure::protocol;
    }
    return Failure::closed;
}

awaitable<Failure> Exchange::write_and_read_head(http::Request& request) {
    error_code ec;
    auto& tcp = connection_->tcp();
    tcp.expires_after(step_timeout(timeouts_.idle, deadline_));
    co_await connection_->with_stream(
        [&](auto& stream) { return http::bhttp::async_write(stream, request, with_ec(ec)); });
    if (ec) co_return fail(ec, Failure::write);

    tcp.expires_after(step_timeout(timeouts_.first_byte, deadline_));
    co_await connection_->with_stream([&](auto& stream) {
        return http::bhttp::async_read_header(stream, connection_->buffer, parser_, with_ec(ec));
    });
    if (ec) co_return fail(ec, Failure::first_byte_timeout);
    head_read_ = true;
    co_return Failure::none;
}

awaitable<Failure> Exchange::read_some(std::string_view& piece) {
    piece = {};
    if (failed_) co_return Failure::closed;
    auto& body = parser_.get().body();
    while (!parser_.is_done()) {
        body.data = connection_->chunk.data();
        body.size = connection_->chunk.size();
        error_code ec;
        connection_->tcp().expires_after(step_timeout(timeouts_.idle, deadline_));
        co_await connection_->with_stream([&](auto& stream) {
            return http::bhttp::async_read_some(stream, connection_->buffer, parser_, with_ec(ec));
        });
        if (ec == http::bhttp::error::need_buffer) ec = {};
        if (ec) co_return fail(ec, Failure::idle_timeout);
        const std::size_t got = connection_->chunk.size() - body.size;
        if (got > 0) {
            piece = std::string_view(connection_->chunk.data(), got);
            co_return Failure::none;
        }
    }
    co_return Failure::none;
}

}  // namespace gaterouter::upstream
