#pragma once
// POST /v1/chat/completions: authenticate, read the request, pick the model, forward it to its provider and
// relay the answer — whole, or event by event for streams.

#include <optional>

#include "gaterouter/api/request_scope.hpp"
#include "gaterouter/api/services.hpp"
#include "gaterouter/route/deployments.hpp"
#include "gaterouter/route/planner.hpp"

namespace gaterouter::api {

class ChatCompletionsHandler {
  public:
    ChatCompletionsHandler(const Services& services, upstream::Client& client)
        : services_(services), client_(client) {}

    awaitable<void> operator()(http::Request& request, http::ResponseWriter& out) const;

  private:
    // How one candidate of the plan went: `done` when the client got its answer (or an error that must not be
    // retried); otherwise `error` says why the next candidate is tried.
    struct Attempt {
        bool done = false;
        std::optional<openai::ApiError> error;
    };

    // Counts a request in flight on a deployment and reports its outcome to the breaker and the live metrics.
    class InFlight {
      public:
        explicit InFlight(route::DeploymentState& health);
        ~InFlight();
        InFlight(const InFlight&) = delete;
        InFlight& operator=(const InFlight&) = delete;
        Attempt failed(openai::ApiError error);
        void succeeded();

      private:
        route::DeploymentState& health_;
        std::chrono::steady_clock::time_point start_;
    };

    awaitable<Attempt> try_candidate(RequestScope& scope, const openai::ChatRequest& chat, std::string& body,
                                     const catalog::Model& model, route::DeploymentState& health) const;
    // Both return the error when the answer failed; nothing reached the client unless its headers were sent.
    awaitable<std::optional<openai::ApiError>> relay_whole(RequestScope& scope, upstream::Response& response,
                                                           const providers::ProviderRuntime& provider,
                                                           const catalog::Model& model) const;
    awaitable<std::optional<openai::ApiError>> relay_stream(RequestScope& scope, upstream::Response& response,
                                                            const providers::ProviderRuntime& provider,
                                                            const catalog::Model& model,
                                                            const providers::StreamOptions& options) const;

    static awaitable<error_code> start_stream(RequestScope& scope, const catalog::Model& model);
    static awaitable<void> end_stream_with_error(RequestScope& scope, openai::ApiError error);

    const Services& services_;
    upstream::Client& client_;
};

// Null when the request may pass (a valid key, or an open gateway); else the 401 to send.
std::optional<openai::ApiError> check_api_key(const http::Request& request, const auth::ApiKeySet& keys);

// What a chat request asks of the model that serves it.
catalog::Needs needs_of(const openai::ChatRequest& chat);

// Reads an upstream's error response: the error the client gets for it.
awaitable<openai::ApiError> read_upstream_error(RequestScope& scope, upstream::Response& response,
                                                const providers::ProviderRuntime& provider,
                                                const catalog::Model& model);

// The error for an upstream exchange that failed before any answer (502, or 504 for timeouts).
openai::ApiError upstream_failure(upstream::Failure failure, std::string_view model);

}  // namespace gaterouter::api
