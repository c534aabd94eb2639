#pragma once
// Live state of every deployment (a model at its provider), shared by all workers: its circuit breaker,
// requests in flight, and latency, time-to-first-token and error counts updated from every real response.
// Counters are atomics; the table itself is built once and never changes, so reading it takes no lock.

#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gaterouter/catalog/catalog.hpp"
#include "gaterouter/route/circuit_breaker.hpp"
#include "gaterouter/route/token_bucket.hpp"

namespace gaterouter::route {

// An exponentially weighted moving average that many threads update without a lock.
// Without a starting value, the first sample is taken as it is.
class AtomicEwma {
  public:
    explicit AtomicEwma(double alpha = 0.2, double start = std::numeric_limits<double>::quiet_NaN())
        : alpha_(alpha), value_(start) {}
    void add(double sample);
    bool has_value() const { return !std::isnan(value_.load(std::memory_order_relaxed)); }
    double value() const {  // 0 until there is one
        const double v = value_.load(std::memory_order_relaxed);
        return std::isnan(v) ? 0.0 : v;
    }

  private:
    double alpha_;
    std::atomic<double> value_;
};

// The last samples of a measure within a time window, for percentiles. Written once per response under a
// lock of its own (a few instructions); read by /metrics and the explain endpoint, not by the scheduler.
class SampleWindow {
  public:
    static constexpr std::size_t kCapacity = 512;
    SampleWindow(const Clock& clock, std::chrono::milliseconds span) : clock_(clock), span_(span) {}
    void add(double sample);
    // The q-quantiles (each in [0, 1]) of the samples younger than the span; empty when there are none.
    std::vector<double> quantiles(std::initializer_list<double> qs) const;

  private:
    const Clock& clock_;
    std::chrono::milliseconds span_;
    mutable std::mutex mutex_;
    std::array<std::pair<Clock::time_point, double>, kCapacity> ring_{};
    std::size_t next_ = 0;
    std::size_t size_ = 0;
};

struct DeploymentState {
    DeploymentState(const BreakerPolicy& policy, const Clock& clock, const config::LimitsConfig& limits = {});

    // Whether the scheduler should plan with it now: its breaker lets requests through, the provider did not
    // ask (Retry-After) to be left alone, and it is not saturated.
    bool available() const;
    // At one of its own limits: requests in flight, or requests or tokens per minute.
    bool saturated() const;
    // Whether its rate limits have room for one more request (its in-flight limit aside).
    bool rate_ready() const;
    // Takes a request's place under the deployment's limits just before it is sent (counted in `in_flight`
    // until release()); false when it is saturated (another request took the last place since it was
    // planned).
    bool take_capacity();
    // Takes a request's share of the rate limits only: for a place handed over by a request that ended.
    bool take_rate();
    void release() { in_flight.fetch_sub(1, std::memory_order_relaxed); }
    // The provider's x-ratelimit-remaining-requests / -tokens, as they arrive: the buckets never claim more.
    void provider_remaining(std::optional<double> requests, std::optional<double> tokens);
    // Tokens a finished request used, against the tokens-per-minute limit.
    void charge_tokens(std::int64_t tokens);
    // The provider asked for no requests before `until` (a 429 or 503 with Retry-After).
    void hold_until(Clock::time_point until);
    Clock::time_point held_until() const { return Clock::time_point(Clock::duration(hold_until_.load())); }

    // Outcomes of real responses.
    void record_success(double latency_ms, double ttft_ms, std::int64_t output_tokens);
    void record_failure();

    CircuitBreaker breaker;
    const Clock& clock;
    std::atomic<std::int64_t> in_flight{0};
    std::atomic<std::uint64_t> successes{0};
    std::atomic<std::uint64_t> failures{0};
    std::atomic<std::uint64_t> hedges_fired{0};  // second requests sent here because another was slow
    std::atomic<std::uint64_t> hedges_won{0};    // ... that answered first
    AtomicEwma latency_ms;
    AtomicEwma ttft_ms;
    AtomicEwma tokens_per_second;
    SampleWindow latency_window;
    SampleWindow ttft_window;
    const std::uint32_t max_in_flight;  // 0: no limit
    std::optional<TokenBucket> requests_per_minute;
    std::optional<TokenBucket> tokens_per_minute;

  private:
    std::atomic<Clock::duration::rep> hold_until_{0};
};

class Deployments {
  public:
    Deployments(const catalog::Catalog& catalog, const BreakerPolicy& policy, const Clock& clock);
    DeploymentState& of(const catalog::Model& model) const { return *states_[model.index]; }
    // Every deployment with its model, for /metrics.
    template <class Fn>
    void for_each(Fn&& fn) const {
        for (std::size_t i = 0; i < states_.size(); ++i) fn(*catalog_.models()[i], *states_[i]);
    }

  private:
    const catalog::Catalog& catalog_;
    std::vector<std::unique_ptr<DeploymentState>> states_;  // by catalog::Model::index
};

}  // namespace gaterouter::route
