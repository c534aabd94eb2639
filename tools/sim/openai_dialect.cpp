#include <nlohmann/json.hpp>

#include "dialect.hpp"
#include "gaterouter/openai/json_access.hpp"

namespace gaterouter::sim {
namespace {

using nlohmann::json;

std::string data(const json& j) { return "data: " + j.dump() + "\n\n"; }

class OpenAiDialect final : public Dialect {
public:
    bool read(const http::Request& request, ChatCall& call, std::string& error) const override {
        const json body = json::parse(request.body(), nullptr, false);
        if (!body.is_object() || !body.contains("model") || !body["model"].is_string() ||
            !body.contains("messages") || !body["messages"].is_array()) {
            error = "expected a JSON object with a string 'model' and an array 'messages'";
            return false;
        }
        call.model = body["model"].get<std::string>();
        call.stream = openai::get_or<bool>(body, "stream", false);
        call.include_usage = openai::get_or<bool>(openai::field(body, "stream_options"), "include_usage", false);
        for (const char* key : {"max_tokens", "max_completion_tokens"}) {
            if (body.contains(key) && body[key].is_number_integer()) call.max_tokens = body[key].get<int>();
        }
        const json& tools = openai::field(body, "tools");
        if (tools.is_array() && !tools.empty()) {
            call.tool_name = openai::get_or(openai::field(tools[0], "function"), "name", "");
        }
        const json& messages = body["messages"];
        call.after_tool_result = !messages.empty() && openai::get_or(messages.back(), "role", "") == "tool";
        call.prompt_tokens = std::max<int>(1, static_cast<int>(request.body().size() / 4));
        return true;
    }

    std::string whole(const Answer& a) const override {
        json message = {{"role", "assistant"}, {"content", answer_text(a)}};
        std::string finish = a.truncated ? "length" : "stop";
        if (!a.tool_name.empty()) {
            message["content"] = nullptr;
            message["tool_calls"] = json::array({{{"id", "call_" + a.id},
                                                  {"type", "function"},
                                                  {"function", {{"name", a.tool_name}, {"arguments", R"({"q":"sim"})"}}}}});
            finish = "tool_calls";
        }
        return json{{"id", "chatcmpl-" + a.id},
                    {"object", "chat.completion"},
                    {"created", 1700000000},
                    {"model", a.model},
                    {"choices", json::array({{{"index", 0}, {"message", message}, {"finish_reason", finish}}})},
                    {"usage", usage(a)}}
            .dump();
    }

    StreamPlan stream(const Answer& a) const override {
        StreamPlan plan;
        plan.events.push_back(chunk(a, {{"role", "assistant"}, {"content", ""}}));
        plan.first_content = 1;
        std::string finish = a.truncated ? "length" : "stop";
        if (!a.tool_name.empty()) {
            plan.events.push_back(chunk(a, {{"tool_calls", json::array({{{"index", 0},
                                                                         {"id", "call_" + a.id},
                                                                         {"type", "function"},
                                                                         {"function", {{"name", a.tool_name}, {"arguments", ""}}}}})}}));
            for (const char* piece : {R"({"q":)", R"("sim"})"}) {
                plan.events.push_back(
                    chunk(a, {{"tool_calls", json::array({{{"index", 0}, {"function", {{"arguments", piece}}}}})}}));
            }
            finish = "tool_calls";
        } else {
            const std::string prefix = "sim:" + a.model + " ";
            for (std::size_t i = 0; i < a.words.size(); ++i) {
                const std::string text = (i == 0 ? prefix : " ") + a.words[i];
                plan.events.push_back(chunk(a, {{"content", text}}));
            }
        }
        plan.content_count = plan.events.size() - plan.first_content;
        plan.events.push_back(chunk(a, json::object(), finish));
        if (a.include_usage) {
            plan.events.push_back(data({{"id", "chatcmpl-" + a.id},
                                        {"object", "chat.completion.chunk"},
                                        {"created", 1700000000},
                                        {"model", a.model},
                                        {"choices", json::array()},
                                        {"usage", usage(a)}}));
        }
        plan.events.push_back("data: [DONE]\n\n");
        return plan;
    }

    std::string error_body(unsigned status, std::string_view message) const override {
        const char* type = status == 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error";
        return json{{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", "sim_" + std::to_string(status)}}}}
            .dump();
    }

private:
    static json usage(const Answer& a) {
        return {{"prompt_tokens", a.prompt_tokens},
                {"completion_tokens", a.completion_tokens},
                {"total_tokens", a.prompt_tokens + a.completion_tokens}};
    }

    static std::string chunk(const Answer& a, const json& delta, const std::string& finish = {}) {
        return data({{"id", "chatcmpl-" + a.id},
                     {"object", "chat.completion.chunk"},
                     {"created", 1700000000},
                     {"model", a.model},
                     {"choices", json::array({{{"index", 0},
                                               {"delta", delta},
                                               {"finish_reason", finish.empty() ? json() : json(finish)}}})}});
    }
};

}  // namespace

std::unique_ptr<Dialect> make_openai_dialect() { return std::make_unique<OpenAiDialect>(); }

std::string answer_text(const Answer& answer) {
    std::string text = "sim:" + answer.model;
    for (const auto& w : answer.words) text.append(" ").append(w);
    return text;
}

}  // namespace gaterouter::sim
