#include "gaterouter/route/deployments.hpp"

namespace gaterouter::route {

void AtomicEwma::add(double sample) {
    double current = value_.load(std::memory_order_relaxed);
    double next;
    do {
        next = current == 0.0 ? sample : current + alpha_ * (sample - current);
    } while (!value_.compare_exchange_weak(current, next, std::memory_order_relaxed));
}

Deployments::Deployments(const catalog::Catalog& catalog, const BreakerPolicy& policy, const Clock& clock) {
    for (const auto& m : catalog.models())
        by_model_.emplace(m.get(), std::make_unique<DeploymentState>(policy, clock));
}

}  // namespace gaterouter::route
