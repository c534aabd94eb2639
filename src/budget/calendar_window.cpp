#include "gaterouter/budget/calendar_window.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace gaterouter::budget {

namespace {

using namespace std::chrono;
using LocalMs = sys_time<milliseconds>;  // a wall-clock reading at the offset, held as if it were UTC

constexpr std::array<std::pair<Period, std::string_view>, 3> kPeriodNames{{
    {Period::day, "day"},
    {Period::month, "month"},
    {Period::total, "total"},
}};

}  // namespace

std::string_view period_name(Period period) {
    for (const auto& [value, name] : kPeriodNames) {
        if (value == period) return name;
    }
    return "";
}

std::optional<Period> parse_period(std::string_view name) {
    for (const auto& [value, known] : kPeriodNames) {
        if (known == name) return value;
    }
    return std::nullopt;
}

TimeWindow window_containing(Period period, int utc_offset_minutes, std::int64_t unix_ms) {
    if (period == Period::total) return {};
    const milliseconds offset = minutes(utc_offset_minutes);
    const sys_days local_day = floor<days>(LocalMs(milliseconds(unix_ms) + offset));
    sys_days start = local_day;
    sys_days end = local_day + days(1);
    if (period == Period::month) {
        const year_month_day date(local_day);
        const year_month month = date.year() / date.month();
        start = sys_days(month / 1);
        end = sys_days((month + months(1)) / 1);
    }
    // Local midnight back to UTC.
    return {duration_cast<milliseconds>(start.time_since_epoch() - offset).count(),
            duration_cast<milliseconds>(end.time_since_epoch() - offset).count()};
}

std::string format_local_time(std::int64_t unix_ms, int utc_offset_minutes) {
    const LocalMs local(milliseconds(unix_ms) + minutes(utc_offset_minutes));
    const sys_days day = floor<days>(local);
    const year_month_day date(day);
    const hh_mm_ss time(floor<seconds>(local - day));
    std::array<char, 40> text{};
    int n = std::snprintf(text.data(), text.size(), "%04d-%02u-%02uT%02d:%02d:%02d",
                          static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                          static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                          static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()));
    std::string result(text.data(), static_cast<std::size_t>(n));
    if (utc_offset_minutes == 0) return result + "Z";
    const int magnitude = std::abs(utc_offset_minutes);
    n = std::snprintf(text.data(), text.size(), "%c%02d:%02d", utc_offset_minutes < 0 ? '-' : '+',
                      magnitude / 60, magnitude % 60);
    return result + std::string(text.data(), static_cast<std::size_t>(n));
}

}  // namespace gaterouter::budget
