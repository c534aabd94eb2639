#pragma once
// OpenAI's Chat Completions protocol, spoken by OpenAI and every OpenAI-compatible server. The request is
// forwarded as the client sent it, with only the model name changed in place. Azure OpenAI speaks it too, at
// {base_url}/deployments/{deployment}/chat/completions?api-version=... with an api-key header; the deployment
// is the model's upstream_model.

#include <optional>
#include <string>

#include "gaterouter/providers/chat_protocol.hpp"
#include "gaterouter/providers/embeddings_protocol.hpp"

namespace gaterouter::providers {

class OpenAiProtocol final : public ChatProtocol, public EmbeddingsProtocol {
  public:
    struct Azure {
        std::string api_version;
    };
    OpenAiProtocol() = default;
    explicit OpenAiProtocol(Azure azure) : azure_(std::move(azure)) {}

    http::Request build_request(const openai::ChatRequest& request, std::string& body,
                                const catalog::Model& model) const override;
    std::optional<std::string> translate_response(std::string body,
                                                  const catalog::Model& model) const override;
    std::unique_ptr<StreamTranslator> stream_translator(const catalog::Model& model,
                                                        const StreamOptions& options) const override;
    openai::ApiError translate_error(unsigned status, std::string_view body,
                                     const catalog::Model& model) const override;

    http::Request build_embeddings_request(const EmbeddingsRequest& request, std::string& body,
                                           const catalog::Model& model) const override;
    std::optional<std::string> translate_embeddings_response(std::string body,
                                                             const EmbeddingsRequest& request,
                                                             const catalog::Model& model) const override;

  private:
    http::Request post(const catalog::Model& model, std::string_view operation, bool stream) const;
    std::optional<Azure> azure_;
};

}  // namespace gaterouter::providers
