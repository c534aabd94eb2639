#pragma once
// How a handler answers: either one whole response, or a header followed by chunks (for Server-Sent Events).

#include <cstdint>
#include <string>
#include <string_view>

#include "gaterouter/http/message.hpp"

namespace gaterouter::http {

class ResponseWriter {
  public:
    ResponseWriter(beast::tcp_stream& stream, Millis write_timeout, bool keep_alive)
        : stream_(stream), write_timeout_(write_timeout), keep_alive_(keep_alive) {}

    // Sends a complete response; Content-Length and the keep-alive state are set here.
    awaitable<error_code> send(Response res);

    // Commits to a chunked response with this header; the body follows through write_chunk and finish_stream.
    // The header goes out together with the first chunk: one write, not two, before the first token.
    awaitable<error_code> start_stream(bhttp::response<bhttp::empty_body> header);
    awaitable<error_code> write_chunk(std::string_view data);
    awaitable<error_code> finish_stream();

    bool headers_sent() const { return headers_sent_; }
    // True once the response went out whole; a connection whose response was cut is never reused.
    bool complete() const { return complete_; }
    bool keep_alive() const { return keep_alive_; }
    // A handler that knows the connection must not be reused (e.g. it stopped reading the body) says so.
    void close_after() { keep_alive_ = false; }
    Status status() const { return status_; }
    // The connection itself, for the rare handler that must watch or cut it (the simulator's fault
    // injection).
    beast::tcp_stream& stream() { return stream_; }
    std::uint64_t bytes_sent() const { return bytes_sent_; }

  private:
    template <class Buffers>
    awaitable<error_code> write_with_head(Buffers buffers);  // by value: it outlives the caller's temporaries

    beast::tcp_stream& stream_;
    Millis write_timeout_;
    bool keep_alive_;
    bool headers_sent_ = false;
    std::string pending_head_;  // a stream's serialised header, until the first write
    bool complete_ = false;
    Status status_ = Status::unknown;
    std::uint64_t bytes_sent_ = 0;
};

}  // namespace gaterouter::http
