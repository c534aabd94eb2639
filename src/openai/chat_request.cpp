#include "gaterouter/openai/chat_request.hpp"

#include <charconv>

namespace gaterouter::openai {
namespace {

const char* type_name(JsonType t) {
    switch (t) {
        case JsonType::object: return "an object";
        case JsonType::array: return "an array";
        case JsonType::string: return "a string";
        case JsonType::number: return "a number";
        case JsonType::boolean: return "a boolean";
        case JsonType::null: return "null";
    }
    return "a value";
}

ApiError wrong_type(std::string_view param, std::string_view expected, JsonType got) {
    return invalid_request("Invalid type for '" + std::string(param) + "': expected " + std::string(expected) +
                               ", but got " + type_name(got) + ".",
                           std::string(param), "invalid_type");
}

std::optional<std::int64_t> as_integer(const JsonValue& v) {
    if (v.type != JsonType::number) return std::nullopt;
    std::int64_t n = 0;
    const auto* end = v.raw.data() + v.raw.size();
    auto [ptr, ec] = std::from_chars(v.raw.data(), end, n);
    if (ec != std::errc{} || ptr != end) return std::nullopt;  // fractions, exponents, overflow
    return n;
}

std::optional<ApiError> check_messages(const JsonValue& messages, std::size_t& count) {
    if (messages.type != JsonType::array) return wrong_type("messages", "an array", messages.type);
    std::optional<ApiError> problem;
    count = 0;
    for_each_element(messages, [&](const JsonValue& m) {
        const std::string where = "messages[" + std::to_string(count) + "]";
        ++count;
        if (m.type != JsonType::object) {
            problem = wrong_type(where, "an object", m.type);
            return false;
        }
        bool has_role = false;
        for_each_member(m, [&](std::string_view key, const JsonValue& v) {
            if (!key_equals(key, "role")) return true;
            has_role = true;
            if (v.type != JsonType::string) problem = wrong_type(where + ".role", "a string", v.type);
            return false;
        });
        if (!problem && !has_role) {
            problem = invalid_request("Missing required parameter: '" + where + ".role'.", where + ".role",
                                      "missing_required_parameter");
        }
        return !problem;
    });
    if (!problem && count == 0) {
        problem = invalid_request("'messages' must contain at least one message.", "messages", "empty_array");
    }
    return problem;
}

}  // namespace

std::optional<ApiError> parse_chat_request(std::string_view body, ChatRequest& out) {
    out = ChatRequest{};
    out.body = body;
    JsonSyntaxError syntax;
    const auto root = scan_json(body, syntax);
    if (!root) return invalid_json(syntax.message, syntax.offset);
    if (root->type != JsonType::object) {
        return invalid_request("The request body must be a JSON object.", {}, "invalid_json");
    }
    out.root = *root;

    std::optional<ApiError> problem;
    bool has_model = false, has_messages = false;
    for_each_member(*root, [&](std::string_view key, const JsonValue& v) {
        if (key_equals(key, "model")) {
            has_model = true;
            if (v.type != JsonType::string) {
                problem = wrong_type("model", "a string", v.type);
            } else {
                out.model = decode_string(v);
                out.model_value = v;
            }
        } else if (key_equals(key, "messages")) {
            has_messages = true;
            out.messages = v;
        } else if (key_equals(key, "stream")) {
            if (v.type == JsonType::boolean) {
                out.stream = v.raw == "true";
            } else if (v.type != JsonType::null) {
                problem = wrong_type("stream", "a boolean", v.type);
            }
        } else if (key_equals(key, "stream_options")) {
            if (v.type == JsonType::object) {
                for_each_member(v, [&](std::string_view k, const JsonValue& o) {
                    if (key_equals(k, "include_usage")) out.include_usage = o.raw == "true";
                    return true;
                });
            } else if (v.type != JsonType::null) {
                problem = wrong_type("stream_options", "an object", v.type);
            }
        } else if (key_equals(key, "max_tokens") || key_equals(key, "max_completion_tokens")) {
            if (v.type == JsonType::null) return true;
            const bool newer = key_equals(key, "max_completion_tokens");
            const auto n = as_integer(v);
            if (!n || *n < 1) {
                const char* name = newer ? "max_completion_tokens" : "max_tokens";
                problem = invalid_request("Invalid '" + std::string(name) + "': expected an integer of at least 1.",
                                          name, "invalid_value");
            } else if (newer || !out.max_tokens) {
                out.max_tokens = n;
            }
        }
        return !problem;
    });
    if (problem) return problem;
    if (!has_model) return invalid_request("Missing required parameter: 'model'.", "model", "missing_required_parameter");
    if (out.model.empty()) return invalid_request("'model' must not be empty.", "model", "invalid_value");
    if (!has_messages) {
        return invalid_request("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
    }
    return check_messages(out.messages, out.message_count);
}

}  // namespace gaterouter::openai
