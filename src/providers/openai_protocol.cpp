#include "gaterouter/providers/openai_protocol.hpp"

namespace gaterouter::providers {
namespace {

class OpenAiStreamTranslator final : public StreamTranslator {
  public:
    void on_event(const http::SseEvent& event, std::string& out) override {
        if (event.data == "[DONE]") finished_ = true;
        out.append("data: ").append(event.data).append("\n\n");
    }
    bool finished() const override { return finished_; }

  private:
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
    up.body() = with_upstream_model(body, request.body, request.model_value.raw, request.model, model);
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

std::string OpenAiProtocol::translate_embeddings_response(std::string body, const EmbeddingsRequest&,
                                                          const catalog::Model&) const {
    return body;
}

std::string OpenAiProtocol::translate_response(std::string body, const catalog::Model&) const {
    return body;
}

std::unique_ptr<StreamTranslator> OpenAiProtocol::stream_translator(const catalog::Model&,
                                                                    const StreamOptions&) const {
    return std::make_unique<OpenAiStreamTranslator>();
}

openai::ApiError OpenAiProtocol::translate_error(unsigned status, std::string_view body,
                                                 const catalog::Model& model) const {
    return openai::from_upstream(status, body, model.id);
}

}  // namespace gaterouter::providers
