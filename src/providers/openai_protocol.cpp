#include "gaterouter/providers/openai_protocol.hpp"

namespace gaterouter::providers {
namespace {

// True when a chunk carries a usage object (not `"usage":null`, which every chunk has once usage is asked
// for).
bool has_usage_object(std::string_view data) {
    const std::size_t at = data.rfind("\"usage\"");
    if (at == std::string_view::npos) return false;
    std::size_t i = at + 7;
    while (i < data.size() && (data[i] == ' ' || data[i] == ':')) ++i;
    return i < data.size() && data[i] == '{';
}

// Passes OpenAI chunks through as they are, except for the usage chunk when only the gateway asked for it.
class OpenAiStreamTranslator final : public StreamTranslator {
  public:
    explicit OpenAiStreamTranslator(StreamOptions options) : options_(options) {}

    // The chunks are relayed as they are, unread but for usage: a chunk the client cannot parse is the
    // upstream's to answer for, as it would be without a gateway in between.
    bool on_event(const http::SseEvent& event, std::string& out) override {
        if (event.data == "[DONE]") {
            finished_ = true;
        } else if (has_usage_object(event.data)) {
            usage_ = openai::read_usage(event.data);
            // The usage chunk proper has no choices; a vendor that puts usage on its last content chunk keeps
            // it.
            if (!options_.include_usage && event.data.find("\"choices\":[]") != std::string_view::npos)
                return true;
        }
        out.append("data: ").append(event.data).append("\n\n");
        return true;
    }
    bool finished() const override { return finished_; }

  private:
    StreamOptions options_;
    bool finished_ = false;
};

}  // namespace

namespace {

// The client's body with only the model name changed, in place; moved through untouched when the names agree.
// `model_value` points into `document`, the bytes the request view was read from (equal to `body`'s).
std::string with_upstream_model(std::string& body, std::string_view document, std::string_view model_value,
                                std::string_view client_model, const catalog::Model& model) {
    if (model.upstream_model == client_model) return std::move(body);
    return openai::splice(document, model_value, openai::quote_json(model.upstream_model));
}

// The chat body for the upstream: the upstream's model name, and for a stream the usage chunk asked for.
std::string chat_body(const openai::ChatRequest& request, std::string& body, const catalog::Model& model) {
    if (!request.stream || request.include_usage)
        return with_upstream_model(body, request.body, request.model_value.raw, request.model, model);
    std::vector<openai::Splice> splices;
    if (model.upstream_model != request.model)
        splices.push_back({request.model_value.raw, openai::quote_json(model.upstream_model)});
    constexpr std::string_view kWithUsage = R"({"include_usage":true})";
    if (request.stream_options) {
        splices.push_back({request.stream_options->raw, std::string(kWithUsage)});
    } else {
        const std::string_view opening = request.root.raw.substr(0, 1);  // the body's "{"
        splices.push_back({opening.substr(1), "\"stream_options\":" + std::string(kWithUsage) + ","});
    }
    return openai::splice_all(request.body, std::move(splices));
}

}  // namespace

http::Request OpenAiProtocol::post(const catalog::Model& model, std::string_view operation,
                                   bool stream) const {
    const catalog::Provider& p = *model.provider;
    std::string target = p.endpoint.base_path;
    if (azure_) {
        target.append("/deployments/").append(model.upstream_model).append("/").append(operation);
        target.append("?api-version=").append(azure_->api_version);
    } else {
        target.append("/").append(operation);
    }
    http::Request up{http::Verb::post, target, 11};
    up.set(http::bhttp::field::content_type, "application/json");
    up.set(http::bhttp::field::accept, stream ? "text/event-stream" : "application/json");
    if (!p.api_key.empty()) {
        if (azure_) {
            up.set("api-key", p.api_key);
        } else {
            up.set(http::bhttp::field::authorization, "Bearer " + p.api_key);
        }
    }
    for (const auto& [name, value] : p.headers) up.set(name, value);
    return up;
}

http::Request OpenAiProtocol::build_request(const openai::ChatRequest& request, std::string& body,
                                            const catalog::Model& model) const {
    http::Request up = post(model, "chat/completions", request.stream);
    up.body() = chat_body(request, body, model);
    return up;
}

http::Request OpenAiProtocol::build_embeddings_request(const EmbeddingsRequest& request, std::string& body,
                                                       const catalog::Model& model) const {
    http::Request up = post(model, "embeddings", false);
    openai::JsonSyntaxError ignored;
    const auto root = openai::scan_json(body, ignored);
    std::string_view model_value;
    if (root) {
        openai::for_each_member(*root, [&](std::string_view key, const openai::JsonValue& v) {
            if (openai::key_equals(key, "model")) model_value = v.raw;
            return model_value.empty();
        });
    }
    up.body() = model_value.empty() ? std::move(body)
                                    : with_upstream_model(body, body, model_value, request.model, model);
    return up;
}

// An OpenAI-compatible answer is passed on as it came: the caller's one scan of it checks that it is a JSON
// object (openai::read_answer_usage).
std::optional<std::string> OpenAiProtocol::translate_embeddings_response(std::string body,
                                                                         const EmbeddingsRequest&,
                                                                         const catalog::Model&) const {
    return body;
}

std::optional<std::string> OpenAiProtocol::translate_response(std::string body, const catalog::Model&) const {
    return body;
}

std::unique_ptr<StreamTranslator> OpenAiProtocol::stream_translator(const catalog::Model&,
                                                                    const StreamOptions& options) const {
    return std::make_unique<OpenAiStreamTranslator>(options);
}

openai::ApiError OpenAiProtocol::translate_error(unsigned status, std::string_view body,
                                                 const catalog::Model& model) const {
    return openai::from_upstream(status, body, model.id);
}

}  // namespace gaterouter::providers
