#pragma once
// Anthropic's Messages API (POST {base}/messages, x-api-key, anthropic-version). The OpenAI request is
// translated whole: system messages become the top-level `system`, content parts become content blocks, tool
// calls and results become tool_use / tool_result blocks; the answer and its stream are translated back.
// Thinking blocks travel in the assistant message's `gaterouter.thinking_blocks` so they can be sent back on
// the next turn with their signatures. Field by field: docs/providers.md.

#include "gaterouter/providers/chat_protocol.hpp"

namespace gaterouter::providers {

class AnthropicProtocol final : public ChatProtocol {
  public:
    static constexpr const char* kVersion = "2023-06-01";
    static constexpr std::int64_t kDefaultMaxTokens = 4096;  // Anthropic requires max_tokens; OpenAI does not

    http::Request build_request(const openai::ChatRequest& request, std::string& body,
                                const catalog::Model& model) const override;
    std::optional<std::string> translate_response(std::string body,
                                                  const catalog::Model& model) const override;
    std::unique_ptr<StreamTranslator> stream_translator(const catalog::Model& model,
                                                        const StreamOptions& options) const override;
    openai::ApiError translate_error(unsigned status, std::string_view body,
                                     const catalog::Model& model) const override;
};

}  // namespace gaterouter::providers
