#include "gaterouter/route/circuit_breaker.hpp"

namespace gaterouter::route {

const char* to_string(CircuitBreaker::State s) {
    switch (s) {
        case CircuitBreaker::State::closed:
            return "closed";
        case CircuitBreaker::State::open:
            return "open";
        case CircuitBreaker::State::half_open:
            return "half_open";
    }
    return "unknown";
}

void CircuitBreaker::roll_window_locked(Clock::time_point now) {
    if (now - window_start_ >= policy_.window) {
        window_start_ = now;
        window_requests_ = 0;
        window_failures_ = 0;
    }
}

void CircuitBreaker::open_locked(Clock::time_point now) {
    state_ = State::open;
    open_until_ = now + policy_.cooldown;
    consecutive_failures_ = 0;
    window_requests_ = 0;
    window_failures_ = 0;
}

bool CircuitBreaker::allow() {
    std::lock_guard lock(mutex_);
    if (state_ == State::closed) return true;
    const auto now = clock_.now();
    if (state_ == State::open) {
        if (now < open_until_) return false;
        state_ = State::half_open;
        probes_left_ = policy_.half_open_probes;
    }
    if (probes_left_ <= 0) return false;
    --probes_left_;
    return true;
}

void CircuitBreaker::record_success() {
    std::lock_guard lock(mutex_);
    const auto now = clock_.now();
    roll_window_locked(now);
    ++window_requests_;
    consecutive_failures_ = 0;
    if (state_ == State::half_open) state_ = State::closed;
}

void CircuitBreaker::record_failure() {
    std::lock_guard lock(mutex_);
    const auto now = clock_.now();
    if (state_ == State::open || state_ == State::half_open) {
        open_locked(now);
        return;
    }
    roll_window_locked(now);
    ++window_requests_;
    ++window_failures_;
    ++consecutive_failures_;
    const bool rate_tripped =
        window_requests_ >= policy_.min_requests && window_failures_ >= policy_.error_rate * window_requests_;
    if (consecutive_failures_ >= policy_.consecutive_failures || rate_tripped) open_locked(now);
}

CircuitBreaker::State CircuitBreaker::state() const {
    std::lock_guard lock(mutex_);
    if (state_ == State::open && clock_.now() >= open_until_) return State::half_open;
    return state_;
}

bool CircuitBreaker::wants_probe() const {
    std::lock_guard lock(mutex_);
    if (state_ == State::open) return clock_.now() >= open_until_;
    return state_ == State::half_open && probes_left_ > 0;
}

double CircuitBreaker::error_rate() const {
    std::lock_guard lock(mutex_);
    if (window_requests_ < policy_.min_requests || clock_.now() - window_start_ >= policy_.window) return 0.0;
    return static_cast<double>(window_failures_) / window_requests_;
}

Clock::time_point CircuitBreaker::reopens_at() const {
    std::lock_guard lock(mutex_);
    return state_ == State::open ? open_until_ : Clock::time_point{};
}

}  // namespace gaterouter::route
