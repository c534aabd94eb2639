#pragma once
// A caller's routing preferences, resolved against the pool: from the config (an API key's `routing`, an
// alias) and from the request itself (the `gaterouter` body object and `x-gaterouter-*` headers).
//
// Layering: the request's own values are added on top of the key's or alias's. A request may pick another
// policy and tighten limits, never loosen them: allow lists intersect, deny lists add up, the higher
// min_quality and the lower max_cost_per_request win.

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gaterouter/catalog/catalog.hpp"
#include "gaterouter/config/config.hpp"
#include "gaterouter/http/message.hpp"
#include "gaterouter/openai/chat_request.hpp"
#include "gaterouter/openai/error.hpp"
#include "gaterouter/route/policy.hpp"

namespace gaterouter::api {

struct Preferences {
    const route::Policy* policy = nullptr;  // null: the default policy
    std::optional<double> max_cost_per_request;
    std::optional<double> min_quality;
    std::vector<const catalog::Model*> allow;  // empty: the whole pool
    std::vector<const catalog::Model*> deny;
    bool restricted = false;  // an allow list was given (even if the intersection left it empty)
    // Not routing, but asked for the same way (gaterouter.timeout_ms, x-gaterouter-timeout-ms, ...); the
    // shorter of two layers wins.
    std::optional<std::chrono::milliseconds> timeout;
    std::optional<std::chrono::milliseconds> first_token_timeout;
};

// Resolves preferences from the config (which has validated the names already).
Preferences resolve_preferences(const config::RoutePreferences& config, const catalog::Catalog& catalog,
                                const route::Policies& policies);

// Layers `top` on `base`: top's policy when it names one; limits tighten (see above).
void layer(Preferences& base, const Preferences& top);

// Adds the request's own preferences to `prefs`: headers first, then the body's `gaterouter` object. A bad
// value is a 400 naming it.
std::optional<openai::ApiError> add_request_preferences(const http::Request& request,
                                                        const openai::ChatRequest& chat,
                                                        const catalog::Catalog& catalog,
                                                        const route::Policies& policies, Preferences& prefs);

}  // namespace gaterouter::api
