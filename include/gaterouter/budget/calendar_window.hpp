#pragma once
// The calendar windows budgets are counted in: a day, a month, or all time. Time zones are fixed offsets from
// UTC in minutes (UTC+01:00 is 60): no daylight-saving rules, so a window is always a whole calendar day or
// month of that offset. An operator in a zone with DST picks the offset they want budgets to follow.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace gaterouter::budget {

enum class Period { day, month, total };

std::string_view period_name(Period period);
std::optional<Period> parse_period(std::string_view name);

// [start, end) in unix milliseconds.
struct TimeWindow {
    std::int64_t start_unix_ms = std::numeric_limits<std::int64_t>::min();
    std::int64_t end_unix_ms = std::numeric_limits<std::int64_t>::max();

    bool contains(std::int64_t unix_ms) const { return unix_ms >= start_unix_ms && unix_ms < end_unix_ms; }
    // A total window never ends.
    bool ends() const { return end_unix_ms != std::numeric_limits<std::int64_t>::max(); }
    bool operator==(const TimeWindow&) const = default;
};

// The window of `period` that holds `unix_ms`, with days starting at midnight of the given offset.
TimeWindow window_containing(Period period, int utc_offset_minutes, std::int64_t unix_ms);

// ISO 8601 local time at the offset, to the second: "2025-02-01T00:00:00+01:00", "…Z" at offset 0.
std::string format_local_time(std::int64_t unix_ms, int utc_offset_minutes);

}  // namespace gaterouter::budget
