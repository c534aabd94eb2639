#pragma once
// What the gateway decides for a chat request before any model is called: its task and weight class, and the
// ordered candidates to try. Shared by the chat endpoint (which then executes the plan) and the explain
// endpoint (which returns it).

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "gaterouter/api/services.hpp"
#include "gaterouter/classify/task_classifier.hpp"
#include "gaterouter/openai/chat_request.hpp"
#include "gaterouter/openai/error.hpp"
#include "gaterouter/route/scheduler.hpp"

namespace gaterouter::api {

struct RouteDecision {
    classify::Classification classification;  // chat/standard when the gateway runs without a classifier
    const catalog::Model* named = nullptr;    // the model the client named; null when routed by preference
    const route::Policy* policy = nullptr;    // the policy that ranked the candidates (routed by preference)
    // The policy whose hedge settings apply: the ranking one, or for a named model the request's, the key's
    // or the default policy.
    const route::Policy* hedging = nullptr;
    catalog::Needs needs;
    std::uint32_t expected_output_tokens = 0;
    // What a hard budget reserves for: the prompt's most tokens (its estimate is in needs) and the answers
    // asked for (n; 0 for embeddings, which write none), each up to needs.max_output_tokens.
    std::uint32_t max_prompt_tokens = 0;
    std::uint32_t choices = 1;
    // The request's time limits (its key's and its own, the shorter of each): all attempts together, and the
    // first token of each. Absent: only the upstream section's per-attempt limits.
    std::optional<std::chrono::milliseconds> timeout;
    std::optional<std::chrono::milliseconds> first_token_timeout;
    std::vector<route::Candidate> candidates;  // best first; unavailable ones (open breaker) at the end
    std::vector<route::Exclusion> excluded;    // filled only when explaining
};

// What a chat request asks of the model that serves it.
catalog::Needs needs_of(const openai::ChatRequest& chat);

// Decides the route for `chat` (the client's request, with `key` the caller's API key or null). An error when
// no model can serve it (unknown model, bad preferences, nothing left after the filters).
std::optional<openai::ApiError> decide_route(const Services& services, const http::Request& request,
                                             const openai::ChatRequest& chat, const auth::ApiKey* key,
                                             bool explain, RouteDecision& out);

}  // namespace gaterouter::api
