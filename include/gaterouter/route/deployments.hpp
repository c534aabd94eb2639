#pragma once
// Live state of every deployment (a model at its provider), shared by all workers: its circuit breaker,
// requests in flight, and latency, time-to-first-token and error counts updated from every real response.
// Counters are atomics; the map itself is built once and never changes, so reading it takes no lock.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "gaterouter/catalog/catalog.hpp"
#include "gaterouter/route/circuit_breaker.hpp"

namespace gaterouter::route {

// An exponentially weighted moving average that many threads update without a lock.
class AtomicEwma {
  public:
    explicit AtomicEwma(double alpha = 0.2) : alpha_(alpha) {}
    void add(double sample);
    double value() const { return value_.load(std::memory_order_relaxed); }  // 0 until the first sample

  private:
    double alpha_;
    std::atomic<double> value_{0.0};
};

struct DeploymentState {
    DeploymentState(const BreakerPolicy& policy, const Clock& clock) : breaker(policy, clock) {}
    CircuitBreaker breaker;
    std::atomic<std::int64_t> in_flight{0};
    std::atomic<std::uint64_t> successes{0};
    std::atomic<std::uint64_t> failures{0};
    AtomicEwma latency_ms;
    AtomicEwma ttft_ms;
};

class Deployments {
  public:
    Deployments(const catalog::Catalog& catalog, const BreakerPolicy& policy, const Clock& clock);
    DeploymentState& of(const catalog::Model& model) const { return *by_model_.at(&model); }
    // Every deployment with its model, for /metrics.
    template <class Fn>
    void for_each(Fn&& fn) const {
        for (const auto& [model, state] : by_model_) fn(*model, *state);
    }

  private:
    std::unordered_map<const catalog::Model*, std::unique_ptr<DeploymentState>> by_model_;
};

}  // namespace gaterouter::route
