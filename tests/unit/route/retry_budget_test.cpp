#include "gaterouter/route/retry_budget.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "gaterouter/route/clock.hpp"

using namespace gaterouter;
using namespace gaterouter::route;
using namespace std::chrono_literals;

namespace {

config::RetryBudgetConfig budget(double ratio, unsigned min_per_second) {
    config::RetryBudgetConfig c;
    c.ratio = ratio;
    c.min_per_second = min_per_second;
    return c;
}

// How many retries the budget grants before its first refusal (at most `limit`).
int spend_all(RetryBudget& b, int limit = 10'000) {
    int granted = 0;
    while (granted < limit && b.try_spend()) ++granted;
    return granted;
}

}  // namespace

TEST(RetryBudget, TheFloorAllowsMinPerSecondWithNoTraffic) {
    ManualClock clock;
    RetryBudget b(budget(0.2, 10), clock);
    EXPECT_EQ(spend_all(b), 10);
    EXPECT_FALSE(b.try_spend());
}

TEST(RetryBudget, FirstAttemptsBuyRatioTimesAsManyRetries) {
    ManualClock clock;
    RetryBudget b(budget(0.5, 0), clock);
    EXPECT_FALSE(b.try_spend());  // no floor, no traffic: no retries
    for (int i = 0; i < 10; ++i) b.on_request();
    EXPECT_EQ(spend_all(b), 5);

    RetryBudget with_floor(budget(0.2, 10), clock);
    for (int i = 0; i < 50; ++i) with_floor.on_request();
    EXPECT_EQ(spend_all(with_floor), 20);  // 10 + 0.2 × 50
}

TEST(RetryBudget, NewRequestsReopenARefusingBudget) {
    ManualClock clock;
    RetryBudget b(budget(0.5, 1), clock);
    EXPECT_TRUE(b.try_spend());   // 0 spent < 1
    EXPECT_FALSE(b.try_spend());  // 1 spent, 1 allowed
    b.on_request();
    EXPECT_TRUE(b.try_spend());   // 1 spent < 1 + 0.5 × 1
    EXPECT_FALSE(b.try_spend());  // 2 spent
    b.on_request();
    EXPECT_FALSE(b.try_spend());  // 2 spent, 1 + 0.5 × 2 allowed
    b.on_request();
    EXPECT_TRUE(b.try_spend());  // 2 spent < 1 + 0.5 × 3
}

TEST(RetryBudget, CountsTheLastSecondTooAndRecoversTwoSecondsLater) {
    ManualClock clock;
    RetryBudget b(budget(0.2, 10), clock);
    EXPECT_EQ(spend_all(b), 10);

    clock.advance(1s);  // the previous second's retries still count
    EXPECT_FALSE(b.try_spend());

    clock.advance(1s);  // now they are older than the window
    EXPECT_EQ(spend_all(b), 10);
}

TEST(RetryBudget, RequestsOfThePreviousSecondStillEarnRetries) {
    ManualClock clock;
    RetryBudget b(budget(0.5, 0), clock);
    for (int i = 0; i < 10; ++i) b.on_request();
    clock.advance(1s);
    EXPECT_EQ(spend_all(b), 5);
    clock.advance(2s);
    EXPECT_FALSE(b.try_spend());  // their time is over
}

TEST(RetryBudget, WithinOneSecondTheClockMovingChangesNothing) {
    ManualClock clock;  // starts on a whole second
    RetryBudget b(budget(0.2, 3), clock);
    EXPECT_EQ(spend_all(b), 3);
    clock.advance(999ms);
    EXPECT_FALSE(b.try_spend());
}
