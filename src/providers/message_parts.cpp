#include "message_parts.hpp"

#include "gaterouter/openai/json_access.hpp"

namespace gaterouter::providers {

std::string text_of(const nlohmann::json& content) {
    if (content.is_string()) return content.get<std::string>();
    std::string text;
    if (!content.is_array()) return text;
    for (const auto& part : content) {
        if (openai::get_or(part, "type", "") != "text") continue;
        if (!text.empty()) text += "\n";
        text += openai::get_or(part, "text", "");
    }
    return text;
}

std::string image_url_of(const nlohmann::json& part) {
    const nlohmann::json& image = openai::field(part, "image_url");
    return image.is_string() ? image.get<std::string>() : openai::get_or(image, "url", "");
}

bool split_data_url(const std::string& url, std::string& media_type, std::string& data) {
    if (!url.starts_with("data:")) return false;
    const auto semi = url.find(";base64,");
    if (semi == std::string::npos) return false;
    media_type = url.substr(5, semi - 5);
    data = url.substr(semi + 8);
    return true;
}

void push_turn(nlohmann::json& turns, const std::string& role, nlohmann::json items, const char* items_key) {
    if (items.empty()) return;
    if (!turns.empty() && turns.back()["role"] == role) {
        for (auto& item : items) turns.back()[items_key].push_back(std::move(item));
        return;
    }
    turns.push_back({{"role", role}, {items_key, std::move(items)}});
}

}  // namespace gaterouter::providers
