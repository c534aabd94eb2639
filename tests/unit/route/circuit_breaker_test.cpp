#include "gaterouter/route/circuit_breaker.hpp"

#include <gtest/gtest.h>

using namespace gaterouter::route;
using namespace std::chrono_literals;

namespace {
BreakerPolicy policy() {
    BreakerPolicy p;
    p.consecutive_failures = 3;
    p.error_rate = 0.5;
    p.min_requests = 10;
    p.window = 10s;
    p.cooldown = 5s;
    p.half_open_probes = 2;
    return p;
}
}  // namespace

TEST(CircuitBreaker, OpensAfterConsecutiveFailures) {
    ManualClock clock;
    CircuitBreaker b(policy(), clock);
    b.record_failure();
    b.record_failure();
    EXPECT_EQ(b.state(), CircuitBreaker::State::closed);
    EXPECT_TRUE(b.allow());
    b.record_failure();
    EXPECT_EQ(b.state(), CircuitBreaker::State::open);
    EXPECT_FALSE(b.allow());
}

TEST(CircuitBreaker, OpensOnTheErrorRateOverTheWindow) {
    ManualClock clock;
    CircuitBreaker b(policy(), clock);
    for (int i = 0; i < 5; ++i) {  // alternating: never 3 in a row, but half of them fail
        b.record_success();
        b.record_failure();
    }
    EXPECT_EQ(b.state(), CircuitBreaker::State::open);
}

TEST(CircuitBreaker, ForgetsAnOldWindow) {
    ManualClock clock;
    CircuitBreaker b(policy(), clock);
    for (int i = 0; i < 4; ++i) {
        b.record_success();
        b.record_failure();
    }
    clock.advance(11s);
    b.record_success();
    b.record_failure();
    EXPECT_EQ(b.state(), CircuitBreaker::State::closed);
}

TEST(CircuitBreaker, HalfOpenProbesThenCloses) {
    ManualClock clock;
    CircuitBreaker b(policy(), clock);
    for (int i = 0; i < 3; ++i) b.record_failure();
    clock.advance(4s);
    EXPECT_FALSE(b.allow());
    clock.advance(1s);
    EXPECT_EQ(b.state(), CircuitBreaker::State::half_open);
    EXPECT_TRUE(b.allow());
    EXPECT_TRUE(b.allow());
    EXPECT_FALSE(b.allow());  // only two probes at a time
    b.record_success();
    EXPECT_EQ(b.state(), CircuitBreaker::State::closed);
    EXPECT_TRUE(b.allow());
}

TEST(CircuitBreaker, AFailedProbeOrALateFailureReopensForAnotherCooldown) {
    ManualClock clock;
    CircuitBreaker b(policy(), clock);
    for (int i = 0; i < 3; ++i) b.record_failure();
    clock.advance(3s);
    b.record_failure();  // a request that was in flight fails: the open period starts again
    clock.advance(3s);
    EXPECT_FALSE(b.allow());
    clock.advance(2s);
    EXPECT_TRUE(b.allow());
    b.record_failure();
    EXPECT_EQ(b.state(), CircuitBreaker::State::open);
    clock.advance(4s);
    EXPECT_FALSE(b.allow());  // a full cool-down again
}
