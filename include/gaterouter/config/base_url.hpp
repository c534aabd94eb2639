#pragma once
// A provider's base URL taken apart: https://api.openai.com/v1 → {tls, "api.openai.com", 443, "/v1"}.

#include <cstdint>
#include <string>
#include <string_view>

namespace gaterouter::config {

struct BaseUrl {
    bool tls = false;
    std::string host;
    std::uint16_t port = 0;
    std::string base_path;  // no trailing slash; may be empty
};

// False when `url` is not an http:// or https:// URL with a host (and a valid port, if one is given).
bool parse_base_url(std::string_view url, BaseUrl& out);

}  // namespace gaterouter::config
