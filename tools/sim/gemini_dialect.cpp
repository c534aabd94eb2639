#include <nlohmann/json.hpp>

#include "dialect.hpp"
#include "gaterouter/openai/json_access.hpp"

namespace gaterouter::sim {
namespace {

using nlohmann::json;

// The model and method of ".../models/<model>:<method>" targets.
bool split_target(std::string_view target, std::string& model, std::string& method) {
    target = http::path_of(target);
    const auto at = target.find("/models/");
    if (at == std::string_view::npos) return false;
    const std::string_view rest = target.substr(at + 8);
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) return false;
    model = std::string(rest.substr(0, colon));
    method = std::string(rest.substr(colon + 1));
    return !model.empty();
}

class GeminiDialect final : public Dialect {
  public:
    bool read(const http::Request& request, ChatCall& call, std::string& error) const override {
        std::string method;
        const json body = json::parse(request.body(), nullptr, false);
        if (!split_target(request.target(), call.model, method) ||
            (method != "generateContent" && method != "streamGenerateContent") || !body.is_object() ||
            !body.contains("contents") || !body["contents"].is_array()) {
            error = "expected POST .../models/<model>:generateContent with a 'contents' array";
            return false;
        }
        call.stream = method == "streamGenerateContent";
        call.include_usage = true;
        const json& gen = openai::field(body, "generationConfig");
        if (gen.contains("maxOutputTokens") && gen["maxOutputTokens"].is_number_integer()) {
            call.max_tokens = gen["maxOutputTokens"].get<int>();
        }
        const json& tools = openai::field(body, "tools");
        if (tools.is_array() && !tools.empty()) {
            const json& decls = openai::field(tools[0], "functionDeclarations");
            if (!decls.empty()) call.tool_name = openai::get_or(decls[0], "name", "");
        }
        const json& contents = body["contents"];
        if (!contents.empty()) {
            for (const auto& part : openai::field(contents.back(), "parts")) {
                if (part.contains("functionResponse")) call.after_tool_result = true;
            }
        }
        call.prompt_tokens = std::max<int>(1, static_cast<int>(request.body().size() / 4));
        return true;
    }

    std::string last_user_text(const http::Request& request) const override {
        const json body = json::parse(request.body(), nullptr, false);
        const json& contents = openai::field(body, "contents");
        if (!contents.is_array()) return {};
        for (auto c = contents.rbegin(); c != contents.rend(); ++c) {
            if (openai::get_or(*c, "role", "user") != "user") continue;  // Gemini's role defaults to user
            std::string text;
            for (const auto& part : openai::field(*c, "parts")) text += openai::get_or(part, "text", "");
            return text;
        }
        return {};
    }

    std::string whole(const Answer& a) const override {
        json parts = json::array();
        if (!a.tool_name.empty()) {
            parts.push_back(function_call(a));
        } else {
            parts.push_back({{"text", answer_text(a)}});
        }
        return response(a, parts, a.truncated ? "MAX_TOKENS" : "STOP", true).dump();
    }

    StreamPlan stream(const Answer& a) const override {
        StreamPlan plan;
        if (!a.tool_name.empty()) {
            plan.events.push_back(data(response(a, json::array({function_call(a)}), "STOP", true)));
            plan.content_count = 1;
            return plan;
        }
        const std::string prefix = "sim:" + a.model + " ";
        for (std::size_t i = 0; i < a.words.size(); ++i) {
            const bool last = i + 1 == a.words.size();
            const json parts = json::array({{{"text", (i == 0 ? prefix : " ") + a.words[i]}}});
            plan.events.push_back(
                data(response(a, parts, last ? (a.truncated ? "MAX_TOKENS" : "STOP") : "", last)));
        }
        plan.content_count = plan.events.size();
        return plan;
    }

    std::string error_body(unsigned status, std::string_view message) const override {
        const char* state = status == 429   ? "RESOURCE_EXHAUSTED"
                            : status == 503 ? "UNAVAILABLE"
                            : status == 401 ? "UNAUTHENTICATED"
                            : status == 403 ? "PERMISSION_DENIED"
                            : status >= 500 ? "INTERNAL"
                                            : "INVALID_ARGUMENT";
        return json{{"error", {{"code", status}, {"message", message}, {"status", state}}}}.dump();
    }

  private:
    static std::string data(const json& j) { return "data: " + j.dump() + "\r\n\r\n"; }

    static json function_call(const Answer& a) {
        return {{"functionCall", {{"name", a.tool_name}, {"args", {{"q", "sim"}}}}},
                {"thoughtSignature", "c2ltLXNpZw=="}};
    }

    static json response(const Answer& a, const json& parts, const std::string& finish, bool with_usage) {
        json candidate = {{"content", {{"role", "model"}, {"parts", parts}}}, {"index", 0}};
        if (!finish.empty()) candidate["finishReason"] = finish;
        json r = {{"candidates", json::array({candidate})}, {"modelVersion", a.model}, {"responseId", a.id}};
        if (with_usage) {
            r["usageMetadata"] = {{"promptTokenCount", a.prompt_tokens},
                                  {"candidatesTokenCount", a.completion_tokens},
                                  {"totalTokenCount", a.prompt_tokens + a.completion_tokens}};
        }
        return r;
    }
};

}  // namespace

std::unique_ptr<Dialect> make_gemini_dialect() {
    return std::make_unique<GeminiDialect>();
}

}  // namespace gaterouter::sim
