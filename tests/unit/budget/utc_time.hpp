#pragma once
// Unix milliseconds of a UTC calendar time, for tests that pin the wall clock.

#include <chrono>
#include <cstdint>

namespace gaterouter::budget {

inline std::int64_t utc_ms(int y, unsigned m, unsigned d, int hour = 0, int minute = 0, int second = 0) {
    using namespace std::chrono;
    const auto t = sys_days(year(y) / month(m) / day(d)) + hours(hour) + minutes(minute) + seconds(second);
    return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

}  // namespace gaterouter::budget
