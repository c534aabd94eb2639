#include "gaterouter/api/route_decision.hpp"

#include "gaterouter/classify/request_text.hpp"
#include "gaterouter/route/planner.hpp"

namespace gaterouter::api {
namespace {

classify::Classification classify_request(const Services& services, const openai::ChatRequest& chat) {
    if (!services.classifier) return {};
    thread_local std::string text;  // the classifier's input, reused from request to request
    return services.classifier->classify(classify::classifier_input(chat, text));
}

// The candidate as the scheduler would describe it, for a plan that was not scored (a named model).
route::Candidate unscored(const Services& services, const catalog::Model& m, const RouteDecision& d) {
    const route::DeploymentState& state = services.deployments->of(m);
    route::Candidate c;
    c.model = &m;
    c.available = state.available();
    c.quality = m.quality_for(d.classification.task);
    c.expected_cost_usd = m.cost_usd(d.needs.prompt_tokens, d.expected_output_tokens);
    c.latency_ms = state.latency_ms.value();
    c.error_rate = state.breaker.error_rate();
    c.in_flight = state.in_flight.load(std::memory_order_relaxed);
    return c;
}

openai::ApiError nothing_fits(const RouteDecision& d) {
    std::string message = "No model in the pool can serve this request under its routing preferences";
    if (!d.excluded.empty()) {
        message += " (for example, " + d.excluded.front().model->id + ": " + d.excluded.front().reason + ")";
    }
    message +=
        ". Relax the gaterouter preferences, or name a model; POST /v1/route/explain shows why each "
        "model was left out.";
    return openai::invalid_request(std::move(message), "model", "no_model_fits");
}

}  // namespace

catalog::Needs needs_of(const openai::ChatRequest& chat) {
    catalog::Needs needs;
    if (chat.wants_tools) needs.capabilities |= catalog::kTools;
    if (chat.has_images) needs.capabilities |= catalog::kVision;
    if (chat.json_mode) needs.capabilities |= catalog::kJson;
    if (chat.stream) needs.capabilities |= catalog::kStreaming;
    needs.prompt_tokens = chat.estimated_prompt_tokens;
    needs.max_output_tokens =
        static_cast<std::uint32_t>(std::min<std::int64_t>(chat.max_tokens.value_or(0), UINT32_MAX));
    return needs;
}

std::optional<openai::ApiError> decide_route(const Services& services, const http::Request& request,
                                             const openai::ChatRequest& chat, const auth::ApiKey* key,
                                             bool explain, RouteDecision& out) {
    out.classification = classify_request(services, chat);
    out.needs = needs_of(chat);
    out.max_prompt_tokens = chat.max_prompt_tokens;
    out.choices = chat.choices;
    out.expected_output_tokens =
        route::expected_output_tokens(out.classification.task, out.classification.weight,
                                      out.needs.prompt_tokens, out.needs.max_output_tokens);

    // The request's own preferences (headers, then its `gaterouter` object); a named model takes only their
    // time limits.
    Preferences own;
    if (auto bad = add_request_preferences(request, chat, *services.catalog, *services.policies, own))
        return bad;
    Preferences limits;
    if (key != nullptr) {
        limits.timeout = key->timeouts.total;
        limits.first_token_timeout = key->timeouts.first_token;
    }
    layer(limits, own);
    out.timeout = limits.timeout;
    out.first_token_timeout = limits.first_token_timeout;

    const auto alias = services.aliases.find(chat.model);
    if (alias == services.aliases.end()) {
        out.named = services.catalog->find_model(chat.model);
        if (out.named == nullptr) return openai::model_not_found(chat.model);
        out.hedging = own.policy;
        if (out.hedging == nullptr && key != nullptr)
            out.hedging = services.policies->find(key->routing.optimize);
        if (out.hedging == nullptr) out.hedging = &services.policies->default_policy();
        if (key != nullptr && !key->allows(out.named->id)) return openai::model_not_allowed(out.named->id);
        const route::Plan plan =
            route::plan_for_model(*services.catalog, *out.named, out.needs, services.max_attempts);
        if (!plan.refusal.empty()) {
            return openai::invalid_request("This request cannot be served: " + plan.refusal + ".", "model",
                                           "model_not_capable");
        }
        for (const catalog::Model* m : plan.candidates) {
            if (key == nullptr || key->allows(m->id)) out.candidates.push_back(unscored(services, *m, out));
        }
        return std::nullopt;
    }

    // Routed by preference: the key's, then the alias's, then the request's own, each layered on the last.
    Preferences prefs;
    if (key != nullptr) {
        prefs = resolve_preferences(key->routing, *services.catalog, *services.policies);
        if (!key->allowed_models.empty()) {  // what the key may use bounds everything layered on it
            config::RoutePreferences bound;
            bound.allow = key->allowed_models;
            layer(prefs, resolve_preferences(bound, *services.catalog, *services.policies));
        }
    }
    layer(prefs, alias->second);
    layer(prefs, own);
    out.policy = prefs.policy != nullptr ? prefs.policy : &services.policies->default_policy();
    out.hedging = out.policy;

    route::RouteQuery query;
    query.task = out.classification.task;
    query.weight = out.classification.weight;
    query.needs = out.needs;
    query.policy = &out.policy->weights;
    if (prefs.max_cost_per_request) query.max_cost_usd = *prefs.max_cost_per_request;
    if (prefs.min_quality) query.min_quality = *prefs.min_quality;
    query.allow = prefs.allow;
    query.deny = prefs.deny;
    if (prefs.restricted && prefs.allow.empty()) {
        return openai::invalid_request("The allow lists of this key and request have no model in common.",
                                       "gaterouter.allow", "no_model_fits");
    }
    services.scheduler->rank(query, out.candidates, explain ? &out.excluded : nullptr);
    if (out.candidates.empty()) {
        if (!explain) services.scheduler->rank(query, out.candidates, &out.excluded);  // for the message
        return nothing_fits(out);
    }
    return std::nullopt;
}

}  // namespace gaterouter::api
