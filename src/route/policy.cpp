#include "gaterouter/route/policy.hpp"

namespace gaterouter::route {

PolicyWeights builtin_weights(std::string_view name) {
    // Units: quality per 0.05 of prior below the best candidate; cost per tenfold of the cheapest; latency
    // per doubling of the fastest; errors per 10% failure share; load per 10 requests in flight.
    if (name == "cost") return {0.4, 6.0, 0.1, 2.0, 0.2};
    if (name == "latency") return {0.3, 0.3, 3.0, 2.0, 0.5};
    if (name == "quality") return {4.0, 0.1, 0.1, 2.0, 0.2};
    return {};
}

Policies::Policies(const config::RoutingConfig& routing) {
    for (const char* name : config::kPolicyNames) policies_.push_back({name, builtin_weights(name), {}});
    for (const auto& pc : routing.policies) {
        Policy* policy = nullptr;
        for (auto& p : policies_) {
            if (p.name == pc.name) policy = &p;
        }
        if (policy == nullptr)
            policy = &policies_.emplace_back(Policy{pc.name, builtin_weights(pc.name), {}});
        PolicyWeights& w = policy->weights;
        w.quality = pc.quality.value_or(w.quality);
        w.cost = pc.cost.value_or(w.cost);
        w.latency = pc.latency.value_or(w.latency);
        w.errors = pc.errors.value_or(w.errors);
        w.load = pc.load.value_or(w.load);
        if (pc.hedge) policy->hedge = pc.hedge;
    }
    default_ = find(routing.default_policy);
    if (default_ == nullptr) default_ = &policies_.front();  // the config loader rejects unknown names
}

const Policy* Policies::find(std::string_view name) const {
    for (const auto& p : policies_) {
        if (p.name == name) return &p;
    }
    return nullptr;
}

}  // namespace gaterouter::route
