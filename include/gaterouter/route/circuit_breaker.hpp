#pragma once
// A circuit breaker per deployment (a model at a provider).
//
// closed ──(N consecutive failures, or an error rate over the threshold in the window)──▶ open
// open ──(cool-down over)──▶ half-open: up to `half_open_probes` requests are let through as probes
// half-open ──(a probe succeeds)──▶ closed;  half-open ──(a probe fails)──▶ open again
// A failure reported while already open (a request that was in flight) extends the open period, so a
// provider that keeps failing stays out of rotation.
//
// Shared by all workers; each breaker has its own small lock (held for a few instructions, never across I/O),
// so there is no lock shared by all requests.

#include <chrono>
#include <cstdint>
#include <mutex>

#include "gaterouter/route/clock.hpp"

namespace gaterouter::route {

struct BreakerPolicy {
    int consecutive_failures = 5;
    double error_rate = 0.5;  // over the window, once it has at least `min_requests`
    int min_requests = 20;
    std::chrono::milliseconds window{10'000};
    std::chrono::milliseconds cooldown{5'000};
    int half_open_probes = 2;
};

class CircuitBreaker {
  public:
    enum class State { closed, open, half_open };

    CircuitBreaker(const BreakerPolicy& policy, const Clock& clock) : policy_(policy), clock_(clock) {}

    // Whether a request may be sent now; in half-open this takes one of the probe slots.
    bool allow();
    void record_success();
    void record_failure();
    State state() const;
    // True while half-open probe slots are left (or the cool-down is over and the first probe is due).
    bool wants_probe() const;
    // Failures over requests in the current window, once it has `min_requests` (the same rule as the rate
    // trip: a few failures say little, and a model that fails outright is the consecutive-failure rule's);
    // 0 before, and when the window has gone stale. Reset whenever the breaker opens.
    double error_rate() const;
    // When an open breaker lets probes through; a time in the past when it is not open.
    Clock::time_point reopens_at() const;

  private:
    void open_locked(Clock::time_point now);
    void roll_window_locked(Clock::time_point now);

    BreakerPolicy policy_;
    const Clock& clock_;
    mutable std::mutex mutex_;
    State state_ = State::closed;
    int consecutive_failures_ = 0;
    int probes_left_ = 0;
    Clock::time_point open_until_{};
    Clock::time_point window_start_{};
    int window_requests_ = 0;
    int window_failures_ = 0;
};

const char* to_string(CircuitBreaker::State s);

}  // namespace gaterouter::route
