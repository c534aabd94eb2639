#include "gaterouter/providers/anthropic_protocol.hpp"

#include <map>

#include "gaterouter/openai/completion.hpp"
#include "gaterouter/openai/json_access.hpp"
#include "message_parts.hpp"

namespace gaterouter::providers {

using nlohmann::json;

namespace {

json image_block(const json& part) {
    const std::string url = image_url_of(part);
    std::string media_type, data;
    if (split_data_url(url, media_type, data)) {
        return {{"type", "image"},
                {"source", {{"type", "base64"}, {"media_type", media_type}, {"data", data}}}};
    }
    return {{"type", "image"}, {"source", {{"type", "url"}, {"url", url}}}};
}

// OpenAI message content (a string, or an array of parts) as Anthropic content blocks.
json content_blocks(const json& content) {
    json blocks = json::array();
    if (content.is_string()) {
        if (!content.get_ref<const std::string&>().empty())
            blocks.push_back({{"type", "text"}, {"text", content}});
        return blocks;
    }
    if (!content.is_array()) return blocks;
    for (const auto& part : content) {
        const std::string type = openai::get_or(part, "type", "");
        if (type == "text") {
            blocks.push_back({{"type", "text"}, {"text", openai::get_or(part, "text", "")}});
        } else if (type == "image_url") {
            blocks.push_back(image_block(part));
        }
        // input_audio and file parts have no Messages API counterpart here: dropped (docs/providers.md).
    }
    return blocks;
}

json tool_input(const json& function) {
    const std::string arguments = openai::get_or(function, "arguments", "");
    json input = openai::parse_json(arguments.empty() ? "{}" : arguments);
    return input.is_object() ? input : json::object();
}

json translate_messages(const json& in, json& system) {
    json messages = json::array();
    std::string system_text;
    for (const auto& m : in) {
        const std::string role = openai::get_or(m, "role", "");
        const json content = openai::field(m, "content");
        if (role == "system" || role == "developer") {
            if (!system_text.empty()) system_text += "\n\n";
            system_text += text_of(content);
        } else if (role == "user") {
            push_turn(messages, "user", content_blocks(content), "content");
        } else if (role == "assistant") {
            json blocks = json::array();
            // Thinking blocks first, exactly as Anthropic sent them: their signatures must match.
            if (m.contains("gaterouter") && m["gaterouter"].contains("thinking_blocks")) {
                for (const auto& b : m["gaterouter"]["thinking_blocks"]) blocks.push_back(b);
            }
            for (auto& b : content_blocks(content)) blocks.push_back(std::move(b));
            for (const auto& call : openai::field(m, "tool_calls")) {
                const json& function = openai::field(call, "function");
                blocks.push_back({{"type", "tool_use"},
                                  {"id", openai::get_or(call, "id", "")},
                                  {"name", openai::get_or(function, "name", "")},
                                  {"input", tool_input(function)}});
            }
            push_turn(messages, "assistant", std::move(blocks), "content");
        } else if (role == "tool") {
            push_turn(messages, "user",
                      json::array({{{"type", "tool_result"},
                                    {"tool_use_id", openai::get_or(m, "tool_call_id", "")},
                                    {"content", text_of(content)}}}),
                      "content");
        }
    }
    if (!system_text.empty()) system = system_text;
    return messages;
}

json translate_tool_choice(const json& choice, bool parallel) {
    json out;
    if (choice.is_string()) {
        const std::string c = choice.get<std::string>();
        out = {{"type", c == "required" ? "any" : c == "none" ? "none" : "auto"}};
    } else if (choice.is_object()) {
        out = {{"type", "tool"}, {"name", openai::get_or(openai::field(choice, "function"), "name", "")}};
    } else {
        out = {{"type", "auto"}};
    }
    if (!parallel && out["type"] != "none") out["disable_parallel_tool_use"] = true;
    return out;
}

// Anthropic has no response_format; the closest faithful thing is to say it in the system prompt.
std::string json_mode_instruction(const json& format) {
    const std::string type = openai::get_or(format, "type", "");
    if (type == "json_object") return "Respond with a single valid JSON object and nothing else.";
    if (type == "json_schema") {
        const json& schema = openai::field(openai::field(format, "json_schema"), "schema");
        return "Respond with a single valid JSON object that conforms to this JSON Schema, and nothing "
               "else:\n" +
               schema.dump();
    }
    return {};
}

std::string finish_reason(const std::string& stop_reason) {
    if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") return "length";
    if (stop_reason == "tool_use") return "tool_calls";
    if (stop_reason == "refusal") return "content_filter";
    return "stop";  // end_turn, stop_sequence, pause_turn
}

openai::Usage usage_of(const json& u) {
    openai::Usage usage;
    const auto cache_read = openai::token_count(u, "cache_read_input_tokens");
    usage.prompt_tokens = openai::token_count(u, "input_tokens") + cache_read +
                          openai::token_count(u, "cache_creation_input_tokens");
    usage.completion_tokens = openai::token_count(u, "output_tokens");
    usage.cached_tokens = cache_read;
    return usage;
}

class AnthropicStreamTranslator final : public StreamTranslator {
  public:
    explicit AnthropicStreamTranslator(StreamOptions options) : options_(options) {}

    bool on_event(const http::SseEvent& event, std::string& out) override {
        const json e = openai::parse_json(event.data);
        if (!e.is_object()) return false;
        const std::string type = openai::get_or(e, "type", std::string(event.event));
        if (type == "message_start") {
            const json& m = openai::field(e, "message");
            chunks_.identify(openai::get_or(m, "id", ""), openai::get_or(m, "model", ""));
            usage_ = usage_of(openai::field(m, "usage"));
            chunks_.delta(out, {{"role", "assistant"}, {"content", ""}});
        } else if (type == "content_block_start") {
            on_block_start(openai::get_or<int>(e, "index", 0), openai::field(e, "content_block"), out);
        } else if (type == "content_block_delta") {
            on_block_delta(openai::get_or<int>(e, "index", 0), openai::field(e, "delta"), out);
        } else if (type == "content_block_stop") {
            on_block_stop(openai::get_or<int>(e, "index", 0), out);
        } else if (type == "message_delta") {
            const json& u = openai::field(e, "usage");
            if (u.contains("output_tokens") && usage_)
                usage_->completion_tokens = openai::token_count(u, "output_tokens");
            const json& d = openai::field(e, "delta");
            if (d.contains("stop_reason") && d["stop_reason"].is_string()) {
                chunks_.delta(out, json::object(), finish_reason(d["stop_reason"].get<std::string>()));
            }
        } else if (type == "message_stop") {
            if (options_.include_usage) chunks_.usage(out, usage_.value_or(openai::Usage{}));
            openai::ChunkWriter::done(out);
            finished_ = true;
        } else if (type == "error") {
            const json& err = openai::field(e, "error");
            const auto api = openai::ApiError{0,
                                              openai::get_or(err, "type", "api_error"),
                                              openai::get_or(err, "message", ""),
                                              {},
                                              openai::get_or(err, "type", "api_error")};
            out.append("data: ").append(api.body()).append("\n\n");
            finished_ = true;
        }
        // ping: a keep-alive with nothing to relay.
        return true;
    }

    bool finished() const override { return finished_; }

  private:
    void on_block_start(int index, const json& block, std::string& out) {
        const std::string type = openai::get_or(block, "type", "");
        if (type == "tool_use") {
            const int tool_index = static_cast<int>(tool_index_.size());
            tool_index_[index] = tool_index;
            chunks_.delta(
                out, {{"tool_calls",
                       json::array({{{"index", tool_index},
                                     {"id", openai::get_or(block, "id", "")},
                                     {"type", "function"},
                                     {"function",
                                      {{"name", openai::get_or(block, "name", "")}, {"arguments", ""}}}}})}});
        } else if (type == "thinking" || type == "redacted_thinking") {
            thinking_[index] = block;
        } else if (type == "text" && !openai::get_or(block, "text", "").empty()) {
            chunks_.delta(out, {{"content", block["text"]}});
        }
    }

    void on_block_delta(int index, const json& delta, std::string& out) {
        const std::string type = openai::get_or(delta, "type", "");
        if (type == "text_delta") {
            chunks_.delta(out, {{"content", openai::get_or(delta, "text", "")}});
        } else if (type == "input_json_delta") {
            const auto it = tool_index_.find(index);
            if (it == tool_index_.end()) return;
            chunks_.delta(
                out, {{"tool_calls",
                       json::array(
                           {{{"index", it->second},
                             {"function", {{"arguments", openai::get_or(delta, "partial_json", "")}}}}})}});
        } else if (type == "thinking_delta") {
            const std::string text = openai::get_or(delta, "thinking", "");
            thinking_[index]["thinking"] = openai::get_or(thinking_[index], "thinking", "") + text;
            chunks_.delta(out, {{"reasoning_content", text}});
        } else if (type == "signature_delta") {
            thinking_[index]["signature"] =
                openai::get_or(thinking_[index], "signature", "") + openai::get_or(delta, "signature", "");
        }
    }

    // A finished thinking block goes out whole, signature included, for the client to send back next turn.
    void on_block_stop(int index, std::string& out) {
        const auto it = thinking_.find(index);
        if (it == thinking_.end()) return;
        chunks_.delta(out, {{"gaterouter", {{"thinking_blocks", json::array({it->second})}}}});
        thinking_.erase(it);
    }

    StreamOptions options_;
    openai::ChunkWriter chunks_;
    std::map<int, int> tool_index_;  // Anthropic block index → OpenAI tool_calls index
    std::map<int, json> thinking_;
    bool finished_ = false;
};

}  // namespace

http::Request AnthropicProtocol::build_request(const openai::ChatRequest& request, std::string& body,
                                               const catalog::Model& model) const {
    const json in = openai::parse_json(body);  // valid: the request view checked it
    json out;
    out["model"] = model.upstream_model;
    json system;
    out["messages"] = translate_messages(openai::field(in, "messages"), system);
    std::string instruction = json_mode_instruction(openai::field(in, "response_format"));
    if (!instruction.empty()) {
        system = system.is_string() ? system.get<std::string>() + "\n\n" + instruction : instruction;
    }
    if (!system.is_null()) out["system"] = system;
    out["max_tokens"] = request.max_tokens.value_or(kDefaultMaxTokens);
    for (const char* key : {"temperature", "top_p"}) {
        if (in.contains(key) && in[key].is_number()) out[key] = in[key];
    }
    if (in.contains("stop") && !in["stop"].is_null()) {
        out["stop_sequences"] = in["stop"].is_string() ? json::array({in["stop"]}) : in["stop"];
    }
    if (in.contains("tools") && in["tools"].is_array() && !in["tools"].empty()) {
        json tools = json::array();
        for (const auto& t : in["tools"]) {
            const json& f = openai::field(t, "function");
            json tool = {{"name", openai::get_or(f, "name", "")},
                         {"input_schema", (openai::field(f, "parameters").is_null()
                                               ? json{{"type", "object"}, {"properties", json::object()}}
                                               : openai::field(f, "parameters"))}};
            if (f.contains("description")) tool["description"] = f["description"];
            tools.push_back(std::move(tool));
        }
        out["tools"] = std::move(tools);
        out["tool_choice"] = translate_tool_choice(openai::field(in, "tool_choice"),
                                                   openai::get_or<bool>(in, "parallel_tool_calls", true));
    }
    if (in.contains("user") && in["user"].is_string()) out["metadata"] = {{"user_id", in["user"]}};
    if (request.stream) out["stream"] = true;

    const catalog::Provider& p = *model.provider;
    http::Request up{http::Verb::post, p.endpoint.base_path + "/messages", 11};
    up.set(http::bhttp::field::content_type, "application/json");
    up.set("anthropic-version", kVersion);
    if (!p.api_key.empty()) up.set("x-api-key", p.api_key);
    for (const auto& [name, value] : p.headers) up.set(name, value);
    up.body() = out.dump(-1, ' ', false, json::error_handler_t::replace);
    return up;
}

std::optional<std::string> AnthropicProtocol::translate_response(std::string body,
                                                                 const catalog::Model&) const {
    const json in = openai::parse_json(body);
    if (!in.is_object()) return std::nullopt;
    std::string text;
    json tool_calls = json::array();
    json thinking = json::array();
    for (const auto& block : openai::field(in, "content")) {
        const std::string type = openai::get_or(block, "type", "");
        if (type == "text") {
            text += openai::get_or(block, "text", "");
        } else if (type == "tool_use") {
            tool_calls.push_back({{"id", openai::get_or(block, "id", "")},
                                  {"type", "function"},
                                  {"function",
                                   {{"name", openai::get_or(block, "name", "")},
                                    {"arguments", openai::field(block, "input").dump()}}}});
        } else if (type == "thinking" || type == "redacted_thinking") {
            thinking.push_back(block);
        }
    }
    json message = {{"role", "assistant"},
                    {"content", text.empty() && !tool_calls.empty() ? json() : json(text)}};
    if (!tool_calls.empty()) message["tool_calls"] = std::move(tool_calls);
    if (!thinking.empty()) message["gaterouter"] = {{"thinking_blocks", std::move(thinking)}};
    return openai::completion(openai::get_or(in, "id", ""), openai::get_or(in, "model", ""), message,
                              finish_reason(openai::get_or(in, "stop_reason", "end_turn")),
                              usage_of(openai::field(in, "usage")))
        .dump(-1, ' ', false, json::error_handler_t::replace);
}

std::unique_ptr<StreamTranslator> AnthropicProtocol::stream_translator(const catalog::Model&,
                                                                       const StreamOptions& options) const {
    return std::make_unique<AnthropicStreamTranslator>(options);
}

openai::ApiError AnthropicProtocol::translate_error(unsigned status, std::string_view body,
                                                    const catalog::Model& model) const {
    const json in = openai::parse_json(body);
    const json err = in.is_object() ? openai::field(in, "error") : json::object();
    const std::string type = openai::get_or(err, "type", "");
    const std::string message = openai::get_or(err, "message", "");
    if (type.empty()) return openai::from_upstream(status, body, model.id);
    openai::ApiError e = openai::from_upstream(status, "", model.id);
    if (!message.empty() && e.status != 502) e.message = message;
    if (type == "overloaded_error") {
        e = {503,
             "api_error",
             message.empty() ? "The provider is overloaded." : message,
             {},
             "upstream_overloaded"};
    } else if (type == "rate_limit_error") {
        e.code = "rate_limit_exceeded";
    } else if (type == "invalid_request_error" && message.find("prompt is too long") != std::string::npos) {
        e.code = "context_length_exceeded";
        e.param = "messages";
    } else if (e.code.empty() && e.status != 502) {
        e.code = type;
    }
    return e;
}

}  // namespace gaterouter::providers
