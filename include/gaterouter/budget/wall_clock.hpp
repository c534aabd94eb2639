#pragma once
// Calendar time for budget windows (a day, a month), injected so tests move it instead of sleeping. Unlike
// the steady clocks that time requests, this one can jump when the system clock is set; windows only ever
// roll forward, so a clock set back never reopens spent money.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace gaterouter::budget {

class WallClock {
  public:
    virtual ~WallClock() = default;
    virtual std::int64_t now_unix_ms() const = 0;
};

class SystemWallClock final : public WallClock {
  public:
    std::int64_t now_unix_ms() const override {
        using namespace std::chrono;
        return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    }
};

// A clock that moves only when told to.
class ManualWallClock final : public WallClock {
  public:
    explicit ManualWallClock(std::int64_t unix_ms) : unix_ms_(unix_ms) {}
    std::int64_t now_unix_ms() const override { return unix_ms_.load(); }
    void set(std::int64_t unix_ms) { unix_ms_.store(unix_ms); }
    void advance(std::chrono::milliseconds d) { unix_ms_.fetch_add(d.count()); }

  private:
    std::atomic<std::int64_t> unix_ms_;
};

}  // namespace gaterouter::budget
