#pragma once
// A gateway-wide budget for failovers: over the last one to two seconds, retries may be at most
// `min_per_second` plus `ratio` × the first attempts sent. When a provider goes down, its traffic moves to
// the others without multiplying the load on them; a quiet gateway can still fail over thanks to the floor.
// Lock-free: two one-second slots of atomic counters (a slot's counts may be off by a request or two at the
// moment it is recycled, which a budget can afford).

#include <array>
#include <atomic>
#include <cstdint>

#include "gaterouter/config/config.hpp"
#include "gaterouter/route/clock.hpp"

namespace gaterouter::route {

class RetryBudget {
  public:
    RetryBudget(const config::RetryBudgetConfig& config, const Clock& clock);
    // A first attempt went out.
    void on_request();
    // Whether a retry may go out now; counts it when it may.
    bool try_spend();

  private:
    struct Slot {
        std::atomic<std::int64_t> second{-1};
        std::atomic<std::int64_t> requests{0};
        std::atomic<std::int64_t> retries{0};
    };
    std::int64_t now_second() const;
    Slot& current(std::int64_t second);

    double ratio_;
    std::int64_t floor_;
    const Clock& clock_;
    std::array<Slot, 2> slots_;
};

}  // namespace gaterouter::route
