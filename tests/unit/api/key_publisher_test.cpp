#include "gaterouter/api/key_publisher.hpp"

#include <gtest/gtest.h>

#include "gaterouter/admit/key_limits.hpp"

namespace gaterouter::api {
namespace {

config::Config with_keys(std::uint32_t rpm) {
    config::Config c;
    config::ApiKeyConfig limited;
    limited.name = "limited";
    limited.sha256 = std::string(64, 'a');
    limited.settings.limits.rpm = rpm;
    limited.settings.timeouts.total = std::chrono::milliseconds(5000);
    limited.settings.queue.share = 3;
    config::ApiKeyConfig plain;
    plain.name = "plain";
    plain.sha256 = std::string(64, 'b');
    c.api_keys = {limited, plain};
    return c;
}

const auth::ApiKey& named(const auth::ApiKeySet& keys, std::string_view name) {
    for (const auto& k : keys.keys()) {
        if (k.name == name) return k;
    }
    throw std::logic_error("no key " + std::string(name));
}

}  // namespace

TEST(LoadKeys, EachKeyCarriesItsLimiterTimeLimitsAndQueue) {
    route::ManualClock clock;
    const auto keys = load_keys(with_keys(2), nullptr, nullptr, clock);
    const auth::ApiKey& limited = named(*keys, "limited");
    ASSERT_TRUE(limited.limiter);
    EXPECT_EQ(limited.limiter->limits().rpm, 2U);
    EXPECT_EQ(limited.timeouts.total, std::chrono::milliseconds(5000));
    EXPECT_EQ(limited.queue.share, 3U);
    EXPECT_FALSE(named(*keys, "plain").limiter) << "no limits, no limiter";
    const admit::KeyQueuePolicy policy =
        admit::queue_policy(limited.name, limited.queue, config::AdmissionConfig{});
    EXPECT_EQ(policy.flow, "limited");
    EXPECT_EQ(policy.share, 3U);
    EXPECT_EQ(policy.max_depth, config::AdmissionConfig{}.key_max_depth);
}

// The key set is rebuilt for every change to any key (and whenever the ledger's keys changed): a key's
// counts must not start again each time.
TEST(LoadKeys, ARebuildKeepsTheLimiterOfAKeyWhoseLimitsStayTheSame) {
    route::ManualClock clock;
    const config::Config config = with_keys(2);
    const auto first = load_keys(config, nullptr, nullptr, clock);
    admit::KeyLimiter& limiter = *named(*first, "limited").limiter;
    EXPECT_FALSE(limiter.admit(1));
    EXPECT_FALSE(limiter.admit(1));
    limiter.release(1, 0);
    limiter.release(1, 0);
    const auto second = load_keys(config, nullptr, first.get(), clock);
    EXPECT_EQ(named(*second, "limited").limiter.get(), &limiter);
    EXPECT_TRUE(named(*second, "limited").limiter->admit(1)) << "still out of requests for this minute";

    const auto changed = load_keys(with_keys(5), nullptr, second.get(), clock);
    EXPECT_NE(named(*changed, "limited").limiter.get(), &limiter) << "new limits, new counts";
    EXPECT_FALSE(named(*changed, "limited").limiter->admit(1));
}

}  // namespace gaterouter::api
