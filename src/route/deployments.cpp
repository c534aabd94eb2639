#include "gaterouter/route/deployments.hpp"

#include <algorithm>

namespace gaterouter::route {

void AtomicEwma::add(double sample) {
    double current = value_.load(std::memory_order_relaxed);
    double next;
    do {
        next = std::isnan(current) ? sample : current + alpha_ * (sample - current);
    } while (!value_.compare_exchange_weak(current, next, std::memory_order_relaxed));
}

void SampleWindow::add(double sample) {
    const auto now = clock_.now();
    std::lock_guard lock(mutex_);
    ring_[next_] = {now, sample};
    next_ = (next_ + 1) % kCapacity;
    size_ = std::min(size_ + 1, kCapacity);
}

std::vector<double> SampleWindow::quantiles(std::initializer_list<double> qs) const {
    const auto oldest = clock_.now() - span_;
    std::vector<double> samples;
    {
        std::lock_guard lock(mutex_);
        samples.reserve(size_);
        for (std::size_t i = 0; i < size_; ++i) {
            if (ring_[i].first >= oldest) samples.push_back(ring_[i].second);
        }
    }
    std::vector<double> out;
    if (samples.empty()) return out;
    std::sort(samples.begin(), samples.end());
    for (const double q : qs) {
        const auto rank = static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1) + 0.5);
        out.push_back(samples[std::min(rank, samples.size() - 1)]);
    }
    return out;
}

DeploymentState::DeploymentState(const BreakerPolicy& policy, const Clock& clock,
                                 const config::LimitsConfig& limits)
    : breaker(policy, clock),
      clock(clock),
      latency_window(clock, policy.window),
      ttft_window(clock, policy.window),
      max_in_flight(limits.max_in_flight.value_or(0)) {
    if (limits.rpm) requests_per_minute.emplace(*limits.rpm, *limits.rpm / 60.0, clock);
    if (limits.tpm) tokens_per_minute.emplace(*limits.tpm, *limits.tpm / 60.0, clock);
}

bool DeploymentState::available() const {
    if (clock.now().time_since_epoch().count() < hold_until_.load(std::memory_order_relaxed)) return false;
    return !saturated() && breaker.state() != CircuitBreaker::State::open;
}

bool DeploymentState::saturated() const {
    if (max_in_flight != 0 && in_flight.load(std::memory_order_relaxed) >= max_in_flight) return true;
    return !rate_ready();
}

bool DeploymentState::rate_ready() const {
    if (requests_per_minute && requests_per_minute->available() < 1.0) return false;
    return !tokens_per_minute || tokens_per_minute->available() > 0.0;
}

bool DeploymentState::take_capacity() {
    std::int64_t current = in_flight.load(std::memory_order_relaxed);
    do {
        if (max_in_flight != 0 && current >= max_in_flight) return false;
    } while (!in_flight.compare_exchange_weak(current, current + 1, std::memory_order_relaxed));
    if (take_rate()) return true;
    release();
    return false;
}

bool DeploymentState::take_rate() {
    if (tokens_per_minute && tokens_per_minute->available() <= 0.0) return false;
    return !requests_per_minute || requests_per_minute->try_take(1.0);
}

void DeploymentState::provider_remaining(std::optional<double> requests, std::optional<double> tokens) {
    if (requests && requests_per_minute) requests_per_minute->cap_at(*requests);
    if (tokens && tokens_per_minute) tokens_per_minute->cap_at(*tokens);
}

void DeploymentState::charge_tokens(std::int64_t tokens) {
    if (tokens_per_minute && tokens > 0) tokens_per_minute->charge(static_cast<double>(tokens));
}

void DeploymentState::hold_until(Clock::time_point until) {
    const auto ticks = until.time_since_epoch().count();
    auto current = hold_until_.load(std::memory_order_relaxed);
    while (current < ticks && !hold_until_.compare_exchange_weak(current, ticks, std::memory_order_relaxed)) {
    }
}

void DeploymentState::record_success(double latency, double ttft, std::int64_t output_tokens) {
    breaker.record_success();
    successes.fetch_add(1, std::memory_order_relaxed);
    latency_ms.add(latency);
    latency_window.add(latency);
    if (ttft >= 0) {
        ttft_ms.add(ttft);
        ttft_window.add(ttft);
    }
    const double generating_ms = latency - std::max(ttft, 0.0);
    if (output_tokens > 0 && generating_ms > 0)
        tokens_per_second.add(static_cast<double>(output_tokens) * 1000.0 / generating_ms);
}

void DeploymentState::record_failure() {
    breaker.record_failure();
    failures.fetch_add(1, std::memory_order_relaxed);
}

Deployments::Deployments(const catalog::Catalog& catalog, const BreakerPolicy& policy, const Clock& clock)
    : catalog_(catalog) {
    for (std::size_t i = 0; i < catalog.models().size(); ++i)
        states_.push_back(std::make_unique<DeploymentState>(policy, clock, catalog.models()[i]->limits));
}

}  // namespace gaterouter::route
