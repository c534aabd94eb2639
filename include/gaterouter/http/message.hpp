#pragma once
// The message types the server and its handlers share.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "gaterouter/http/net.hpp"

namespace gaterouter::http {

namespace bhttp = beast::http;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;
using Status = bhttp::status;
using Verb = bhttp::verb;
using Millis = std::chrono::milliseconds;

// The path of a request target, without its query string.
inline std::string_view path_of(std::string_view target) {
    auto q = target.find('?');
    return q == std::string_view::npos ? target : target.substr(0, q);
}

}  // namespace gaterouter::http
