#include "gaterouter/route/deployments.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "gaterouter/config/config.hpp"
#include "gaterouter/route/clock.hpp"

using namespace gaterouter;
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

// ---- AtomicEwma ----

TEST(AtomicEwma, TakesTheFirstSampleAsItIsThenBlends) {
    AtomicEwma e(0.2);
    EXPECT_FALSE(e.has_value());
    EXPECT_EQ(e.value(), 0.0);
    e.add(100);
    EXPECT_TRUE(e.has_value());
    EXPECT_DOUBLE_EQ(e.value(), 100);
    e.add(200);
    EXPECT_DOUBLE_EQ(e.value(), 120);  // 100 + 0.2 × (200 − 100)
    e.add(120);
    EXPECT_DOUBLE_EQ(e.value(), 120);
}

TEST(AtomicEwma, WithAStartValueTheFirstSampleBlends) {
    AtomicEwma e(0.5, 10);
    EXPECT_TRUE(e.has_value());
    EXPECT_DOUBLE_EQ(e.value(), 10);
    e.add(30);
    EXPECT_DOUBLE_EQ(e.value(), 20);
}

TEST(AtomicEwma, ConvergesOnASteadyValue) {
    AtomicEwma e(0.2);
    e.add(1000);
    for (int i = 0; i < 100; ++i) e.add(50);
    EXPECT_NEAR(e.value(), 50, 1e-6);
}

// ---- SampleWindow ----

TEST(SampleWindow, QuantilesOfTheSamples) {
    ManualClock clock;
    SampleWindow w(clock, 10s);
    EXPECT_TRUE(w.quantiles({0.5}).empty());
    for (int i = 100; i >= 1; --i) w.add(i);  // order of arrival does not matter
    EXPECT_EQ(w.quantiles({0.0, 0.5, 0.9, 0.99, 1.0}), (std::vector<double>{1, 51, 90, 99, 100}));
    EXPECT_TRUE(w.quantiles({}).empty());

    SampleWindow one(clock, 10s);
    one.add(7);
    EXPECT_EQ(one.quantiles({0.0, 0.5, 1.0}), (std::vector<double>{7, 7, 7}));
}

TEST(SampleWindow, SamplesOlderThanTheSpanExpire) {
    ManualClock clock;
    SampleWindow w(clock, 10s);
    w.add(1000);  // old and slow
    clock.advance(6s);
    w.add(10);
    w.add(20);
    EXPECT_EQ(w.quantiles({0.0, 1.0}), (std::vector<double>{10, 1000}));

    clock.advance(4s);  // the first sample is exactly one span old: still in
    EXPECT_EQ(w.quantiles({1.0}), std::vector<double>{1000});
    clock.advance(1ns);
    EXPECT_EQ(w.quantiles({0.0, 1.0}), (std::vector<double>{10, 20}));
    clock.advance(6s);
    EXPECT_TRUE(w.quantiles({0.5}).empty());
}

TEST(SampleWindow, KeepsOnlyTheLatestCapacitySamples) {
    ManualClock clock;
    SampleWindow w(clock, 10s);
    const int n = static_cast<int>(SampleWindow::kCapacity) + 88;
    for (int i = 1; i <= n; ++i) w.add(i);
    EXPECT_EQ(w.quantiles({0.0, 1.0}), (std::vector<double>{89, static_cast<double>(n)}));
}

// ---- DeploymentState ----

TEST(DeploymentState, RecordSuccessUpdatesCountsAndMovingAverages) {
    ManualClock clock;
    DeploymentState s(policy(), clock);
    s.record_success(1000, 200, 80);  // 80 tokens in the 800 ms after the first
    EXPECT_EQ(s.successes.load(), 1u);
    EXPECT_EQ(s.failures.load(), 0u);
    EXPECT_DOUBLE_EQ(s.latency_ms.value(), 1000);
    EXPECT_DOUBLE_EQ(s.ttft_ms.value(), 200);
    EXPECT_DOUBLE_EQ(s.tokens_per_second.value(), 100);
    EXPECT_EQ(s.latency_window.quantiles({0.5}), std::vector<double>{1000});
    EXPECT_EQ(s.ttft_window.quantiles({0.5}), std::vector<double>{200});

    // No first-token time (a non-streamed answer): latency only; the whole time counts as generating.
    s.record_success(250, -1, 50);
    EXPECT_DOUBLE_EQ(s.latency_ms.value(), 850);  // 1000 + 0.2 × (250 − 1000)
    EXPECT_DOUBLE_EQ(s.ttft_ms.value(), 200);
    EXPECT_EQ(s.ttft_window.quantiles({0.0, 1.0}), (std::vector<double>{200, 200}));
    EXPECT_DOUBLE_EQ(s.tokens_per_second.value(), 120);  // 50 in 250 ms is 200/s: 100 + 0.2 × (200 − 100)

    // No tokens: no throughput sample.
    s.record_success(300, 100, 0);
    EXPECT_DOUBLE_EQ(s.tokens_per_second.value(), 120);
    EXPECT_EQ(s.successes.load(), 3u);
}

TEST(DeploymentState, RecordFailureCountsAndTripsTheBreaker) {
    ManualClock clock;
    DeploymentState s(policy(), clock);
    EXPECT_TRUE(s.available());
    s.record_failure();
    s.record_failure();
    EXPECT_EQ(s.failures.load(), 2u);
    EXPECT_TRUE(s.available());
    s.record_failure();
    EXPECT_EQ(s.breaker.state(), CircuitBreaker::State::open);
    EXPECT_FALSE(s.available());
    clock.advance(5s);
    EXPECT_TRUE(s.available());  // half-open: it takes probes
    EXPECT_EQ(s.breaker.state(), CircuitBreaker::State::half_open);
}

TEST(DeploymentState, AHoldMakesItUnavailableUntilItsTime) {
    ManualClock clock;
    DeploymentState s(policy(), clock);
    EXPECT_EQ(s.held_until(), Clock::time_point{});
    const auto until = clock.now() + 2s;
    s.hold_until(until);
    EXPECT_EQ(s.held_until(), until);
    EXPECT_FALSE(s.available());
    EXPECT_EQ(s.breaker.state(), CircuitBreaker::State::closed);  // a hold is not a failure
    clock.advance(1999ms);
    EXPECT_FALSE(s.available());
    clock.advance(1ms);
    EXPECT_TRUE(s.available());
}

TEST(DeploymentState, AShorterHoldDoesNotCutALongerOneShort) {
    ManualClock clock;
    DeploymentState s(policy(), clock);
    const auto later = clock.now() + 10s;
    s.hold_until(later);
    s.hold_until(clock.now() + 1s);
    EXPECT_EQ(s.held_until(), later);
    clock.advance(5s);
    EXPECT_FALSE(s.available());
    s.hold_until(clock.now() + 20s);  // a longer one extends it
    EXPECT_EQ(s.held_until(), clock.now() + 20s);
}

TEST(DeploymentState, HeldAndOpenBothCount) {
    ManualClock clock;
    DeploymentState s(policy(), clock);
    for (int i = 0; i < 3; ++i) s.record_failure();
    s.hold_until(clock.now() + 8s);
    clock.advance(5s);  // the breaker would take probes, but the provider asked for 8 s
    EXPECT_TRUE(s.breaker.wants_probe());
    EXPECT_FALSE(s.available());
    clock.advance(3s);
    EXPECT_TRUE(s.available());
}

TEST(Deployments, OneStatePerModelByIndex) {
    const config::Config c =
        config::load_config_text(R"(providers: [{name: p, kind: openai, base_url: 'http://h'}]
models: [{id: a, provider: p}, {id: b, provider: p}, {id: e, provider: p, capabilities: [embeddings]}]
)",
                                 "test.yaml");
    const catalog::Catalog catalog(c);
    ManualClock clock;
    const Deployments d(catalog, policy(), clock);
    const catalog::Model& a = *catalog.find_model("a");
    const catalog::Model& b = *catalog.find_model("b");
    EXPECT_EQ(&d.of(a), &d.of(a));
    EXPECT_NE(&d.of(a), &d.of(b));
    d.of(b).record_failure();
    EXPECT_EQ(d.of(a).failures.load(), 0u);
    EXPECT_EQ(d.of(b).failures.load(), 1u);

    std::vector<std::string> seen;
    d.for_each([&](const catalog::Model& m, const DeploymentState& s) {
        seen.push_back(m.id);
        EXPECT_EQ(&s, &d.of(m));
    });
    EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "e"}));  // embeddings models have state too
}

// ---- CircuitBreaker: what the scheduler reads (the state machine is circuit_breaker_test's) ----

TEST(CircuitBreaker, WantsAProbeOnceTheCooldownIsOverUntilTheProbesAreTaken) {
    ManualClock clock;
    CircuitBreaker b(policy(), clock);
    EXPECT_FALSE(b.wants_probe());  // closed
    for (int i = 0; i < 3; ++i) b.record_failure();
    EXPECT_FALSE(b.wants_probe());  // open, cooling down
    clock.advance(4999ms);
    EXPECT_FALSE(b.wants_probe());
    clock.advance(1ms);
    EXPECT_TRUE(b.wants_probe());  // due, before anyone asked allow()
    EXPECT_TRUE(b.allow());
    EXPECT_TRUE(b.wants_probe());  // one probe slot left
    EXPECT_TRUE(b.allow());
    EXPECT_FALSE(b.wants_probe());  // both taken: wait for their outcome
    b.record_success();
    EXPECT_FALSE(b.wants_probe());  // closed again
}

TEST(CircuitBreaker, AFailedProbeStopsWantingProbesUntilTheNextCooldown) {
    ManualClock clock;
    CircuitBreaker b(policy(), clock);
    for (int i = 0; i < 3; ++i) b.record_failure();
    clock.advance(5s);
    ASSERT_TRUE(b.allow());
    b.record_failure();
    EXPECT_FALSE(b.wants_probe());
    clock.advance(5s);
    EXPECT_TRUE(b.wants_probe());
}

TEST(CircuitBreaker, ErrorRateIsZeroUntilTheWindowHasMinRequests) {
    ManualClock clock;
    BreakerPolicy p = policy();
    p.consecutive_failures = 100;
    p.error_rate = 0.9;  // stays closed
    CircuitBreaker b(p, clock);
    for (int i = 0; i < 3; ++i) {
        b.record_failure();
        b.record_success();
        b.record_success();
    }
    EXPECT_EQ(b.error_rate(), 0.0);  // 3 in 9
    b.record_success();
    EXPECT_DOUBLE_EQ(b.error_rate(), 0.3);  // 3 in 10
    b.record_failure();
    EXPECT_DOUBLE_EQ(b.error_rate(), 4.0 / 11);
    EXPECT_EQ(b.state(), CircuitBreaker::State::closed);
}

TEST(CircuitBreaker, ErrorRateForgetsAStaleWindow) {
    ManualClock clock;
    BreakerPolicy p = policy();
    p.consecutive_failures = 100;
    p.error_rate = 0.9;
    CircuitBreaker b(p, clock);
    clock.advance(60s);  // well into the clock's life: the first window starts at the first request
    for (int i = 0; i < 10; ++i) (i % 2 == 0 ? b.record_failure() : b.record_success());
    EXPECT_DOUBLE_EQ(b.error_rate(), 0.5);
    clock.advance(9s);
    EXPECT_DOUBLE_EQ(b.error_rate(), 0.5);
    clock.advance(1s);
    EXPECT_EQ(b.error_rate(), 0.0);
    b.record_success();  // a new window: one request says nothing yet
    EXPECT_EQ(b.error_rate(), 0.0);
}

TEST(CircuitBreaker, ErrorRateIsResetWhenTheBreakerOpens) {
    ManualClock clock;
    BreakerPolicy p = policy();
    p.error_rate = 0.9;
    CircuitBreaker b(p, clock);
    for (int i = 0; i < 10; ++i) b.record_success();
    b.record_failure();
    b.record_failure();
    EXPECT_DOUBLE_EQ(b.error_rate(), 2.0 / 12);
    b.record_failure();  // three in a row: open
    ASSERT_EQ(b.state(), CircuitBreaker::State::open);
    EXPECT_EQ(b.error_rate(), 0.0);
}

TEST(CircuitBreaker, ReopensAtIsTheEndOfTheCooldownWhileOpen) {
    ManualClock clock;
    CircuitBreaker b(policy(), clock);
    EXPECT_LE(b.reopens_at(), clock.now());  // closed: in the past
    for (int i = 0; i < 3; ++i) b.record_failure();
    const auto opened = clock.now();
    EXPECT_EQ(b.reopens_at(), opened + 5s);
    clock.advance(2s);
    b.record_failure();  // a late failure starts the cool-down again
    EXPECT_EQ(b.reopens_at(), opened + 7s);
    clock.advance(5s);
    ASSERT_TRUE(b.allow());  // half-open
    EXPECT_LE(b.reopens_at(), clock.now());
    b.record_success();
    EXPECT_LE(b.reopens_at(), clock.now());
}
