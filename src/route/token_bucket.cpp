#include "gaterouter/route/token_bucket.hpp"

#include <algorithm>

namespace gaterouter::route {

TokenBucket::TokenBucket(double capacity, double per_second, const Clock& clock)
    : capacity_(capacity), per_second_(per_second), clock_(clock), tokens_(capacity), last_(clock.now()) {}

void TokenBucket::refill_locked(Clock::time_point now) const {
    if (now <= last_) return;
    const double seconds = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(capacity_, tokens_ + seconds * per_second_);
    last_ = now;
}

bool TokenBucket::try_take(double n) {
    std::lock_guard lock(mutex_);
    refill_locked(clock_.now());
    if (tokens_ < n) return false;
    tokens_ -= n;
    return true;
}

void TokenBucket::charge(double n) {
    std::lock_guard lock(mutex_);
    refill_locked(clock_.now());
    tokens_ -= n;
}

void TokenBucket::refund(double n) {
    std::lock_guard lock(mutex_);
    refill_locked(clock_.now());
    tokens_ = std::min(capacity_, tokens_ + n);
}

void TokenBucket::cap_at(double remaining) {
    std::lock_guard lock(mutex_);
    refill_locked(clock_.now());
    tokens_ = std::min(tokens_, remaining);
}

double TokenBucket::available() const {
    std::lock_guard lock(mutex_);
    refill_locked(clock_.now());
    return tokens_;
}

Clock::duration TokenBucket::time_until(double n) const {
    std::lock_guard lock(mutex_);
    refill_locked(clock_.now());
    if (tokens_ >= n || per_second_ <= 0) return Clock::duration::zero();
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>((n - tokens_) / per_second_));
}

}  // namespace gaterouter::route
