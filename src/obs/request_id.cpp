#include "gaterouter/obs/request_id.hpp"

#include <cstdint>
#include <random>

namespace gaterouter::obs {

std::string new_request_id() {
    static constexpr char kHex[] = "0123456789abcdef";
    // A random per-thread prefix and a counter: cheap, and unique without any shared state.
    thread_local const std::uint64_t prefix =
        std::random_device{}() * 0x9E3779B97F4A7C15ULL ^ std::random_device{}();
    thread_local std::uint32_t counter = 0;
    std::string id = "req_";
    id.resize(4 + 24);
    std::uint64_t a = prefix;
    for (int i = 15; i >= 0; --i, a >>= 4) id[4 + static_cast<std::size_t>(i)] = kHex[a & 0xF];
    std::uint32_t b = ++counter;
    for (int i = 7; i >= 0; --i, b >>= 4) id[20 + static_cast<std::size_t>(i)] = kHex[b & 0xF];
    return id;
}

std::string request_id_from(std::string_view client_value) {
    if (client_value.empty() || client_value.size() > 128) return new_request_id();
    for (const char c : client_value) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '.' || c == '_' || c == ':' || c == '-';
        if (!ok) return new_request_id();
    }
    return std::string(client_value);
}

}  // namespace gaterouter::obs
