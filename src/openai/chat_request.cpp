#include "gaterouter/openai/chat_request.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>

namespace gaterouter::openai {
namespace {

const char* type_name(JsonType t) {
    switch (t) {
        case JsonType::object:
            return "an object";
        case JsonType::array:
            return "an array";
        case JsonType::string:
            return "a string";
        case JsonType::number:
            return "a number";
        case JsonType::boolean:
            return "a boolean";
        case JsonType::null:
            return "null";
    }
    return "a value";
}

ApiError wrong_type(std::string_view param, std::string_view expected, JsonType got) {
    return invalid_request("Invalid type for '" + std::string(param) + "': expected " +
                               std::string(expected) + ", but got " + type_name(got) + ".",
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

// The sampling parameters whose type and range OpenAI checks; sent to the upstream as they are, so a value it
// would refuse is refused here, with the parameter named, before any model is chosen or paid for.
struct NumberParam {
    std::string_view name;
    double min;
    double max;
    bool integer;
};
constexpr NumberParam kNumberParams[] = {
    {"temperature", 0, 2, false},        {"top_p", 0, 1, false},        {"presence_penalty", -2, 2, false},
    {"frequency_penalty", -2, 2, false}, {"top_logprobs", 0, 20, true}, {"seed", -9.2e18, 9.2e18, true},
};
// `n` is checked alike, and read: a reservation holds n answers.
constexpr NumberParam kChoicesParam{"n", 1, static_cast<double>(kMaxChoices), true};

std::optional<ApiError> check_number(const NumberParam& p, const JsonValue& v) {
    if (v.type == JsonType::null) return std::nullopt;
    if (v.type != JsonType::number) return wrong_type(p.name, p.integer ? "an integer" : "a number", v.type);
    double x = 0;
    std::from_chars(v.raw.data(), v.raw.data() + v.raw.size(), x);
    if (p.integer && !as_integer(v)) return wrong_type(p.name, "an integer", v.type);
    if (x < p.min || x > p.max) {
        char range[64];
        std::snprintf(range, sizeof range, "%g and %g", p.min, p.max);
        return invalid_request("Invalid '" + std::string(p.name) + "': expected a value between " + range +
                                   ", but got " + std::string(v.raw) + ".",
                               std::string(p.name), "invalid_value");
    }
    return std::nullopt;
}

constexpr std::string_view kBooleanParams[] = {"logprobs", "parallel_tool_calls", "store"};

std::string_view name_of(const NumberParam& p) {
    return p.name;
}
std::string_view name_of(std::string_view name) {
    return name;
}

// The entry of `table` for a member's raw key, or null.
template <class Param, std::size_t N>
const Param* find_param(const Param (&table)[N], std::string_view raw_key) {
    for (const Param& p : table) {
        if (key_equals(raw_key, name_of(p))) return &p;
    }
    return nullptr;
}

std::optional<ApiError> check_boolean(std::string_view name, const JsonValue& v) {
    if (v.type == JsonType::boolean || v.type == JsonType::null) return std::nullopt;
    return wrong_type(name, "a boolean", v.type);
}

// The `stop` sequences: a string, or a list of strings.
std::optional<ApiError> check_stop(const JsonValue& v) {
    if (v.type == JsonType::null || v.type == JsonType::string) return std::nullopt;
    if (v.type != JsonType::array) return wrong_type("stop", "a string or an array of strings", v.type);
    std::optional<ApiError> problem;
    std::size_t index = 0;
    for_each_element(v, [&](const JsonValue& s) {
        if (s.type != JsonType::string)
            problem = wrong_type("stop[" + std::to_string(index) + "]", "a string", s.type);
        ++index;
        return !problem;
    });
    return problem;
}

// The roles Chat Completions knows; `function` is its deprecated predecessor of `tool`.
bool known_role(const JsonValue& role) {
    for (const std::string_view r : {"system", "developer", "user", "assistant", "tool", "function"}) {
        if (role.raw.size() == r.size() + 2 && role.raw.substr(1, r.size()) == r) return true;
    }
    return false;
}

// Bytes of text the model will read in one message's content (a string, or text parts); image parts are
// counted apart, since a base64 image's bytes say nothing about its token cost.
void measure_content(const JsonValue& content, ChatRequest& out, std::size_t& text_bytes) {
    if (content.type == JsonType::string) {
        text_bytes += content.raw.size();
        return;
    }
    for_each_element(content, [&](const JsonValue& part) {
        for_each_member(part, [&](std::string_view key, const JsonValue& v) {
            if (key_equals(key, "text")) text_bytes += v.raw.size();
            if (key_equals(key, "type") && v.raw == "\"image_url\"") {
                out.has_images = true;
                ++out.image_count;
            }
            return true;
        });
        return true;
    });
}

std::optional<ApiError> read_messages(ChatRequest& out, std::size_t& text_bytes) {
    const JsonValue& messages = out.messages;
    if (messages.type != JsonType::array) return wrong_type("messages", "an array", messages.type);
    std::optional<ApiError> problem;
    std::size_t index = 0;
    const auto where = [&index] { return "messages[" + std::to_string(index) + "]"; };
    for_each_element(messages, [&](const JsonValue& m) {
        if (m.type != JsonType::object) {
            problem = wrong_type(where(), "an object", m.type);
            return false;
        }
        bool has_role = false;
        KeyTracker keys;
        for_each_member(m, [&](std::string_view key, const JsonValue& v) {
            if (keys.repeats(key)) {
                problem = duplicate_key(where() + "." + std::string(key));
                return false;
            }
            if (key_equals(key, "role")) {
                has_role = true;
                if (v.type != JsonType::string) {
                    problem = wrong_type(where() + ".role", "a string", v.type);
                } else if (!known_role(v)) {
                    problem = invalid_request("Invalid '" + where() + ".role': " + std::string(v.raw) +
                                                  " is not one of 'system', 'developer', 'user', "
                                                  "'assistant', 'tool'.",
                                              where() + ".role", "invalid_value");
                }
            } else if (key_equals(key, "content")) {
                if (v.type != JsonType::string && v.type != JsonType::array && v.type != JsonType::null) {
                    problem =
                        wrong_type(where() + ".content", "a string or an array of content parts", v.type);
                } else {
                    measure_content(v, out, text_bytes);
                }
            } else if (key_equals(key, "tool_calls")) {
                text_bytes += v.raw.size();
            }
            return !problem;
        });
        if (!problem && !has_role) {
            problem = invalid_request("Missing required parameter: '" + where() + ".role'.",
                                      where() + ".role", "missing_required_parameter");
        }
        ++index;
        return !problem;
    });
    out.message_count = index;
    if (!problem && index == 0) {
        problem = invalid_request("'messages' must contain at least one message.", "messages", "empty_array");
    }
    return problem;
}

std::uint32_t prompt_tokens(std::size_t text_tokens, std::size_t messages, std::size_t images) {
    // A few tokens of framing per message; a high-detail image tile budget per image.
    const std::size_t tokens = text_tokens + 4 * messages + 3 + 1100 * images;
    return static_cast<std::uint32_t>(std::min<std::size_t>(tokens, UINT32_MAX));
}

}  // namespace

std::uint32_t estimate_prompt_tokens(std::size_t text_bytes, std::size_t tools_bytes, std::size_t messages,
                                     std::size_t images) {
    // About four bytes of English (or JSON) per token for the tokenizers in use. An estimate for routing, not
    // for billing.
    return prompt_tokens((text_bytes + tools_bytes + 3) / 4, messages, images);
}

std::uint32_t max_prompt_tokens(std::size_t text_bytes, std::size_t tools_bytes, std::size_t messages,
                                std::size_t images) {
    // Byte-level BPE tokenizers make at most one token of each byte (text that is all rare characters comes
    // close): a reservation at this size cannot be outspent by an honest upstream's count.
    return prompt_tokens(text_bytes + tools_bytes, messages, images);
}

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
    KeyTracker keys;
    for_each_member(*root, [&](std::string_view key, const JsonValue& v) {
        if (keys.repeats(key)) {
            problem = duplicate_key(key);
            return false;
        }
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
        } else if (key_equals(key, "gaterouter")) {
            if (out.extension) {
                problem = invalid_request("'gaterouter' is given twice.", "gaterouter", "invalid_value");
            } else if (v.type != JsonType::object) {
                problem = wrong_type("gaterouter", "an object", v.type);
            } else {
                out.extension = v;
            }
        } else if (key_equals(key, "stream")) {
            if (v.type == JsonType::boolean) {
                out.stream = v.raw == "true";
            } else if (v.type != JsonType::null) {
                problem = wrong_type("stream", "a boolean", v.type);
            }
        } else if (key_equals(key, "stream_options")) {
            // Kept even when null: the gateway puts its own in the same place, so the body sent upstream has
            // one stream_options, never the client's beside the gateway's.
            if (v.type != JsonType::object && v.type != JsonType::null) {
                problem = wrong_type("stream_options", "an object", v.type);
            } else {
                out.stream_options = v;
                for_each_member(v, [&](std::string_view k, const JsonValue& o) {
                    if (key_equals(k, "include_usage")) out.include_usage = o.raw == "true";
                    return true;
                });
            }
        } else if (key_equals(key, "n")) {
            problem = check_number(kChoicesParam, v);
            if (!problem && v.type != JsonType::null)
                out.choices = static_cast<std::uint32_t>(*as_integer(v));
        } else if (key_equals(key, "stop")) {
            problem = check_stop(v);
        } else if (const std::string_view* flag = find_param(kBooleanParams, key)) {
            problem = check_boolean(*flag, v);
        } else if (key_equals(key, "tools")) {
            if (v.type == JsonType::array) {
                out.tools_bytes = v.raw.size();
                out.wants_tools = v.raw.find('{') != std::string_view::npos;  // a non-empty list
            } else if (v.type != JsonType::null) {
                problem = wrong_type("tools", "an array", v.type);
            }
        } else if (key_equals(key, "response_format")) {
            for_each_member(v, [&](std::string_view k, const JsonValue& t) {
                if (key_equals(k, "type"))
                    out.json_mode = t.raw == "\"json_object\"" || t.raw == "\"json_schema\"";
                return true;
            });
        } else if (const NumberParam* param = find_param(kNumberParams, key)) {
            problem = check_number(*param, v);
        } else if (key_equals(key, "max_tokens") || key_equals(key, "max_completion_tokens")) {
            if (v.type == JsonType::null) return true;
            const bool newer = key_equals(key, "max_completion_tokens");
            const auto n = as_integer(v);
            if (!n || *n < 1) {
                const char* name = newer ? "max_completion_tokens" : "max_tokens";
                problem =
                    invalid_request("Invalid '" + std::string(name) + "': expected an integer of at least 1.",
                                    name, "invalid_value");
            } else if (newer || !out.max_tokens) {
                out.max_tokens = n;
            }
        }
        return !problem;
    });
    if (problem) return problem;
    if (!has_model)
        return invalid_request("Missing required parameter: 'model'.", "model", "missing_required_parameter");
    if (out.model.empty()) return invalid_request("'model' must not be empty.", "model", "invalid_value");
    if (!has_messages) {
        return invalid_request("Missing required parameter: 'messages'.", "messages",
                               "missing_required_parameter");
    }
    std::size_t text_bytes = 0;
    if (auto bad = read_messages(out, text_bytes)) return bad;
    out.estimated_prompt_tokens =
        estimate_prompt_tokens(text_bytes, out.tools_bytes, out.message_count, out.image_count);
    out.max_prompt_tokens =
        max_prompt_tokens(text_bytes, out.tools_bytes, out.message_count, out.image_count);
    return std::nullopt;
}

}  // namespace gaterouter::openai
