#include "gaterouter/providers/provider_set.hpp"

#include <stdexcept>

#include "gaterouter/providers/anthropic_protocol.hpp"
#include "gaterouter/providers/gemini_protocol.hpp"
#include "gaterouter/providers/openai_protocol.hpp"

namespace gaterouter::providers {

std::unique_ptr<ChatProtocol> make_chat_protocol(const catalog::Provider& provider) {
    const std::string& kind = provider.kind;
    if (kind == "openai") return std::make_unique<OpenAiProtocol>();
    if (kind == "azure") return std::make_unique<OpenAiProtocol>(OpenAiProtocol::Azure{provider.api_version});
    if (kind == "anthropic") return std::make_unique<AnthropicProtocol>();
    if (kind == "gemini") return std::make_unique<GeminiProtocol>();
    return nullptr;
}

ProviderSet::ProviderSet(const catalog::Catalog& catalog) {
    for (const auto& p : catalog.providers()) {
        auto rt = std::make_unique<ProviderRuntime>();
        rt->provider = p.get();
        rt->origin =
            upstream::Origin{p->endpoint.tls, p->endpoint.host, p->endpoint.port, !p->insecure_skip_verify};
        rt->chat = make_chat_protocol(*p);
        if (!rt->chat) {
            throw std::invalid_argument("provider '" + p->name + "': the '" + p->kind +
                                        "' protocol is not available in this build");
        }
        rt->embeddings = dynamic_cast<const EmbeddingsProtocol*>(rt->chat.get());
        by_provider_.emplace(p.get(), std::move(rt));
    }
}

}  // namespace gaterouter::providers
