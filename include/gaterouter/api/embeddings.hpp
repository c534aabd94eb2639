#pragma once
// POST /v1/embeddings: routed to an embeddings model, in the protocol of its provider; checked against the
// key's limits and the budgets, and written to the ledger, as chat requests are.

#include <optional>

#include "gaterouter/api/request_account.hpp"
#include "gaterouter/api/request_scope.hpp"
#include "gaterouter/api/services.hpp"

namespace gaterouter::api {

class EmbeddingsHandler {
  public:
    EmbeddingsHandler(const Services& services, upstream::Client& client)
        : services_(services), client_(client) {}
    awaitable<void> operator()(http::Request& request, http::ResponseWriter& out) const;

  private:
    // Sends the request and relays the answer (settled first); the error to answer with instead.
    awaitable<std::optional<openai::ApiError>> forward(RequestScope& scope, RequestAccount& account,
                                                       http::Request& request,
                                                       const providers::EmbeddingsRequest& embeddings,
                                                       const catalog::Model& model,
                                                       const providers::ProviderRuntime& provider) const;

    const Services& services_;
    upstream::Client& client_;
};

}  // namespace gaterouter::api
