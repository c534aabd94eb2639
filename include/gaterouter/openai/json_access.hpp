#pragma once
// Lenient reads of JSON that clients and vendors send: a missing member, a null, or a value of another type
// all give the fallback. (nlohmann's own value() throws on a null object, and `"tools": null` is valid
// input.)

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

namespace gaterouter::openai {

// `text` as a tree, or a discarded value when it is not JSON or is nested deeper than kMaxJsonDepth. Every
// JSON the gateway builds a tree of (from a client or an upstream) goes through here: nlohmann's parser
// keeps its own stack, but copying, comparing and dumping a tree recurse once per level, and a document
// nested 100 000 deep would run them off the end of a worker's stack.
nlohmann::json parse_json(std::string_view text);

// The member `key` of `j`, or a null value when `j` is not an object or has no such member.
const nlohmann::json& field(const nlohmann::json& j, std::string_view key);

template <class T>
T get_or(const nlohmann::json& j, std::string_view key, T fallback) {
    const nlohmann::json& v = field(j, key);
    if constexpr (std::is_same_v<T, bool>) {
        return v.is_boolean() ? v.get<bool>() : fallback;
    } else if constexpr (std::is_integral_v<T>) {
        // A number T cannot hold, a fraction or one past T's range, gives the fallback: converting it would
        // be undefined (a double past INT_MAX) or would wrap onto another value.
        if (v.is_number_unsigned()) {
            const auto n = v.get<std::uint64_t>();
            return std::in_range<T>(n) ? static_cast<T>(n) : fallback;
        }
        if (!v.is_number_integer()) return fallback;
        const auto n = v.get<std::int64_t>();
        return std::in_range<T>(n) ? static_cast<T>(n) : fallback;
    } else if constexpr (std::is_arithmetic_v<T>) {
        return v.is_number() ? v.get<T>() : fallback;
    } else {
        return v.is_string() ? v.get<std::string>() : fallback;
    }
}

inline std::string get_or(const nlohmann::json& j, std::string_view key, const char* fallback) {
    return get_or<std::string>(j, key, fallback);
}

}  // namespace gaterouter::openai
