#include "gaterouter/providers/gemini_protocol.hpp"

#include <map>

#include "gaterouter/openai/completion.hpp"
#include "gaterouter/openai/json_access.hpp"
#include "message_parts.hpp"

namespace gaterouter::providers {

using nlohmann::json;

namespace {

json image_part(const json& part) {
    const std::string url = image_url_of(part);
    std::string media_type, data;
    if (split_data_url(url, media_type, data))
        return {{"inlineData", {{"mimeType", media_type}, {"data", data}}}};
    return {{"fileData", {{"fileUri", url}}}};
}

json parts_of(const json& content) {
    json parts = json::array();
    if (content.is_string()) {
        if (!content.get_ref<const std::string&>().empty()) parts.push_back({{"text", content}});
    } else if (content.is_array()) {
        for (const auto& part : content) {
            const std::string type = openai::get_or(part, "type", "");
            if (type == "text") parts.push_back({{"text", openai::get_or(part, "text", "")}});
            if (type == "image_url") parts.push_back(image_part(part));
        }
    }
    return parts;
}

json translate_messages(const json& in, json& system) {
    json contents = json::array();
    std::string system_text;
    std::map<std::string, std::string> tool_names;  // tool_call_id → function name: Gemini answers by name
    for (const auto& m : in) {
        const std::string role = openai::get_or(m, "role", "");
        const json content = openai::field(m, "content");
        if (role == "system" || role == "developer") {
            if (!system_text.empty()) system_text += "\n\n";
            system_text += text_of(content);
        } else if (role == "user") {
            push_turn(contents, "user", parts_of(content), "parts");
        } else if (role == "assistant") {
            json parts = parts_of(content);
            for (const auto& call : openai::field(m, "tool_calls")) {
                const json& f = openai::field(call, "function");
                const std::string name = openai::get_or(f, "name", "");
                tool_names[openai::get_or(call, "id", "")] = name;
                json args = openai::parse_json(openai::get_or(f, "arguments", "{}"));
                json part = {
                    {"functionCall", {{"name", name}, {"args", args.is_object() ? args : json::object()}}}};
                const json& ext = openai::field(call, "gaterouter");
                if (ext.contains("thought_signature")) part["thoughtSignature"] = ext["thought_signature"];
                parts.push_back(std::move(part));
            }
            push_turn(contents, "model", std::move(parts), "parts");
        } else if (role == "tool") {
            const std::string id = openai::get_or(m, "tool_call_id", "");
            const auto it = tool_names.find(id);
            const std::string result = text_of(content);
            json response = openai::parse_json(result);
            if (!response.is_object()) response = {{"result", result}};
            push_turn(contents, "user",
                      json::array(
                          {{{"functionResponse",
                             {{"name", it == tool_names.end() ? id : it->second}, {"response", response}}}}}),
                      "parts");
        }
    }
    if (!system_text.empty()) system = {{"parts", json::array({{{"text", system_text}}})}};
    return contents;
}

json translate_tool_config(const json& choice) {
    json config = {{"mode", "AUTO"}};
    if (choice.is_string()) {
        const std::string c = choice.get<std::string>();
        config["mode"] = c == "required" ? "ANY" : c == "none" ? "NONE" : "AUTO";
    } else if (choice.is_object()) {
        config = {{"mode", "ANY"},
                  {"allowedFunctionNames",
                   json::array({openai::get_or(openai::field(choice, "function"), "name", "")})}};
    }
    return {{"functionCallingConfig", config}};
}

std::string finish_reason(const std::string& reason, bool has_tool_calls) {
    if (reason == "MAX_TOKENS") return "length";
    if (reason == "SAFETY" || reason == "RECITATION" || reason == "BLOCKLIST" ||
        reason == "PROHIBITED_CONTENT" || reason == "SPII" || reason == "IMAGE_SAFETY") {
        return "content_filter";
    }
    return has_tool_calls ? "tool_calls" : "stop";
}

openai::Usage usage_of(const json& u) {
    openai::Usage usage;
    const auto thoughts = openai::token_count(u, "thoughtsTokenCount");
    usage.prompt_tokens = openai::token_count(u, "promptTokenCount");
    usage.completion_tokens = openai::token_count(u, "candidatesTokenCount") + thoughts;
    usage.cached_tokens = openai::token_count(u, "cachedContentTokenCount");
    usage.reasoning_tokens = thoughts;
    return usage;
}

// The pieces of one candidate's parts, in OpenAI's terms. Tool calls get ids here: Gemini's own when it sends
// one, else one made from the response id and position.
struct Parts {
    std::string text;
    std::string reasoning;
    json tool_calls = json::array();
};

Parts read_parts(const json& candidate, const std::string& id_prefix, int first_tool_index) {
    Parts out;
    for (const auto& part : openai::field(openai::field(candidate, "content"), "parts")) {
        if (part.contains("functionCall")) {
            const json& fc = part["functionCall"];
            const int index = first_tool_index + static_cast<int>(out.tool_calls.size());
            json call = {
                {"index", index},
                {"id", openai::get_or<std::string>(fc, "id", id_prefix + "_" + std::to_string(index))},
                {"type", "function"},
                {"function",
                 {{"name", openai::get_or(fc, "name", "")},
                  {"arguments", openai::field(fc, "args").dump()}}}};
            if (part.contains("thoughtSignature"))
                call["gaterouter"] = {{"thought_signature", part["thoughtSignature"]}};
            out.tool_calls.push_back(std::move(call));
        } else if (part.contains("text")) {
            (openai::get_or<bool>(part, "thought", false) ? out.reasoning : out.text) +=
                openai::get_or(part, "text", "");
        }
    }
    return out;
}

class GeminiStreamTranslator final : public StreamTranslator {
  public:
    GeminiStreamTranslator(std::string model, StreamOptions options)
        : model_(std::move(model)), options_(options) {}

    bool on_event(const http::SseEvent& event, std::string& out) override {
        const json e = openai::parse_json(event.data);
        if (!e.is_object()) return false;
        if (e.contains("error")) {
            const json& err = e["error"];
            out.append("data: ")
                .append(openai::ApiError{
                    0, "api_error", openai::get_or(err, "message", ""), {}, openai::get_or(err, "status", "")}
                            .body())
                .append("\n\n");
            finished_ = true;
            return true;
        }
        if (!started_) {
            id_ = openai::get_or(e, "responseId", "gemini");
            chunks_.identify("chatcmpl-" + id_, openai::get_or<std::string>(e, "modelVersion", model_));
            chunks_.delta(out, {{"role", "assistant"}, {"content", ""}});
            started_ = true;
        }
        if (e.contains("usageMetadata")) usage_ = usage_of(e["usageMetadata"]);
        const json& candidates = openai::field(e, "candidates");
        if (!candidates.is_array() || candidates.empty()) {
            if (openai::field(openai::field(e, "promptFeedback"), "blockReason").is_string())
                finish_ = "content_filter";
            return true;
        }
        const json& c = candidates[0];
        Parts parts = read_parts(c, "call_" + id_, tool_calls_);
        if (!parts.reasoning.empty()) chunks_.delta(out, {{"reasoning_content", parts.reasoning}});
        if (!parts.text.empty()) chunks_.delta(out, {{"content", parts.text}});
        if (!parts.tool_calls.empty()) {
            tool_calls_ += static_cast<int>(parts.tool_calls.size());
            chunks_.delta(out, {{"tool_calls", std::move(parts.tool_calls)}});
        }
        if (openai::field(c, "finishReason").is_string())
            finish_ = finish_reason(c["finishReason"].get<std::string>(), tool_calls_ > 0);
        return true;
    }

    // Gemini has no closing event: the stream's end is the end of the HTTP body.
    void on_end(std::string& out) override {
        if (finished_ || finish_.empty()) return;
        chunks_.delta(out, json::object(), finish_);
        if (options_.include_usage) chunks_.usage(out, usage_.value_or(openai::Usage{}));
        openai::ChunkWriter::done(out);
        finished_ = true;
    }

    bool finished() const override { return finished_; }

  private:
    std::string model_;
    StreamOptions options_;
    openai::ChunkWriter chunks_;
    std::string id_;
    std::string finish_;
    int tool_calls_ = 0;
    bool started_ = false;
    bool finished_ = false;
};

}  // namespace

namespace {

http::Request gemini_post(const catalog::Model& model, const std::string& method) {
    const catalog::Provider& p = *model.provider;
    http::Request up{http::Verb::post, p.endpoint.base_path + "/models/" + model.upstream_model + method, 11};
    up.set(http::bhttp::field::content_type, "application/json");
    if (!p.api_key.empty()) up.set("x-goog-api-key", p.api_key);
    for (const auto& [name, value] : p.headers) up.set(name, value);
    return up;
}

}  // namespace

http::Request GeminiProtocol::build_request(const openai::ChatRequest& request, std::string& body,
                                            const catalog::Model& model) const {
    const json in = openai::parse_json(body);
    json out;
    json system;
    out["contents"] = translate_messages(openai::field(in, "messages"), system);
    if (!system.is_null()) out["systemInstruction"] = system;

    json gen = json::object();
    if (in.contains("temperature") && in["temperature"].is_number()) gen["temperature"] = in["temperature"];
    if (in.contains("top_p") && in["top_p"].is_number()) gen["topP"] = in["top_p"];
    if (request.max_tokens) gen["maxOutputTokens"] = *request.max_tokens;
    if (in.contains("stop") && !in["stop"].is_null()) {
        gen["stopSequences"] = in["stop"].is_string() ? json::array({in["stop"]}) : in["stop"];
    }
    if (in.contains("n") && in["n"].is_number_integer()) gen["candidateCount"] = in["n"];
    if (in.contains("seed") && in["seed"].is_number_integer()) gen["seed"] = in["seed"];
    const json& format = openai::field(in, "response_format");
    if (openai::get_or(format, "type", "") == "json_object") gen["responseMimeType"] = "application/json";
    if (openai::get_or(format, "type", "") == "json_schema") {
        gen["responseMimeType"] = "application/json";
        gen["responseJsonSchema"] = openai::field(openai::field(format, "json_schema"), "schema");
    }
    if (!gen.empty()) out["generationConfig"] = std::move(gen);

    if (in.contains("tools") && in["tools"].is_array() && !in["tools"].empty()) {
        json declarations = json::array();
        for (const auto& t : in["tools"]) {
            const json& f = openai::field(t, "function");
            json d = {{"name", openai::get_or(f, "name", "")}};
            if (f.contains("description")) d["description"] = f["description"];
            if (f.contains("parameters")) d["parametersJsonSchema"] = f["parameters"];
            declarations.push_back(std::move(d));
        }
        out["tools"] = json::array({{{"functionDeclarations", std::move(declarations)}}});
        out["toolConfig"] = translate_tool_config(openai::field(in, "tool_choice"));
    }

    http::Request up =
        gemini_post(model, request.stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
    up.body() = out.dump(-1, ' ', false, json::error_handler_t::replace);
    return up;
}

http::Request GeminiProtocol::build_embeddings_request(const EmbeddingsRequest& request, std::string&,
                                                       const catalog::Model& model) const {
    json requests = json::array();
    for (const auto& text : request.inputs) {
        json r = {{"model", "models/" + model.upstream_model},
                  {"content", {{"parts", json::array({{{"text", text}}})}}}};
        if (request.dimensions > 0) r["outputDimensionality"] = request.dimensions;
        requests.push_back(std::move(r));
    }
    http::Request up = gemini_post(model, ":batchEmbedContents");
    up.body() = json{{"requests", std::move(requests)}}.dump(-1, ' ', false, json::error_handler_t::replace);
    return up;
}

std::optional<std::string> GeminiProtocol::translate_embeddings_response(std::string body,
                                                                         const EmbeddingsRequest& request,
                                                                         const catalog::Model& model) const {
    const json in = openai::parse_json(body);
    if (!in.is_object()) return std::nullopt;
    json data = json::array();
    int index = 0;
    for (const auto& e : openai::field(in, "embeddings")) {
        std::vector<float> values;
        for (const auto& v : openai::field(e, "values")) {
            if (!v.is_number()) return std::nullopt;
            values.push_back(v.get<float>());
        }
        json item = {{"object", "embedding"}, {"index", index++}};
        item["embedding"] = request.base64 ? json(encode_embedding_base64(values)) : json(values);
        data.push_back(std::move(item));
    }
    // Gemini reports no usage for embeddings: the same estimate the gateway routes with.
    std::size_t bytes = 0;
    for (const auto& text : request.inputs) bytes += text.size();
    const auto tokens = static_cast<std::int64_t>((bytes + 3) / 4);
    return json{{"object", "list"},
                {"data", std::move(data)},
                {"model", model.id},
                {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}}
        .dump();
}

std::optional<std::string> GeminiProtocol::translate_response(std::string body,
                                                              const catalog::Model& model) const {
    const json in = openai::parse_json(body);
    if (!in.is_object()) return std::nullopt;
    const std::string id = openai::get_or(in, "responseId", "gemini");
    const json& candidates = openai::field(in, "candidates");
    json message = {{"role", "assistant"}, {"content", ""}};
    std::string finish = "content_filter";  // no candidate at all: the prompt was blocked
    if (candidates.is_array() && !candidates.empty()) {
        Parts parts = read_parts(candidates[0], "call_" + id, 0);
        for (auto& call : parts.tool_calls) call.erase("index");
        const bool has_tools = !parts.tool_calls.empty();
        message["content"] = parts.text.empty() && has_tools ? json() : json(parts.text);
        if (!parts.reasoning.empty()) message["reasoning_content"] = parts.reasoning;
        if (has_tools) message["tool_calls"] = std::move(parts.tool_calls);
        finish = finish_reason(openai::get_or(candidates[0], "finishReason", "STOP"), has_tools);
    }
    return openai::completion("chatcmpl-" + id,
                              openai::get_or<std::string>(in, "modelVersion", model.upstream_model), message,
                              finish, usage_of(openai::field(in, "usageMetadata")))
        .dump(-1, ' ', false, json::error_handler_t::replace);
}

std::unique_ptr<StreamTranslator> GeminiProtocol::stream_translator(const catalog::Model& model,
                                                                    const StreamOptions& options) const {
    return std::make_unique<GeminiStreamTranslator>(model.upstream_model, options);
}

openai::ApiError GeminiProtocol::translate_error(unsigned status, std::string_view body,
                                                 const catalog::Model& model) const {
    openai::ApiError e = openai::from_upstream(status, "", model.id);
    const json in = openai::parse_json(body);
    const json err = in.is_object() ? openai::field(in, "error") : json::object();
    const std::string state = openai::get_or(err, "status", "");
    const std::string message = openai::get_or(err, "message", "");
    if (!message.empty() && e.status != 502) e.message = message;
    if (state == "RESOURCE_EXHAUSTED") {
        e.code = "rate_limit_exceeded";
        e.type = "rate_limit_error";
    } else if (state == "INVALID_ARGUMENT" && message.find("token") != std::string::npos &&
               message.find("exceed") != std::string::npos) {
        e.code = "context_length_exceeded";
        e.param = "messages";
    } else if (!state.empty() && e.status != 502) {
        e.code = state;
    }
    return e;
}

}  // namespace gaterouter::providers
