#include "gaterouter/openai/json_access.hpp"

#include "gaterouter/openai/json_scan.hpp"

namespace gaterouter::openai {

nlohmann::json parse_json(std::string_view text) {
    JsonSyntaxError ignored;
    if (!scan_json(text, ignored)) return nlohmann::json::value_t::discarded;
    return nlohmann::json::parse(text, nullptr, false);
}

const nlohmann::json& field(const nlohmann::json& j, std::string_view key) {
    static const nlohmann::json kNull;
    if (!j.is_object()) return kNull;
    const auto it = j.find(key);
    return it == j.end() ? kNull : *it;
}

}  // namespace gaterouter::openai
