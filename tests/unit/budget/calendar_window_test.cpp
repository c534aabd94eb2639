#include "gaterouter/budget/calendar_window.hpp"

#include <gtest/gtest.h>

#include "utc_time.hpp"

using namespace gaterouter::budget;

namespace {
constexpr int kParis = 60;      // UTC+01:00
constexpr int kNewYork = -300;  // UTC-05:00
constexpr int kMumbai = 330;    // UTC+05:30
}  // namespace

TEST(BudgetCalendarWindow, UtcDay) {
    const TimeWindow w = window_containing(Period::day, 0, utc_ms(2025, 3, 10, 15));
    EXPECT_EQ(w.start_unix_ms, utc_ms(2025, 3, 10));
    EXPECT_EQ(w.end_unix_ms, utc_ms(2025, 3, 11));
}

TEST(BudgetCalendarWindow, DayStartsAtLocalMidnight) {
    // 23:30 UTC is 00:30 the next day in Paris.
    TimeWindow w = window_containing(Period::day, kParis, utc_ms(2025, 1, 1, 23, 30));
    EXPECT_EQ(w.start_unix_ms, utc_ms(2025, 1, 1, 23));
    EXPECT_EQ(w.end_unix_ms, utc_ms(2025, 1, 2, 23));
    // 03:00 UTC is still the previous evening in New York.
    w = window_containing(Period::day, kNewYork, utc_ms(2025, 1, 2, 3));
    EXPECT_EQ(w.start_unix_ms, utc_ms(2025, 1, 1, 5));
    EXPECT_EQ(w.end_unix_ms, utc_ms(2025, 1, 2, 5));
}

TEST(BudgetCalendarWindow, StartIsInsideAndEndIsTheNextWindow) {
    const std::int64_t midnight = utc_ms(2025, 6, 1, 18, 30);  // 00:00 in Mumbai
    EXPECT_EQ(window_containing(Period::day, kMumbai, midnight).start_unix_ms, midnight);
    EXPECT_EQ(window_containing(Period::day, kMumbai, midnight - 1).end_unix_ms, midnight);
    EXPECT_TRUE(window_containing(Period::day, kMumbai, midnight).contains(midnight));
    EXPECT_FALSE(window_containing(Period::day, kMumbai, midnight - 1).contains(midnight));
}

TEST(BudgetCalendarWindow, MonthRollsFromJanuary31ToFebruary1AtTheOffset) {
    // 22:30 UTC on Jan 31 is 23:30 in Paris: still January.
    TimeWindow w = window_containing(Period::month, kParis, utc_ms(2025, 1, 31, 22, 30));
    EXPECT_EQ(w.start_unix_ms, utc_ms(2024, 12, 31, 23));
    EXPECT_EQ(w.end_unix_ms, utc_ms(2025, 1, 31, 23));
    // 23:30 UTC is 00:30 on Feb 1 in Paris: February, 28 days in 2025.
    w = window_containing(Period::month, kParis, utc_ms(2025, 1, 31, 23, 30));
    EXPECT_EQ(w.start_unix_ms, utc_ms(2025, 1, 31, 23));
    EXPECT_EQ(w.end_unix_ms, utc_ms(2025, 2, 28, 23));
}

TEST(BudgetCalendarWindow, MonthRollsFromDecemberToJanuaryOfTheNextYear) {
    TimeWindow w = window_containing(Period::month, 0, utc_ms(2024, 12, 31, 12));
    EXPECT_EQ(w.start_unix_ms, utc_ms(2024, 12, 1));
    EXPECT_EQ(w.end_unix_ms, utc_ms(2025, 1, 1));
    // 03:00 UTC on Jan 1 is Dec 31 in New York.
    w = window_containing(Period::month, kNewYork, utc_ms(2025, 1, 1, 3));
    EXPECT_EQ(w.start_unix_ms, utc_ms(2024, 12, 1, 5));
    EXPECT_EQ(w.end_unix_ms, utc_ms(2025, 1, 1, 5));
    w = window_containing(Period::month, kNewYork, utc_ms(2025, 1, 1, 5));
    EXPECT_EQ(w.start_unix_ms, utc_ms(2025, 1, 1, 5));
    EXPECT_EQ(w.end_unix_ms, utc_ms(2025, 2, 1, 5));
}

TEST(BudgetCalendarWindow, LeapFebruary) {
    const TimeWindow w = window_containing(Period::month, 0, utc_ms(2024, 2, 29, 23, 59));
    EXPECT_EQ(w.end_unix_ms, utc_ms(2024, 3, 1));
}

TEST(BudgetCalendarWindow, TotalNeverEnds) {
    const TimeWindow w = window_containing(Period::total, kParis, utc_ms(2025, 1, 1));
    EXPECT_FALSE(w.ends());
    EXPECT_TRUE(w.contains(0));
    EXPECT_TRUE(w.contains(utc_ms(2100, 1, 1)));
}

TEST(BudgetCalendarWindow, FormatsLocalTimeWithItsOffset) {
    EXPECT_EQ(format_local_time(utc_ms(2025, 1, 31, 23), kParis), "2025-02-01T00:00:00+01:00");
    EXPECT_EQ(format_local_time(utc_ms(2025, 1, 1, 5), kNewYork), "2025-01-01T00:00:00-05:00");
    EXPECT_EQ(format_local_time(utc_ms(2025, 6, 1, 18, 30), kMumbai), "2025-06-02T00:00:00+05:30");
    EXPECT_EQ(format_local_time(utc_ms(2025, 7, 4, 12, 34, 56), 0), "2025-07-04T12:34:56Z");
}

TEST(BudgetCalendarWindow, PeriodNamesRoundTrip) {
    for (const Period p : {Period::day, Period::month, Period::total})
        EXPECT_EQ(parse_period(period_name(p)), p);
    EXPECT_EQ(parse_period("week"), std::nullopt);
}
