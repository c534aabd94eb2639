#include "gaterouter/admit/key_limits.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

using namespace gaterouter;
using namespace std::chrono_literals;

namespace {

struct Headers {
    std::map<std::string, std::string> values;
    void set(const std::string& name, const std::string& value) { values[name] = value; }
};

config::LimitsConfig limits(std::optional<std::uint32_t> rpm, std::optional<std::uint32_t> tpm,
                            std::optional<std::uint32_t> in_flight) {
    config::LimitsConfig l;
    l.rpm = rpm;
    l.tpm = tpm;
    l.max_in_flight = in_flight;
    return l;
}

}  // namespace

TEST(KeyLimiter, RequestsPerMinuteRefuseWithRetryAfterAndRecover) {
    route::ManualClock clock;
    admit::KeyLimiter limiter(limits(3, std::nullopt, std::nullopt), clock);
    for (int i = 0; i < 3; ++i) {
        ASSERT_FALSE(limiter.admit(10)) << i;
        limiter.release(10, 0);
    }
    const auto refusal = limiter.admit(10);
    ASSERT_TRUE(refusal);
    EXPECT_NE(refusal->message.find("3 requests per minute"), std::string::npos);
    EXPECT_EQ(refusal->retry_after, 20s);  // one request every 20 s
    clock.advance(20s);
    EXPECT_FALSE(limiter.admit(10));
}

TEST(KeyLimiter, TokensPerMinuteCountTheEstimateThenSettleWhatWasUsed) {
    route::ManualClock clock;
    admit::KeyLimiter limiter(limits(std::nullopt, 1000, std::nullopt), clock);
    ASSERT_FALSE(limiter.admit(800));
    EXPECT_TRUE(limiter.admit(300));  // 800 held: 200 left
    limiter.release(800, 100);        // it used 100: 700 back
    EXPECT_FALSE(limiter.admit(300));
    limiter.release(300, 0);
    Headers h;
    limiter.stamp(h);
    EXPECT_EQ(h.values["x-ratelimit-limit-tokens"], "1000");
    EXPECT_EQ(h.values["x-ratelimit-remaining-tokens"], "600");
    EXPECT_EQ(h.values.count("x-ratelimit-limit-requests"), 0u);
}

TEST(KeyLimiter, ConcurrencyIsCountedUntilRelease) {
    route::ManualClock clock;
    admit::KeyLimiter limiter(limits(std::nullopt, std::nullopt, 2), clock);
    ASSERT_FALSE(limiter.admit(1));
    ASSERT_FALSE(limiter.admit(1));
    EXPECT_TRUE(limiter.admit(1));
    limiter.release(1, 0);
    EXPECT_FALSE(limiter.admit(1));
}

TEST(KeyLimiter, ARefusedTokenRequestGivesItsRequestBack) {
    route::ManualClock clock;
    admit::KeyLimiter limiter(limits(2, 100, std::nullopt), clock);
    EXPECT_TRUE(limiter.admit(500));  // over the token limit
    ASSERT_FALSE(limiter.admit(10));
    ASSERT_FALSE(limiter.admit(10));  // the refused one did not use up a request
    Headers h;
    limiter.stamp(h);
    EXPECT_EQ(h.values["x-ratelimit-remaining-requests"], "0");
    EXPECT_EQ(h.values["x-ratelimit-reset-requests"], "1m0s");
}
