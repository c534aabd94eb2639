#include "gaterouter/route/token_bucket.hpp"

#include <gtest/gtest.h>

using namespace gaterouter::route;
using namespace std::chrono_literals;

TEST(TokenBucket, StartsFullTakesAndRefillsWithTheClock) {
    ManualClock clock;
    TokenBucket bucket(60, 1.0, clock);  // 60 per minute
    for (int i = 0; i < 60; ++i) EXPECT_TRUE(bucket.try_take()) << i;
    EXPECT_FALSE(bucket.try_take());
    EXPECT_EQ(bucket.time_until(1.0), 1s);
    clock.advance(500ms);
    EXPECT_FALSE(bucket.try_take());
    clock.advance(500ms);
    EXPECT_TRUE(bucket.try_take());
    clock.advance(10min);
    EXPECT_DOUBLE_EQ(bucket.available(), 60.0);  // never above capacity
}

TEST(TokenBucket, ATakeThatDoesNotFitTakesNothing) {
    ManualClock clock;
    TokenBucket bucket(100, 10.0, clock);
    EXPECT_TRUE(bucket.try_take(70));
    EXPECT_FALSE(bucket.try_take(31));
    EXPECT_DOUBLE_EQ(bucket.available(), 30.0);
    EXPECT_EQ(bucket.time_until(31), 100ms);
}

TEST(TokenBucket, ChargeGoesIntoDebtAndRefundStopsAtCapacity) {
    ManualClock clock;
    TokenBucket bucket(100, 10.0, clock);
    bucket.charge(150);
    EXPECT_DOUBLE_EQ(bucket.available(), -50.0);
    EXPECT_FALSE(bucket.try_take(1));
    clock.advance(5s);
    EXPECT_DOUBLE_EQ(bucket.available(), 0.0);
    bucket.refund(500);
    EXPECT_DOUBLE_EQ(bucket.available(), 100.0);
}

TEST(TokenBucket, TheProvidersRemainingCapsButNeverRaises) {
    ManualClock clock;
    TokenBucket bucket(100, 10.0, clock);
    bucket.cap_at(3);
    EXPECT_DOUBLE_EQ(bucket.available(), 3.0);
    bucket.cap_at(50);
    EXPECT_DOUBLE_EQ(bucket.available(), 3.0);
}
