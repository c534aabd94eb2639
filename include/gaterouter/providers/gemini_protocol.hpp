#pragma once
// Google's Gemini API: POST {base}/models/{model}:generateContent, or :streamGenerateContent?alt=sse for
// streams, with the key in x-goog-api-key. Messages become `contents` of `parts`, system messages the
// `systemInstruction`, tools `functionDeclarations`, sampling fields the `generationConfig`. Gemini's
// `thoughtSignature` on a function call travels in the tool call's `gaterouter.thought_signature` and is put
// back on the next turn. Field by field: docs/providers.md.

#include "gaterouter/providers/chat_protocol.hpp"
#include "gaterouter/providers/embeddings_protocol.hpp"

namespace gaterouter::providers {

class GeminiProtocol final : public ChatProtocol, public EmbeddingsProtocol {
  public:
    http::Request build_request(const openai::ChatRequest& request, std::string& body,
                                const catalog::Model& model) const override;
    std::optional<std::string> translate_response(std::string body,
                                                  const catalog::Model& model) const override;
    std::unique_ptr<StreamTranslator> stream_translator(const catalog::Model& model,
                                                        const StreamOptions& options) const override;
    openai::ApiError translate_error(unsigned status, std::string_view body,
                                     const catalog::Model& model) const override;

    // batchEmbedContents, one request per input.
    http::Request build_embeddings_request(const EmbeddingsRequest& request, std::string& body,
                                           const catalog::Model& model) const override;
    std::optional<std::string> translate_embeddings_response(std::string body,
                                                             const EmbeddingsRequest& request,
                                                             const catalog::Model& model) const override;
};

}  // namespace gaterouter::providers
