#include "gaterouter/providers/provider_set.hpp"

#include <algorithm>
#include <cctype>
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

namespace {

// The provider's API key, and the values of configured headers whose names say they carry a credential
// (others, such as anthropic-version, are not secret and may well occur in answers).
SecretScrubber secrets_of(const catalog::Provider& provider) {
    std::vector<std::string> secrets{provider.api_key};
    for (const auto& [name, value] : provider.headers) {
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        for (const std::string_view word : {"authorization", "key", "token", "secret"}) {
            if (lower.find(word) != std::string::npos) {
                secrets.push_back(value);
                break;
            }
        }
    }
    return SecretScrubber(secrets);
}

}  // namespace

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
        rt->secrets = secrets_of(*p);
        by_provider_.emplace(p.get(), std::move(rt));
    }
}

}  // namespace gaterouter::providers
