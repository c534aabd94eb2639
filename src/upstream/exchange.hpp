#pragma once
// Private to the upstream area: one request and its response on one connection, with the timeouts applied to
// every step (each step's own limit, never past the exchange's total deadline).

#include <memory>

#include "connection.hpp"

namespace gaterouter::upstream {

// How long the next step may take: its own limit, cut to what is left of the total.
Clock::duration step_timeout(Millis step, Clock::time_point deadline);

class Exchange {
  public:
    Exchange(std::unique_ptr<Connection> connection, const Timeouts& timeouts, Clock::time_point deadline);

    awaitable<Failure> write_and_read_head(http::Request& request);
    awaitable<Failure> read_some(std::string_view& piece);

    unsigned status() const { return parser_.get().result_int(); }
    const http::bhttp::fields& headers() const { return parser_.get().base(); }
    // Nothing of a response came back: a reused connection that the upstream had closed.
    bool nothing_received() const { return !head_read_ && connection_->buffer.size() == 0; }
    // The response was read to its end and the upstream keeps the connection open.
    bool reusable() const { return !failed_ && parser_.is_done() && parser_.keep_alive(); }
    std::unique_ptr<Connection> take_connection() { return std::move(connection_); }
    void close() { connection_->close(); }

  private:
    Failure fail(const error_code& ec, Failure on_timeout);

    std::unique_ptr<Connection> connection_;
    Timeouts timeouts_;
    Clock::time_point deadline_;
    http::bhttp::response_parser<http::bhttp::buffer_body> parser_;
    bool head_read_ = false;
    bool failed_ = false;
};

}  // namespace gaterouter::upstream
