#pragma once
// Time for everything that decides by it (breakers, windows): injected, so tests move it by hand.

#include <atomic>
#include <chrono>

namespace gaterouter::route {

class Clock {
  public:
    using time_point = std::chrono::steady_clock::time_point;
    using duration = std::chrono::steady_clock::duration;
    virtual ~Clock() = default;
    virtual time_point now() const = 0;
};

class SteadyClock final : public Clock {
  public:
    time_point now() const override { return std::chrono::steady_clock::now(); }
};

// A clock that moves only when told to.
class ManualClock final : public Clock {
  public:
    time_point now() const override { return time_point(std::chrono::nanoseconds(ns_.load())); }
    void advance(std::chrono::nanoseconds d) { ns_.fetch_add(d.count()); }

  private:
    std::atomic<std::int64_t> ns_{1'000'000'000};
};

}  // namespace gaterouter::route
