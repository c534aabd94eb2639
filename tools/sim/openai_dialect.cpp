// OpenAI Chat Completions. This is the dialect of the load benchmarks, so it stays off JSON trees: the
// request is validated and read with the allocation-free scanner, and answers are written by appending to
// strings.

#include <charconv>

#include <nlohmann/json.hpp>

#include "dialect.hpp"
#include "gaterouter/http/sse.hpp"
#include "gaterouter/obs/json_text.hpp"
#include "gaterouter/openai/json_scan.hpp"

namespace gaterouter::sim {
namespace {

using openai::JsonType;
using openai::JsonValue;
using openai::key_equals;

constexpr std::string_view kCreated = "1700000000";

std::optional<int> as_int(const JsonValue& v) {
    int n = 0;
    const char* end = v.raw.data() + v.raw.size();
    if (v.type != JsonType::number) return std::nullopt;
    const auto [at, ec] = std::from_chars(v.raw.data(), end, n);
    if (ec != std::errc{} || at != end) return std::nullopt;  // a fraction, an exponent, or out of range
    return n;
}

// The member `name` of an object value; null when absent or not an object.
JsonValue member(const JsonValue& object, std::string_view name) {
    JsonValue found;
    openai::for_each_member(object, [&](std::string_view key, const JsonValue& v) {
        if (!key_equals(key, name)) return true;
        found = v;
        return false;
    });
    return found;
}

bool is_string(const JsonValue& v, std::string_view text) {
    return v.type == JsonType::string && openai::decode_string(v) == text;
}

void append_usage(std::string& out, const Answer& a) {
    out += R"({"prompt_tokens":)";
    out += std::to_string(a.prompt_tokens);
    out += R"(,"completion_tokens":)";
    out += std::to_string(a.completion_tokens);
    out += R"(,"total_tokens":)";
    out += std::to_string(a.prompt_tokens + a.completion_tokens);
    out += '}';
}

// `{"id":…,"object":<object>,"created":…,"model":…,` — what every body and chunk of one answer starts with.
std::string envelope(const Answer& a, std::string_view object) {
    std::string out;
    out.reserve(128 + a.model.size());
    out += R"({"id":"chatcmpl-)";
    out += a.id;
    out += R"(","object":")";
    out += object;
    out += R"(","created":)";
    out += kCreated;
    out += R"(,"model":)";
    obs::append_json_string(out, a.model);
    out += ',';
    return out;
}

class OpenAiDialect final : public Dialect {
  public:
    bool read(const http::Request& request, ChatCall& call, std::string& error) const override {
        openai::JsonSyntaxError syntax;
        const std::optional<JsonValue> doc = openai::scan_json(request.body(), syntax);
        if (!doc) {
            error = "invalid JSON body at byte " + std::to_string(syntax.offset) + ": " + syntax.message;
            return false;
        }
        bool has_model = false, has_messages = false;
        std::optional<int> max_tokens, max_completion_tokens;
        openai::for_each_member(*doc, [&](std::string_view key, const JsonValue& v) {
            if (key_equals(key, "model")) {
                has_model = v.type == JsonType::string;
                if (has_model) call.model = openai::decode_string(v);
            } else if (key_equals(key, "messages")) {
                has_messages = v.type == JsonType::array;
                JsonValue last;
                openai::for_each_element(v, [&](const JsonValue& m) {
                    last = m;
                    return true;
                });
                call.after_tool_result = is_string(member(last, "role"), "tool");
            } else if (key_equals(key, "stream")) {
                call.stream = v.type == JsonType::boolean && v.raw == "true";
            } else if (key_equals(key, "stream_options")) {
                const JsonValue usage = member(v, "include_usage");
                call.include_usage = usage.type == JsonType::boolean && usage.raw == "true";
            } else if (key_equals(key, "max_tokens")) {
                max_tokens = as_int(v);
            } else if (key_equals(key, "max_completion_tokens")) {
                max_completion_tokens = as_int(v);
            } else if (key_equals(key, "tools")) {
                JsonValue first;
                openai::for_each_element(v, [&](const JsonValue& t) {
                    first = t;
                    return false;
                });
                const JsonValue name = member(member(first, "function"), "name");
                call.tool_name = name.type == JsonType::string ? openai::decode_string(name) : std::string();
            }
            return true;
        });
        if (doc->type != JsonType::object || !has_model || !has_messages) {
            error = "expected a JSON object with a string 'model' and an array 'messages'";
            return false;
        }
        call.max_tokens = max_completion_tokens ? max_completion_tokens : max_tokens;
        call.prompt_tokens = std::max<int>(1, static_cast<int>(request.body().size() / 4));
        return true;
    }

    std::string last_user_text(const http::Request& request) const override {
        openai::JsonSyntaxError syntax;
        const std::optional<JsonValue> doc = openai::scan_json(request.body(), syntax);
        if (!doc) return {};
        JsonValue content;
        openai::for_each_element(member(*doc, "messages"), [&](const JsonValue& m) {
            if (is_string(member(m, "role"), "user")) content = member(m, "content");
            return true;
        });
        if (content.type == JsonType::string) return openai::decode_string(content);
        std::string text;
        openai::for_each_element(content, [&](const JsonValue& part) {
            const JsonValue t = member(part, "text");
            if (is_string(member(part, "type"), "text") && t.type == JsonType::string) {
                text += openai::decode_string(t);
            }
            return true;
        });
        return text;
    }

    std::string whole(const Answer& a) const override {
        std::string out = envelope(a, "chat.completion");
        out.reserve(out.size() + 160 + a.model.size() + a.words.size() * 7);
        out += R"("choices":[{"index":0,"message":{"role":"assistant","content":)";
        if (a.tool_name.empty()) {
            obs::append_json_string(out, answer_text(a));
        } else {
            out += R"(null,"tool_calls":[{"id":"call_)";
            out += a.id;
            out += R"(","type":"function","function":{"name":)";
            obs::append_json_string(out, a.tool_name);
            out += R"(,"arguments":"{\"q\":\"sim\"}"}}])";
        }
        out += R"(},"finish_reason":")";
        out += finish_reason(a);
        out += R"("}],"usage":)";
        append_usage(out, a);
        out += '}';
        return out;
    }

    StreamPlan stream(const Answer& a) const override {
        const std::string head = envelope(a, "chat.completion.chunk") + R"("choices":[{"index":0,"delta":)";
        const auto chunk = [&head](std::string_view delta, std::string_view finish = "null") {
            std::string payload;
            payload.reserve(head.size() + delta.size() + 24);
            payload.append(head).append(delta).append(R"(,"finish_reason":)").append(finish).append("}]}");
            return http::sse_data(payload);
        };
        StreamPlan plan;
        plan.events.reserve(a.words.size() + 5);
        plan.events.push_back(chunk(R"({"role":"assistant","content":""})"));
        plan.first_content = 1;
        if (!a.tool_name.empty()) {
            std::string start = R"({"tool_calls":[{"index":0,"id":"call_)" + a.id;
            start += R"(","type":"function","function":{"name":)";
            obs::append_json_string(start, a.tool_name);
            start += R"(,"arguments":""}}]})";
            plan.events.push_back(chunk(start));
            for (std::string_view piece : {R"({\"q\":)", R"(\"sim\"})"}) {
                std::string delta = R"({"tool_calls":[{"index":0,"function":{"arguments":")";
                delta.append(piece).append(R"("}}]})");
                plan.events.push_back(chunk(delta));
            }
        } else {
            std::string text = "sim:" + a.model + " ", delta;
            for (std::size_t i = 0; i < a.words.size(); ++i) {
                if (i > 0) text = " ";
                text += a.words[i];
                delta.assign(R"({"content":)");
                obs::append_json_string(delta, text);
                delta += '}';
                plan.events.push_back(chunk(delta));
            }
        }
        plan.content_count = plan.events.size() - plan.first_content;
        plan.events.push_back(chunk("{}", std::string(1, '"') + finish_reason(a) + '"'));
        if (a.include_usage) {
            std::string usage = envelope(a, "chat.completion.chunk") + R"("choices":[],"usage":)";
            append_usage(usage, a);
            usage += '}';
            plan.events.push_back(http::sse_data(usage));
        }
        plan.events.push_back(http::sse_data("[DONE]"));
        return plan;
    }

    std::string error_body(unsigned status, std::string_view message) const override {
        const char* type = status == 429   ? "rate_limit_error"
                           : status >= 500 ? "server_error"
                                           : "invalid_request_error";
        return nlohmann::json{{"error",
                               {{"message", message},
                                {"type", type},
                                {"param", nullptr},
                                {"code", "sim_" + std::to_string(status)}}}}
            .dump();
    }

  private:
    static const char* finish_reason(const Answer& a) {
        if (!a.tool_name.empty()) return "tool_calls";
        return a.truncated ? "length" : "stop";
    }
};

}  // namespace

std::unique_ptr<Dialect> make_openai_dialect() {
    return std::make_unique<OpenAiDialect>();
}

std::string answer_text(const Answer& answer) {
    std::string text = "sim:" + answer.model;
    for (const auto& w : answer.words) text.append(" ").append(w);
    return text;
}

}  // namespace gaterouter::sim
