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

http::Request OpenAiProtocol::build_request(const openai::ChatRequest& request, std::string& body,
                                            const catalog::Model& model) const {
    const catalog::Provider& p = *model.provider;
    http::Request up{http::Verb::post, p.endpoint.base_path + "/chat/completions", 11};
    up.set(http::bhttp::field::content_type, "application/json");
    up.set(http::bhttp::field::accept, request.stream ? "text/event-stream" : "application/json");
    if (!p.api_key.empty()) up.set(http::bhttp::field::authorization, "Bearer " + p.api_key);
    for (const auto& [name, value] : p.headers) up.set(name, value);
    if (model.upstream_model == request.model) {
        up.body() = std::move(body);
    } else {
        up.body() = openai::splice(request.body, request.model_value.raw, openai::quote_json(model.upstream_model));
    }
    return up;
}

std::string OpenAiProtocol::translate_response(std::string body, const catalog::Model&) const { return body; }

std::unique_ptr<StreamTranslator> OpenAiProtocol::stream_translator(const catalog::Model&,
                                                                   const StreamOptions&) const {
    return std::make_unique<OpenAiStreamTranslator>();
}

openai::ApiError OpenAiProtocol::translate_error(unsigned status, std::string_view body,
                                                 const catalog::Model& model) const {
    return openai::from_upstream(status, body, model.id);
}

}  // namespace gaterouter::providers
