#include "gaterouter/openai/completion.hpp"

#include "gaterouter/openai/json_access.hpp"
#include "gaterouter/openai/json_scan.hpp"

#include <algorithm>
#include <chrono>

namespace gaterouter::openai {

nlohmann::json Usage::to_json() const {
    return {{"prompt_tokens", prompt_tokens},
            {"completion_tokens", completion_tokens},
            {"total_tokens", prompt_tokens + completion_tokens},
            {"prompt_tokens_details", {{"cached_tokens", cached_tokens}}},
            {"completion_tokens_details", {{"reasoning_tokens", reasoning_tokens}}}};
}

std::int64_t token_count(const nlohmann::json& usage, std::string_view key) {
    const nlohmann::json& v = field(usage, key);
    if (v.is_number_unsigned())
        return static_cast<std::int64_t>(std::min<std::uint64_t>(v.get<std::uint64_t>(), kMaxReportedTokens));
    if (v.is_number_integer()) return std::clamp<std::int64_t>(v.get<std::int64_t>(), 0, kMaxReportedTokens);
    if (!v.is_number_float()) return 0;
    const double x = v.get<double>();
    if (!(x > 0)) return 0;  // also NaN
    return x >= static_cast<double>(kMaxReportedTokens) ? kMaxReportedTokens : static_cast<std::int64_t>(x);
}

std::optional<Usage> read_usage(std::string_view text) {
    return read_answer_usage(text).usage;
}

AnswerUsage read_answer_usage(std::string_view text) {
    JsonSyntaxError error;
    const std::optional<JsonValue> root = scan_json(text, error);
    if (!root || root->type != JsonType::object) return {};
    std::string_view raw;
    for_each_member(*root, [&raw](std::string_view key, const JsonValue& v) {
        if (key_equals(key, "usage") && v.type == JsonType::object) raw = v.raw;
        return raw.empty();
    });
    if (raw.empty()) return {true, std::nullopt};
    const nlohmann::json u = openai::parse_json(raw);
    Usage usage;
    usage.prompt_tokens = token_count(u, "prompt_tokens");
    usage.completion_tokens = token_count(u, "completion_tokens");
    usage.cached_tokens = token_count(field(u, "prompt_tokens_details"), "cached_tokens");
    usage.reasoning_tokens = token_count(field(u, "completion_tokens_details"), "reasoning_tokens");
    return {true, usage};
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

nlohmann::json completion(std::string_view id, std::string_view model, const nlohmann::json& message,
                          std::string_view finish_reason, const Usage& usage) {
    return {{"id", id},
            {"object", "chat.completion"},
            {"created", unix_now()},
            {"model", model},
            {"choices", nlohmann::json::array({{{"index", 0},
                                                {"message", message},
                                                {"logprobs", nullptr},
                                                {"finish_reason", finish_reason}}})},
            {"usage", usage.to_json()}};
}

void ChunkWriter::identify(std::string id, std::string model) {
    id_ = std::move(id);
    model_ = std::move(model);
    created_ = unix_now();
}

nlohmann::json ChunkWriter::base() const {
    return {{"id", id_}, {"object", "chat.completion.chunk"}, {"created", created_}, {"model", model_}};
}

namespace {
void append_event(std::string& out, const nlohmann::json& j) {
    out.append("data: ");
    out.append(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    out.append("\n\n");
}
}  // namespace

void ChunkWriter::delta(std::string& out, const nlohmann::json& delta, std::string_view finish_reason) const {
    nlohmann::json j = base();
    nlohmann::json choice = {{"index", 0}, {"delta", delta}, {"logprobs", nullptr}};
    choice["finish_reason"] = finish_reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(finish_reason);
    j["choices"] = nlohmann::json::array({std::move(choice)});
    append_event(out, j);
}

void ChunkWriter::usage(std::string& out, const Usage& usage) const {
    nlohmann::json j = base();
    j["choices"] = nlohmann::json::array();
    j["usage"] = usage.to_json();
    append_event(out, j);
}

}  // namespace gaterouter::openai
