#include "gaterouter/openai/json_access.hpp"

namespace gaterouter::openai {

const nlohmann::json& field(const nlohmann::json& j, std::string_view key) {
    static const nlohmann::json kNull;
    if (!j.is_object()) return kNull;
    const auto it = j.find(key);
    return it == j.end() ? kNull : *it;
}

}  // namespace gaterouter::openai
