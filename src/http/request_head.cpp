#include "gaterouter/http/request_head.hpp"

#include <algorithm>
#include <cstddef>

namespace gaterouter::http {

namespace {

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// A header line that starts with a space or a tab continues the line before it (RFC 9112 §5.2). The head
// ends with "\r\n\r\n", so every "\r\n" in it has a byte after it.
bool has_obs_fold(std::string_view raw) {
    for (std::size_t at = raw.find("\r\n"); at != std::string_view::npos; at = raw.find("\r\n", at + 2)) {
        if (at + 2 < raw.size() && (raw[at + 2] == ' ' || raw[at + 2] == '\t')) return true;
    }
    return false;
}

struct Codings {
    std::size_t count = 0;
    std::size_t chunked = 0;
    bool last_is_chunked = false;
};

// The transfer codings of every Transfer-Encoding field, in order; parameters (";q=1") and the empty list
// elements the list syntax allows are ignored.
Codings transfer_codings(const bhttp::request_header<>& head) {
    Codings out;
    const auto [first, last] = head.equal_range(bhttp::field::transfer_encoding);
    for (auto field = first; field != last; ++field) {
        std::string_view rest = field->value();
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            std::string_view element = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            const std::string_view name = trim(element.substr(0, element.find(';')));
            if (name.empty()) continue;
            ++out.count;
            out.last_is_chunked = beast::iequals(name, "chunked");
            if (out.last_is_chunked) ++out.chunked;
        }
    }
    return out;
}

}  // namespace

std::size_t HeadFinder::find(std::string_view buffered, error_code& ec) {
    const std::size_t end = buffered.find("\r\n\r\n", searched_);
    if (end != std::string_view::npos && end + 4 <= limit_) return end + 4;
    if (end != std::string_view::npos || buffered.size() >= limit_) {
        ec = bhttp::error::header_limit;
        return 0;
    }
    searched_ = buffered.size() < 3 ? 0 : buffered.size() - 3;
    return 0;
}

std::size_t HeadFinder::room(std::string_view buffered) const {
    return std::min<std::size_t>(limit_ - buffered.size(), 4096);
}

std::optional<HeadFault> check_request_head(std::string_view raw, const bhttp::request_header<>& head) {
    if (has_obs_fold(raw)) return HeadFault{Status::bad_request, "a header line is folded (obs-fold)"};
    const std::size_t hosts = head.count(bhttp::field::host);
    if (hosts > 1) return HeadFault{Status::bad_request, "more than one Host header"};
    if (hosts == 0 && head.version() >= 11) return HeadFault{Status::bad_request, "no Host header"};

    if (head.count(bhttp::field::transfer_encoding) == 0) return std::nullopt;
    // HTTP/1.0 has no chunked coding: a proxy of that version would read the body some other way.
    if (head.version() < 11)
        return HeadFault{Status::bad_request, "Transfer-Encoding in an HTTP/1.0 request"};
    if (head.count(bhttp::field::content_length) != 0)
        return HeadFault{Status::bad_request, "Transfer-Encoding and Content-Length together"};
    const Codings codings = transfer_codings(head);
    // Without chunked last, the body's length cannot be known (RFC 9112 §6.3).
    if (!codings.last_is_chunked)
        return HeadFault{Status::bad_request, "the last transfer coding is not chunked"};
    if (codings.chunked > 1) return HeadFault{Status::bad_request, "chunked is applied more than once"};
    if (codings.count > 1)
        return HeadFault{Status::not_implemented, "no transfer coding other than chunked is supported"};
    return std::nullopt;
}

}  // namespace gaterouter::http
