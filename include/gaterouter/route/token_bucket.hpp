#pragma once
// A token bucket: up to `capacity` tokens, refilled continuously at `per_second`. Used for rate limits on
// both sides: a key's requests and tokens per minute, and a provider's. Thread-safe with a lock of its own,
// held for a few arithmetic operations; time comes from an injected clock, so tests move it by hand.

#include <chrono>
#include <mutex>

#include "gaterouter/route/clock.hpp"

namespace gaterouter::route {

class TokenBucket {
  public:
    // Starts full.
    TokenBucket(double capacity, double per_second, const Clock& clock);

    // Takes `n` tokens if there are that many; false (and nothing taken) otherwise.
    bool try_take(double n = 1.0);
    // Takes `n` tokens even when that goes below zero (a debt repaid by the refill): for usage known only
    // after the fact, such as a request's real token count.
    void charge(double n);
    // Gives back `n` tokens (a reservation that turned out smaller), never above capacity.
    void refund(double n);
    // What the provider said is left, as of now (x-ratelimit-remaining-*): the bucket never claims more.
    void cap_at(double remaining);

    double capacity() const { return capacity_; }
    double available() const;
    // How long until `n` tokens are there (zero when they are).
    Clock::duration time_until(double n) const;

  private:
    void refill_locked(Clock::time_point now) const;

    double capacity_;
    double per_second_;
    const Clock& clock_;
    mutable std::mutex mutex_;
    mutable double tokens_;
    mutable Clock::time_point last_;
};

}  // namespace gaterouter::route
