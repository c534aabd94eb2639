#pragma once
// The framing rules of RFC 9112 that Beast 1.74's parser leaves to its user. A request whose body length the
// gateway and a proxy in front of it could read differently is refused before its body is read, and its
// connection closed, so that no bytes after its head can be taken for a request of their own (smuggling).
//
// Beast already refuses Content-Lengths that disagree, a Content-Length after `Transfer-Encoding: chunked`
// and a Transfer-Encoding after a Content-Length. It accepts the rest: a Transfer-Encoding whose last coding
// is not chunked (it then reads no body at all), codings it does not decode, a Content-Length after such a
// Transfer-Encoding, a missing or repeated Host, and obs-fold (which it joins into one value).

#include <cstddef>
#include <optional>
#include <string_view>

#include "gaterouter/http/message.hpp"

namespace gaterouter::http {

// Looks for the end of a request head in bytes that arrive in pieces, each byte searched once. The server
// (and the fuzz target that reads requests as it does) reads the head whole before Beast parses it, because
// Beast keeps no trace of what check_request_head must see as it came (obs-fold).
class HeadFinder {
  public:
    explicit HeadFinder(std::size_t limit) : limit_(limit) {}
    // The head's size in `buffered` (all bytes read so far), the final "\r\n\r\n" included; 0 while more is
    // needed, with `room`() bytes to read next. Sets `ec` to header_limit when the head cannot fit the limit.
    std::size_t find(std::string_view buffered, error_code& ec);
    std::size_t room(std::string_view buffered) const;

  private:
    std::size_t limit_;
    std::size_t searched_ = 0;  // where "\r\n\r\n" may start in what has not been searched yet
};

struct HeadFault {
    Status status;            // 400, or 501 for a transfer coding the gateway does not decode
    std::string_view reason;  // for the client: which rule the head breaks
};

// `raw` is the head as it came, from the request line through the empty line that ends it; `head` is the same
// head as Beast parsed it. Nothing when the head is well framed.
std::optional<HeadFault> check_request_head(std::string_view raw, const bhttp::request_header<>& head);

}  // namespace gaterouter::http
