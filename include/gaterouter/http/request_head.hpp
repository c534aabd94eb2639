#pragma once
// The framing rules of RFC 9112 that Beast 1.74's parser leaves to its user. A request whose body length the
// gateway and a proxy in front of it could read differently is refused before its body is read, and its
// connection closed, so that no bytes after its head can be taken for a request of their own (smuggling).
//
// Beast already refuses Content-Lengths that disagree, a Content-Length after `Transfer-Encoding: chunked`
// and a Transfer-Encoding after a Content-Length. It accepts the rest: a Transfer-Encoding whose last coding
// is not chunked (it then reads no body at all), codings it does not decode, a Content-Length after such a
// Transfer-Encoding, a missing or repeated Host, and obs-fold (which it joins into one value).

#include <optional>
#include <string_view>

#include "gaterouter/http/message.hpp"

namespace gaterouter::http {

struct HeadFault {
    Status status;            // 400, or 501 for a transfer coding the gateway does not decode
    std::string_view reason;  // for the client: which rule the head breaks
};

// `raw` is the head as it came, from the request line through the empty line that ends it; `head` is the same
// head as Beast parsed it. Nothing when the head is well framed.
std::optional<HeadFault> check_request_head(std::string_view raw, const bhttp::request_header<>& head);

}  // namespace gaterouter::http
