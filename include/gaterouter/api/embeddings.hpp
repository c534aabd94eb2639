#pragma once
// POST /v1/embeddings: routed to an embeddings model, in the protocol of its provider.

#include "gaterouter/api/request_scope.hpp"
#include "gaterouter/api/services.hpp"

namespace gaterouter::api {

class EmbeddingsHandler {
  public:
    EmbeddingsHandler(const Services& services, upstream::Client& client)
        : services_(services), client_(client) {}
    awaitable<void> operator()(http::Request& request, http::ResponseWriter& out) const;

  private:
    const Services& services_;
    upstream::Client& client_;
};

}  // namespace gaterouter::api
