#include <nlohmann/json.hpp>

#include "dialect.hpp"
#include "gaterouter/http/sse.hpp"
#include "gaterouter/openai/json_access.hpp"

namespace gaterouter::sim {
namespace {

using nlohmann::json;

std::string event(const char* name, const json& j) {
    return http::sse_event(name, j.dump());
}

class AnthropicDialect final : public Dialect {
  public:
    bool read(const http::Request& request, ChatCall& call, std::string& error) const override {
        const json body = json::parse(request.body(), nullptr, false);
        if (!body.is_object() || !body.contains("model") || !body["model"].is_string() ||
            !body.contains("messages") || !body["messages"].is_array() || !body.contains("max_tokens") ||
            !body["max_tokens"].is_number_integer()) {
            error = "expected model, messages and max_tokens";
            return false;
        }
        call.model = body["model"].get<std::string>();
        call.stream = openai::get_or<bool>(body, "stream", false);
        call.include_usage = true;  // Anthropic streams always carry usage
        call.max_tokens = body["max_tokens"].get<int>();
        const json& tools = openai::field(body, "tools");
        if (tools.is_array() && !tools.empty()) call.tool_name = openai::get_or(tools[0], "name", "");
        const json& messages = body["messages"];
        if (!messages.empty() && messages.back().contains("content") &&
            messages.back()["content"].is_array()) {
            for (const auto& block : messages.back()["content"]) {
                if (openai::get_or(block, "type", "") == "tool_result") call.after_tool_result = true;
            }
        }
        call.prompt_tokens = std::max<int>(1, static_cast<int>(request.body().size() / 4));
        return true;
    }

    std::string last_user_text(const http::Request& request) const override {
        const json body = json::parse(request.body(), nullptr, false);
        const json& messages = openai::field(body, "messages");
        if (!messages.is_array()) return {};
        for (auto m = messages.rbegin(); m != messages.rend(); ++m) {
            if (openai::get_or(*m, "role", "") != "user") continue;
            const json& content = openai::field(*m, "content");
            if (content.is_string()) return content.get<std::string>();
            std::string text;
            if (content.is_array()) {
                for (const auto& block : content) {
                    if (openai::get_or(block, "type", "") != "text") continue;
                    text += openai::get_or(block, "text", "");
                }
            }
            return text;
        }
        return {};
    }

    std::string whole(const Answer& a) const override {
        json content = json::array();
        std::string stop = a.truncated ? "max_tokens" : "end_turn";
        if (!a.tool_name.empty()) {
            content.push_back({{"type", "tool_use"},
                               {"id", "toolu_" + a.id},
                               {"name", a.tool_name},
                               {"input", {{"q", "sim"}}}});
            stop = "tool_use";
        } else {
            content.push_back({{"type", "text"}, {"text", answer_text(a)}});
        }
        return json{{"id", "msg_" + a.id},
                    {"type", "message"},
                    {"role", "assistant"},
                    {"model", a.model},
                    {"content", content},
                    {"stop_reason", stop},
                    {"stop_sequence", nullptr},
                    {"usage", {{"input_tokens", a.prompt_tokens}, {"output_tokens", a.completion_tokens}}}}
            .dump();
    }

    StreamPlan stream(const Answer& a) const override {
        StreamPlan plan;
        plan.events.push_back(event(
            "message_start", {{"type", "message_start"},
                              {"message",
                               {{"id", "msg_" + a.id},
                                {"type", "message"},
                                {"role", "assistant"},
                                {"content", json::array()},
                                {"model", a.model},
                                {"stop_reason", nullptr},
                                {"usage", {{"input_tokens", a.prompt_tokens}, {"output_tokens", 1}}}}}}));
        std::string stop = a.truncated ? "max_tokens" : "end_turn";
        if (!a.tool_name.empty()) {
            plan.events.push_back(event("content_block_start", {{"type", "content_block_start"},
                                                                {"index", 0},
                                                                {"content_block",
                                                                 {{"type", "tool_use"},
                                                                  {"id", "toolu_" + a.id},
                                                                  {"name", a.tool_name},
                                                                  {"input", json::object()}}}}));
            plan.events.push_back(event("ping", {{"type", "ping"}}));
            plan.first_content = plan.events.size();
            for (const char* piece : {R"({"q":)", R"("sim"})"}) {
                plan.events.push_back(
                    event("content_block_delta",
                          {{"type", "content_block_delta"},
                           {"index", 0},
                           {"delta", {{"type", "input_json_delta"}, {"partial_json", piece}}}}));
            }
            stop = "tool_use";
        } else {
            plan.events.push_back(
                event("content_block_start", {{"type", "content_block_start"},
                                              {"index", 0},
                                              {"content_block", {{"type", "text"}, {"text", ""}}}}));
            plan.events.push_back(event("ping", {{"type", "ping"}}));
            plan.first_content = plan.events.size();
            const std::string prefix = "sim:" + a.model + " ";
            for (std::size_t i = 0; i < a.words.size(); ++i) {
                plan.events.push_back(event(
                    "content_block_delta",
                    {{"type", "content_block_delta"},
                     {"index", 0},
                     {"delta", {{"type", "text_delta"}, {"text", (i == 0 ? prefix : " ") + a.words[i]}}}}));
            }
        }
        plan.content_count = plan.events.size() - plan.first_content;
        plan.events.push_back(event("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}}));
        plan.events.push_back(
            event("message_delta", {{"type", "message_delta"},
                                    {"delta", {{"stop_reason", stop}, {"stop_sequence", nullptr}}},
                                    {"usage", {{"output_tokens", a.completion_tokens}}}}));
        plan.events.push_back(event("message_stop", {{"type", "message_stop"}}));
        return plan;
    }

    std::string error_body(unsigned status, std::string_view message) const override {
        const char* type = status == 429   ? "rate_limit_error"
                           : status == 529 ? "overloaded_error"
                           : status == 401 ? "authentication_error"
                           : status >= 500 ? "api_error"
                                           : "invalid_request_error";
        return json{{"type", "error"}, {"error", {{"type", type}, {"message", message}}}}.dump();
    }
};

}  // namespace

std::unique_ptr<Dialect> make_anthropic_dialect() {
    return std::make_unique<AnthropicDialect>();
}

}  // namespace gaterouter::sim
