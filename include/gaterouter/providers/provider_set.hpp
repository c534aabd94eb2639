#pragma once
// The providers of a catalog, each with its protocol and the upstream origin to reach it. Built once, then
// shared read-only by every worker.

#include <memory>
#include <unordered_map>

#include "gaterouter/catalog/catalog.hpp"
#include "gaterouter/providers/chat_protocol.hpp"
#include "gaterouter/providers/embeddings_protocol.hpp"
#include "gaterouter/providers/secret_scrubber.hpp"
#include "gaterouter/upstream/client.hpp"

namespace gaterouter::providers {

struct ProviderRuntime {
    const catalog::Provider* provider = nullptr;
    upstream::Origin origin;
    std::unique_ptr<ChatProtocol> chat;
    const EmbeddingsProtocol* embeddings =
        nullptr;             // the same protocol object, when it has an embeddings API
    SecretScrubber secrets;  // applied to everything relayed from this provider
};

class ProviderSet {
  public:
    // Throws std::invalid_argument for a provider kind no protocol class speaks.
    explicit ProviderSet(const catalog::Catalog& catalog);
    const ProviderRuntime& of(const catalog::Provider& provider) const { return *by_provider_.at(&provider); }

  private:
    std::unordered_map<const catalog::Provider*, std::unique_ptr<ProviderRuntime>> by_provider_;
};

}  // namespace gaterouter::providers
