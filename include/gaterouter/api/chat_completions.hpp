#pragma once
// POST /v1/chat/completions: authenticate, read the request, pick the model, forward it to its provider and
// relay the answer — whole, or event by event for streams.

#include <optional>
#include <span>
#include <string>

#include "gaterouter/api/capacity_slot.hpp"
#include "gaterouter/api/request_account.hpp"
#include "gaterouter/api/request_scope.hpp"
#include "gaterouter/api/route_decision.hpp"
#include "gaterouter/api/services.hpp"
#include "gaterouter/route/deployments.hpp"

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

    // A request with a deployment: holds its place there and reports its outcome to the breaker and the live
    // metrics.
    class InFlight {
      public:
        InFlight(route::DeploymentState& health, CapacitySlot slot);
        InFlight(const InFlight&) = delete;
        InFlight& operator=(const InFlight&) = delete;
        void first_token();  // the first piece of a streamed answer arrived
        // Counts against the deployment's health unless `failure` was the gateway's own.
        Attempt failed(openai::ApiError error, upstream::Failure failure = upstream::Failure::none);
        void succeeded(std::int64_t output_tokens);

      private:
        route::DeploymentState& health_;
        CapacitySlot slot_;
        std::chrono::steady_clock::time_point start_;
        std::chrono::steady_clock::time_point first_token_{};
    };

    // One candidate's exchange with its provider; a hedged request runs two at once.
    struct Contender {
        Contender(const route::Candidate& c, route::DeploymentState& h, CapacitySlot slot)
            : candidate(c), health(h), in_flight(h, std::move(slot)) {}
        const route::Candidate& candidate;
        route::DeploymentState& health;
        InFlight in_flight;
        http::Request request;
        upstream::Response response;
        upstream::Failure failure = upstream::Failure::none;
        upstream::CancelSignal cancel;
        bool done = false;
    };

    // A hedge the request may start: after `after` without a response head, the first of `others` that can
    // take it now.
    struct Hedge {
        std::chrono::milliseconds after{0};
        std::span<const route::Candidate> others;
        const std::string* body = nullptr;  // the client's body, copied for the second request if it is sent
    };

    // Where a request stands in the admission queue once it had to wait. Leaves the queue when the request
    // is done with it, passing on a place handed over too late to be used.
    class QueuePlace {
      public:
        explicit QueuePlace(const Services& services) : services_(services) {}
        ~QueuePlace() { leave(false); }
        QueuePlace(const QueuePlace&) = delete;
        QueuePlace& operator=(const QueuePlace&) = delete;
        void leave(bool served);

        admit::KeyQueuePolicy policy;
        std::vector<std::uint32_t> models;  // its candidates; empty until it first waits
        admit::WaitTicket ticket;

      private:
        const Services& services_;
    };

    awaitable<std::optional<openai::ApiError>> execute(RequestScope& scope, RequestAccount& account,
                                                       http::Request& request,
                                                       const openai::ChatRequest& chat,
                                                       const RouteDecision& decision,
                                                       const auth::ApiKey* key) const;
    // A place on the deployment for the next attempt: the one the admission queue handed over, or a new one.
    CapacitySlot take_place(route::DeploymentState& health, std::uint32_t model, CapacitySlot& handed) const;
    // A new place, when the deployment can take the request now (breaker, Retry-After pause, limits).
    CapacitySlot take_new_place(route::DeploymentState& health, std::uint32_t model) const;
    static openai::ApiError queue_refusal(admit::WaitOutcome outcome, const admit::KeyQueuePolicy& policy);
    std::optional<std::chrono::steady_clock::duration> time_to_recovery(const RouteDecision& decision) const;
    // `timeouts`: the upstream section's, shortened by the request's own limits.
    awaitable<Attempt> try_candidate(RequestScope& scope, RequestAccount& account,
                                     const openai::ChatRequest& chat, std::string& body,
                                     const route::Candidate& candidate, route::DeploymentState& health,
                                     CapacitySlot slot, upstream::Timeouts timeouts, Hedge* hedge) const;
    // The hedge for an attempt on decision.candidates[index], when its policy hedges and a threshold is
    // known.
    std::optional<Hedge> plan_hedge(const RouteDecision& decision, std::size_t index, bool stream,
                                    const std::string& body) const;
    // Sends `first`, and a second request per `hedge` if `first` is slow; the contender that got a response
    // head first (or the one that failed last), with the other one cancelled and finished.
    awaitable<Contender*> race(RequestScope& scope, RequestAccount& account, const openai::ChatRequest& chat,
                               Contender& first, std::optional<Contender>& second, Hedge& hedge,
                               upstream::Timeouts timeouts) const;
    awaitable<void> send(Contender& contender, upstream::Timeouts timeouts, net::steady_timer& done) const;
    // Both return the error when the answer failed; nothing reached the client unless its headers were sent.
    awaitable<std::optional<openai::ApiError>> relay_whole(RequestScope& scope, RequestAccount& account,
                                                           upstream::Response& response,
                                                           const providers::ProviderRuntime& provider,
                                                           const route::Candidate& candidate) const;
    awaitable<std::optional<openai::ApiError>> relay_stream(RequestScope& scope, RequestAccount& account,
                                                            upstream::Response& response,
                                                            const providers::ProviderRuntime& provider,
                                                            const route::Candidate& candidate,
                                                            const providers::StreamOptions& options,
                                                            InFlight& in_flight) const;

    static awaitable<error_code> start_stream(RequestScope& scope, const route::Candidate& candidate);
    static awaitable<void> end_stream_with_error(RequestScope& scope, RequestAccount& account,
                                                 openai::ApiError error);

    const Services& services_;
    upstream::Client& client_;
};

// Null when the request may pass (a valid, live key, or an open gateway); else the 401 to send. `keys`
// receives the key set in force (which owns the key); `key`, when given, the caller's key (left alone for an
// open gateway).
std::optional<openai::ApiError> check_api_key(const http::Request& request, const Services& services,
                                              std::shared_ptr<const auth::ApiKeySet>& keys,
                                              const auth::ApiKey** key = nullptr);

// What every chat-shaped endpoint (completions, explain) starts with: the caller's key, then the request read
// from the body. Stays where it is made: `chat` views the body and `extension`.
struct ChatIntake {
    std::shared_ptr<const auth::ApiKeySet> keys;  // the key set in force, which owns `key`
    const auth::ApiKey* key = nullptr;            // null for an open gateway
    openai::ChatRequest chat;
    std::string extension;
};

// Authenticates and reads the request into `intake`; the error to answer with when either fails.
std::optional<openai::ApiError> take_chat_request(http::Request& request, const Services& services,
                                                  ChatIntake& intake);

// Reads an upstream's error response: the error the client gets for it.
awaitable<openai::ApiError> read_upstream_error(RequestScope& scope, upstream::Response& response,
                                                const providers::ProviderRuntime& provider,
                                                const catalog::Model& model);

// Takes a whole answer as `model`'s protocol translated it (nothing: it could not): scrubs the provider's
// secrets from it and reads it once; the 502 when it is no JSON object. Else the scope has it as served by
// `model`, with its reported usage or, without one, the gateway's own count charged to `account` (a token
// per four bytes of the answer when `writes_tokens`, the prompt's estimate alone otherwise), so that no
// answer is free.
std::optional<openai::ApiError> take_whole_answer(std::optional<std::string>& answer,
                                                  const providers::ProviderRuntime& provider,
                                                  const catalog::Model& model, RequestScope& scope,
                                                  RequestAccount& account, bool writes_tokens);

// The cost of an answer's reported usage at the model's prices, in USD.
double cost_of(const openai::Usage& usage, const catalog::Model& model);

// The error for an upstream exchange that failed before any answer (502, or 504 for timeouts).
openai::ApiError upstream_failure(upstream::Failure failure, std::string_view model);

}  // namespace gaterouter::api
