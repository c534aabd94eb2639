#include "gaterouter/route/scheduler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "gaterouter/config/config.hpp"
#include "gaterouter/route/clock.hpp"

using namespace gaterouter;
using namespace gaterouter::route;
using namespace std::chrono_literals;

namespace {

// A pool built from the models part of a config, with its live state on a clock that moves only by hand.
struct Pool {
    explicit Pool(const std::string& models, BreakerPolicy policy = breaker())
        : config(config::load_config_text(
              "providers: [{name: p, kind: openai, base_url: 'http://h'}]\nmodels:\n" + models, "test.yaml")),
          catalog(config),
          deployments(catalog, policy, clock),
          scheduler(catalog, deployments) {}

    static BreakerPolicy breaker() {
        BreakerPolicy p;
        p.consecutive_failures = 3;
        p.error_rate = 1.0;  // the rate trip needs every request to fail: error terms stay measurable
        p.min_requests = 10;
        p.window = 10s;
        p.cooldown = 5s;
        p.half_open_probes = 2;
        return p;
    }

    const catalog::Model& model(const std::string& id) const {
        const catalog::Model* m = catalog.find_model(id);
        EXPECT_NE(m, nullptr) << id;
        return *m;
    }
    DeploymentState& state(const std::string& id) const { return deployments.of(model(id)); }

    std::vector<Candidate> rank(const RouteQuery& query, std::vector<Exclusion>* excluded = nullptr) const {
        std::vector<Candidate> out;
        scheduler.rank(query, out, excluded);
        return out;
    }

    ManualClock clock;
    config::Config config;
    catalog::Catalog catalog;
    Deployments deployments;
    Scheduler scheduler;
};

std::vector<std::string> ids(const std::vector<Candidate>& ranked) {
    std::vector<std::string> out;
    for (const auto& c : ranked) out.push_back(c.model->id);
    return out;
}

std::string reason_for(const std::vector<Exclusion>& excluded, const std::string& id) {
    for (const auto& e : excluded) {
        if (e.model->id == id) return e.reason;
    }
    return "(not excluded)";
}

const Candidate& find(const std::vector<Candidate>& ranked, const std::string& id) {
    for (const auto& c : ranked) {
        if (c.model->id == id) return c;
    }
    ADD_FAILURE() << "no candidate " << id;
    return ranked.front();
}

RouteQuery query_with(const PolicyWeights& weights, catalog::Weight weight = catalog::Weight::standard) {
    RouteQuery q;
    q.policy = &weights;
    q.weight = weight;
    q.needs.prompt_tokens = 1000;
    return q;
}

// How often each model comes first over `calls` rankings.
std::map<std::string, int> firsts(const Pool& pool, const RouteQuery& query, int calls) {
    std::map<std::string, int> counts;
    std::vector<Candidate> out;
    for (int i = 0; i < calls; ++i) {
        pool.scheduler.rank(query, out);
        ++counts[out.front().model->id];
    }
    return counts;
}

const std::string kThreeAlike =
    "  - {id: a, provider: p, input_price_per_mtok: 1, output_price_per_mtok: 2, quality: {chat: 0.8}}\n"
    "  - {id: b, provider: p, input_price_per_mtok: 1, output_price_per_mtok: 2, quality: {chat: 0.8}}\n"
    "  - {id: c, provider: p, input_price_per_mtok: 1, output_price_per_mtok: 2, quality: {chat: 0.8}}\n";

}  // namespace

TEST(ExpectedOutputTokens, TypicalLengthByTaskAndWeightUnlessMaxTokensIsLower) {
    using catalog::TaskType;
    using catalog::Weight;
    EXPECT_EQ(expected_output_tokens(TaskType::chat, Weight::standard, 1000, 0), 250u);
    EXPECT_EQ(expected_output_tokens(TaskType::chat, Weight::light, 1000, 0), 100u);
    EXPECT_EQ(expected_output_tokens(TaskType::chat, Weight::heavy, 1000, 0), 625u);
    EXPECT_EQ(expected_output_tokens(TaskType::reasoning, Weight::standard, 10, 0), 700u);
    EXPECT_EQ(expected_output_tokens(TaskType::chat, Weight::standard, 1000, 40), 40u);
    EXPECT_EQ(expected_output_tokens(TaskType::chat, Weight::standard, 1000, 10'000), 250u);
    // A translation is about as long as its text, with a floor.
    EXPECT_EQ(expected_output_tokens(TaskType::translation, Weight::standard, 400, 0), 400u);
    EXPECT_EQ(expected_output_tokens(TaskType::translation, Weight::heavy, 400, 0), 1000u);
    EXPECT_EQ(expected_output_tokens(TaskType::translation, Weight::standard, 10, 0), 50u);
}

TEST(Scheduler, EmbeddingsModelsAreNeverCandidates) {
    const Pool pool(
        "  - {id: chat, provider: p}\n"
        "  - {id: embed, provider: p, capabilities: [embeddings]}\n");
    const PolicyWeights w;
    std::vector<Exclusion> excluded;
    EXPECT_EQ(ids(pool.rank(query_with(w), &excluded)), std::vector<std::string>{"chat"});
    EXPECT_TRUE(excluded.empty());  // not filtered out: never in the pool at all

    RouteQuery wants_embeddings = query_with(w);
    wants_embeddings.needs.capabilities = catalog::kEmbeddings;
    excluded.clear();
    EXPECT_TRUE(pool.rank(wants_embeddings, &excluded).empty());
    ASSERT_EQ(excluded.size(), 1u);
    EXPECT_EQ(excluded[0].model->id, "chat");
}

TEST(Scheduler, FiltersByNeedsAndSaysWhy) {
    const Pool pool(
        "  - {id: basic, provider: p, capabilities: [streaming], context_window: 1000, max_output_tokens: "
        "100}\n"
        "  - {id: tooly, provider: p, capabilities: [tools, json, streaming], context_window: 100000}\n"
        "  - {id: eyes, provider: p, capabilities: [tools, vision, streaming], context_window: 8000,\n"
        "     max_output_tokens: 4000}\n");
    const PolicyWeights w;
    const auto check = [&](catalog::Needs needs, std::vector<std::string> kept,
                           std::map<std::string, std::string> why) {
        RouteQuery q = query_with(w);
        q.needs = needs;
        std::vector<Exclusion> excluded;
        std::vector<std::string> ranked = ids(pool.rank(q, &excluded));
        std::sort(ranked.begin(), ranked.end());
        std::sort(kept.begin(), kept.end());
        EXPECT_EQ(ranked, kept);
        EXPECT_EQ(excluded.size(), why.size());
        for (const auto& [id, words] : why) {
            EXPECT_NE(reason_for(excluded, id).find(words), std::string::npos)
                << id << ": " << reason_for(excluded, id);
        }
        // Without `excluded` the scheduler takes another path (Model::fits): the same models are left.
        std::vector<std::string> quick = ids(pool.rank(q));
        std::sort(quick.begin(), quick.end());
        EXPECT_EQ(quick, kept);
    };
    check({catalog::kTools, 100, 0}, {"tooly", "eyes"}, {{"basic", "does not support tools"}});
    check({catalog::kVision, 100, 0}, {"eyes"},
          {{"basic", "does not accept image inputs"}, {"tooly", "does not accept image inputs"}});
    check({catalog::kJson, 100, 0}, {"tooly"},
          {{"basic", "does not support JSON mode"}, {"eyes", "does not support JSON mode"}});
    check({0, 5000, 0}, {"tooly", "eyes"}, {{"basic", "context window of 1000"}});
    check({0, 7000, 2000}, {"tooly"},
          {{"basic", "context window of 1000"}, {"eyes", "context window of 8000"}});
    check({0, 100, 200}, {"tooly", "eyes"}, {{"basic", "writes at most 100"}});
    check({catalog::kStreaming, 100, 100}, {"basic", "tooly", "eyes"}, {});
}

TEST(Scheduler, AllowAndDenyLists) {
    const Pool pool(kThreeAlike);
    const PolicyWeights w;
    const catalog::Model* a = &pool.model("a");
    const catalog::Model* b = &pool.model("b");
    const std::vector<const catalog::Model*> ab = {a, b};
    const std::vector<const catalog::Model*> only_b = {b};

    RouteQuery q = query_with(w);
    q.allow = ab;
    std::vector<Exclusion> excluded;
    auto ranked = ids(pool.rank(q, &excluded));
    std::sort(ranked.begin(), ranked.end());
    EXPECT_EQ(ranked, (std::vector<std::string>{"a", "b"}));
    ASSERT_EQ(excluded.size(), 1u);
    EXPECT_EQ(excluded[0].model->id, "c");
    EXPECT_EQ(excluded[0].reason, "not in the allow list");

    q = query_with(w);
    q.deny = only_b;
    excluded.clear();
    ranked = ids(pool.rank(q, &excluded));
    std::sort(ranked.begin(), ranked.end());
    EXPECT_EQ(ranked, (std::vector<std::string>{"a", "c"}));
    ASSERT_EQ(excluded.size(), 1u);
    EXPECT_EQ(excluded[0].model->id, "b");
    EXPECT_EQ(excluded[0].reason, "in the deny list");

    q.allow = ab;  // both: allowed and not denied
    EXPECT_EQ(ids(pool.rank(q)), std::vector<std::string>{"a"});
}

TEST(Scheduler, MinQualityAndMaxCost) {
    const Pool pool(
        "  - {id: good, provider: p, input_price_per_mtok: 10, output_price_per_mtok: 30, quality: {chat: "
        "0.9}}\n"
        "  - {id: fair, provider: p, input_price_per_mtok: 1, output_price_per_mtok: 3, quality: {chat: "
        "0.8}}\n"
        "  - {id: poor, provider: p, input_price_per_mtok: 0.1, output_price_per_mtok: 0.3, "
        "quality: {chat: 0.6}}\n");
    const PolicyWeights w;

    RouteQuery q = query_with(w);
    q.min_quality = 0.8;  // a prior equal to the minimum is enough
    std::vector<Exclusion> excluded;
    auto ranked = ids(pool.rank(q, &excluded));
    std::sort(ranked.begin(), ranked.end());
    EXPECT_EQ(ranked, (std::vector<std::string>{"fair", "good"}));
    ASSERT_EQ(excluded.size(), 1u);
    EXPECT_EQ(excluded[0].reason, "quality prior 0.60 is below min_quality");

    // 1000 prompt tokens, 250 expected output tokens for standard chat.
    const double fair_cost = (1000 * 1.0 + 250 * 3.0) / 1e6;
    const double good_cost = (1000 * 10.0 + 250 * 30.0) / 1e6;
    q = query_with(w);
    q.max_cost_usd = fair_cost;  // the limit itself is allowed
    excluded.clear();
    const auto candidates = pool.rank(q, &excluded);
    ranked = ids(candidates);
    std::sort(ranked.begin(), ranked.end());
    EXPECT_EQ(ranked, (std::vector<std::string>{"fair", "poor"}));
    EXPECT_DOUBLE_EQ(find(candidates, "fair").expected_cost_usd, fair_cost);
    ASSERT_EQ(excluded.size(), 1u);
    EXPECT_EQ(excluded[0].model->id, "good");
    EXPECT_NE(excluded[0].reason.find("expected cost $" + std::to_string(good_cost).substr(0, 8)),
              std::string::npos)
        << excluded[0].reason;
    EXPECT_NE(excluded[0].reason.find("over max_cost_per_request"), std::string::npos);

    q.max_cost_usd = 1e-6;
    q.min_quality = 0.95;
    EXPECT_TRUE(pool.rank(q).empty());
}

TEST(Scheduler, HeavyWorkBuysQualityLightWorkSavesUnderBalanced) {
    // big is 0.4 better and about 10^5 dearer. Heavy: small's quality penalty is 8 × 2 = 16 units, big's cost
    // penalty about 3 × 3.4 ≈ 10 (the $0.001 floor); light: small's quality penalty is 8 × ½ = 4, big's cost
    // penalty about 3 × 4.9 ≈ 15 (the $0.00001 floor). Both gaps are wider than the exploration band, so the
    // order is certain.
    const Pool pool(
        "  - {id: big, provider: p, input_price_per_mtok: 1000, output_price_per_mtok: 4000, "
        "quality: {chat: 0.9}}\n"
        "  - {id: small, provider: p, input_price_per_mtok: 0.01, output_price_per_mtok: 0.04, "
        "quality: {chat: 0.5}}\n");
    const PolicyWeights balanced = builtin_weights("balanced");
    for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(ids(pool.rank(query_with(balanced, catalog::Weight::heavy))),
                  (std::vector<std::string>{"big", "small"}));
        EXPECT_EQ(ids(pool.rank(query_with(balanced, catalog::Weight::light))),
                  (std::vector<std::string>{"small", "big"}));
    }
    const auto heavy = pool.rank(query_with(balanced, catalog::Weight::heavy));
    const auto light = pool.rank(query_with(balanced, catalog::Weight::light));
    EXPECT_NEAR(find(heavy, "small").quality_term, 4 * find(light, "small").quality_term, 1e-9);
}

TEST(Scheduler, CostPolicyPicksTheCheaperQualityPolicyTheBetter) {
    // A hundredfold price for 0.2 of quality.
    const Pool pool(
        "  - {id: premium, provider: p, input_price_per_mtok: 100, output_price_per_mtok: 300, "
        "quality: {chat: 0.9}}\n"
        "  - {id: budget, provider: p, input_price_per_mtok: 1, output_price_per_mtok: 3, "
        "quality: {chat: 0.7}}\n");
    const PolicyWeights cost = builtin_weights("cost");
    const PolicyWeights quality = builtin_weights("quality");
    for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(pool.rank(query_with(cost)).front().model->id, "budget");
        EXPECT_EQ(pool.rank(query_with(quality)).front().model->id, "premium");
    }
}

TEST(Scheduler, TermsAreTheWeightedPenaltiesAsDocumented) {
    const Pool pool(
        "  - {id: a, provider: p, input_price_per_mtok: 2, output_price_per_mtok: 8, quality: {chat: 0.9}}\n"
        "  - {id: b, provider: p, input_price_per_mtok: 20, output_price_per_mtok: 80, quality: {chat: "
        "0.8}}\n"
        "  - {id: c, provider: p, input_price_per_mtok: 0.2, output_price_per_mtok: 0.8, "
        "quality: {chat: 0.7, code: 0.5}}\n");
    // a: 95 ms, one failure in ten requests (the breaker's min_requests); b: 195 ms, 3 in flight; c: no
    // samples.
    for (int i = 0; i < 9; ++i) pool.state("a").record_success(95, -1, 0);
    pool.state("a").record_failure();
    for (int i = 0; i < 4; ++i) pool.state("b").record_success(195, -1, 0);
    pool.state("b").in_flight = 3;

    const PolicyWeights w{2.0, 3.0, 0.5, 1.5, 4.0};
    const auto ranked = pool.rank(query_with(w));
    ASSERT_EQ(ranked.size(), 3u);
    const Candidate& a = find(ranked, "a");
    const Candidate& b = find(ranked, "b");
    const Candidate& c = find(ranked, "c");

    const auto cost = [](double in, double out) { return (1000 * in + 250 * out) / 1e6; };
    EXPECT_DOUBLE_EQ(a.expected_cost_usd, cost(2, 8));
    EXPECT_DOUBLE_EQ(c.expected_cost_usd, cost(0.2, 0.8));
    EXPECT_DOUBLE_EQ(c.quality, 0.7);
    EXPECT_DOUBLE_EQ(a.latency_ms, 95);
    EXPECT_DOUBLE_EQ(c.latency_ms, 0);
    EXPECT_DOUBLE_EQ(a.error_rate, 0.1);
    EXPECT_EQ(b.in_flight, 3);

    // quality: per 0.05 below the best prior, standard emphasis 1.
    EXPECT_NEAR(a.quality_term, 0, 1e-9);
    EXPECT_NEAR(b.quality_term, 2.0 * 0.1 / 0.05, 1e-9);
    EXPECT_NEAR(c.quality_term, 2.0 * 0.2 / 0.05, 1e-9);
    // cost: log10 over the cheapest, with a thousandth of a dollar added to both (a standard request).
    const double cheapest = cost(0.2, 0.8) + 1e-3;
    EXPECT_NEAR(a.cost_term, 3.0 * std::log10((cost(2, 8) + 1e-3) / cheapest), 1e-9);
    EXPECT_NEAR(b.cost_term, 3.0 * std::log10((cost(20, 80) + 1e-3) / cheapest), 1e-9);
    EXPECT_NEAR(c.cost_term, 0, 1e-9);
    // latency: log2 over the fastest, each plus 5 ms; no samples is neutral.
    EXPECT_NEAR(a.latency_term, 0, 1e-9);
    EXPECT_NEAR(b.latency_term, 0.5 * 1.0, 1e-9);  // (195 + 5) / (95 + 5) is one doubling
    EXPECT_NEAR(c.latency_term, 0, 1e-9);
    // errors: the failure share × 10; load: in flight / 10.
    EXPECT_NEAR(a.error_term, 1.5 * 0.1 * 10, 1e-9);
    EXPECT_NEAR(b.error_term, 0, 1e-9);
    EXPECT_NEAR(a.load_term, 0, 1e-9);
    EXPECT_NEAR(b.load_term, 4.0 * 3 / 10, 1e-9);

    for (const Candidate& x : ranked) {
        EXPECT_NEAR(x.score, -(x.quality_term + x.cost_term + x.latency_term + x.error_term + x.load_term),
                    1e-9)
            << x.model->id;
        EXPECT_TRUE(x.available);
        EXPECT_FALSE(x.probe);
    }

    // The task picks the prior: c's code prior is 0.5; a gave only a chat prior, so 0.9 stands for every
    // task.
    RouteQuery code = query_with(w);
    code.task = catalog::TaskType::code;
    EXPECT_NEAR(find(pool.rank(code), "c").quality_term, 2.0 * 0.4 / 0.05, 1e-9);
    // Heavy work doubles the quality emphasis, light work halves it.
    EXPECT_NEAR(find(pool.rank(query_with(w, catalog::Weight::heavy)), "c").quality_term, 2 * c.quality_term,
                1e-9);
    EXPECT_NEAR(find(pool.rank(query_with(w, catalog::Weight::light)), "c").quality_term, c.quality_term / 2,
                1e-9);
}

TEST(Scheduler, TheLatencyFloorKeepsMillisecondsFromMattering) {
    const Pool pool(kThreeAlike);
    pool.state("a").record_success(1, -1, 0);
    pool.state("b").record_success(3, -1, 0);
    const PolicyWeights w{1, 1, 1, 1, 1};
    const auto ranked = pool.rank(query_with(w));
    EXPECT_NEAR(find(ranked, "b").latency_term, std::log2(8.0 / 6.0), 1e-9);  // not log2(3)
}

TEST(Scheduler, TheSlowerOfTwoEqualModelsRanksBelow) {
    const Pool pool(
        "  - {id: fast, provider: p, input_price_per_mtok: 1, output_price_per_mtok: 2}\n"
        "  - {id: slow, provider: p, input_price_per_mtok: 1, output_price_per_mtok: 2}\n");
    for (int i = 0; i < 5; ++i) {
        pool.state("fast").record_success(100, 20, 50);
        pool.state("slow").record_success(400, 80, 50);
    }
    const PolicyWeights latency = builtin_weights("latency");  // 3 per doubling: beyond the exploration band
    for (int i = 0; i < 50; ++i) {
        const auto ranked = pool.rank(query_with(latency));
        ASSERT_EQ(ids(ranked), (std::vector<std::string>{"fast", "slow"}));
        EXPECT_GT(ranked[1].latency_term, 0);
        EXPECT_LT(ranked[1].score, ranked[0].score);
    }
    // Balanced weighs latency less, but still scores the slower one lower.
    const auto balanced = pool.rank(query_with(builtin_weights("balanced")));
    EXPECT_LT(find(balanced, "slow").score, find(balanced, "fast").score);
}

TEST(Scheduler, AnOpenBreakerRanksAfterEveryAvailableCandidate) {
    // best is the best and cheapest, but its breaker is open.
    const Pool pool(
        "  - {id: best, provider: p, input_price_per_mtok: 0.1, output_price_per_mtok: 0.1, "
        "quality: {chat: 0.95}}\n"
        "  - {id: other, provider: p, input_price_per_mtok: 5, output_price_per_mtok: 5, quality: {chat: "
        "0.7}}\n"
        "  - {id: third, provider: p, input_price_per_mtok: 50, output_price_per_mtok: 50, "
        "quality: {chat: 0.5}}\n");
    const PolicyWeights w;
    EXPECT_EQ(pool.rank(query_with(w)).front().model->id, "best");

    for (int i = 0; i < 3; ++i) pool.state("best").record_failure();
    ASSERT_EQ(pool.state("best").breaker.state(), CircuitBreaker::State::open);
    for (int i = 0; i < 50; ++i) {
        const auto ranked = pool.rank(query_with(w));
        ASSERT_EQ(ranked.size(), 3u);  // health does not filter
        EXPECT_EQ(ranked.back().model->id, "best");
        EXPECT_FALSE(ranked.back().available);
        EXPECT_FALSE(ranked.back().probe);
        EXPECT_TRUE(ranked[0].available);
        EXPECT_TRUE(ranked[1].available);
        // Its score still says it would be the best: only availability puts it last.
        EXPECT_GT(ranked.back().score, ranked[0].score);
    }

    // Alone in the ranking, it is still there to wait for.
    RouteQuery only = query_with(w);
    const std::vector<const catalog::Model*> allow = {&pool.model("best")};
    only.allow = allow;
    const auto alone = pool.rank(only);
    ASSERT_EQ(alone.size(), 1u);
    EXPECT_FALSE(alone[0].available);
}

TEST(Scheduler, AHalfOpenCandidateThatWantsAProbeGoesFirst) {
    Pool pool(
        "  - {id: good, provider: p, input_price_per_mtok: 1, output_price_per_mtok: 1, quality: {chat: "
        "0.9}}\n"
        "  - {id: worst, provider: p, input_price_per_mtok: 100, output_price_per_mtok: 100, "
        "quality: {chat: 0.3}}\n");
    const PolicyWeights w;
    for (int i = 0; i < 3; ++i) pool.state("worst").record_failure();
    pool.clock.advance(4999ms);
    auto ranked = pool.rank(query_with(w));
    EXPECT_EQ(ids(ranked), (std::vector<std::string>{"good", "worst"}));
    EXPECT_FALSE(ranked[1].available);

    pool.clock.advance(1ms);  // the cool-down is over: the breaker lets probes through
    for (int i = 0; i < 20; ++i) {
        ranked = pool.rank(query_with(w));
        EXPECT_EQ(ids(ranked), (std::vector<std::string>{"worst", "good"}));
        EXPECT_TRUE(ranked[0].probe);
        EXPECT_TRUE(ranked[0].available);
        EXPECT_FALSE(ranked[1].probe);
        EXPECT_LT(ranked[0].score, ranked[1].score);  // first in spite of its score
    }

    // Once the probes are taken, it is ranked by its score again.
    auto& breaker = pool.state("worst").breaker;
    ASSERT_TRUE(breaker.allow());
    ASSERT_TRUE(breaker.allow());
    ranked = pool.rank(query_with(w));
    EXPECT_EQ(ids(ranked), (std::vector<std::string>{"good", "worst"}));
    EXPECT_FALSE(ranked[1].probe);

    // A probe that succeeds closes the breaker.
    pool.state("worst").record_success(50, 10, 10);
    EXPECT_EQ(breaker.state(), CircuitBreaker::State::closed);
    EXPECT_FALSE(pool.rank(query_with(w))[1].probe);
}

TEST(Scheduler, ARetryAfterHoldMakesItUnavailableUntilTheClockPassesIt) {
    Pool pool(
        "  - {id: best, provider: p, input_price_per_mtok: 0.1, output_price_per_mtok: 0.1, "
        "quality: {chat: 0.95}}\n"
        "  - {id: other, provider: p, input_price_per_mtok: 5, output_price_per_mtok: 5, quality: {chat: "
        "0.7}}\n");
    const PolicyWeights w;
    pool.state("best").hold_until(pool.clock.now() + 3s);

    auto ranked = pool.rank(query_with(w));
    EXPECT_EQ(ids(ranked), (std::vector<std::string>{"other", "best"}));
    EXPECT_FALSE(ranked[1].available);

    pool.clock.advance(2999ms);
    EXPECT_FALSE(pool.rank(query_with(w))[1].available);

    pool.clock.advance(1ms);
    ranked = pool.rank(query_with(w));
    EXPECT_EQ(ids(ranked), (std::vector<std::string>{"best", "other"}));
    EXPECT_TRUE(ranked[0].available);
    EXPECT_FALSE(ranked[0].probe);  // a hold is not a breaker: no probe
}

TEST(Scheduler, TheErrorTermCountsOnlyOnceTheWindowHasMinRequests) {
    Pool pool(kThreeAlike);
    DeploymentState& a = pool.state("a");
    // 3 failures among 9 requests, never 3 in a row: below min_requests (10), the share is not yet known.
    for (int i = 0; i < 3; ++i) {
        a.record_success(50, -1, 0);
        a.record_success(50, -1, 0);
        a.record_failure();
    }
    pool.state("b").record_success(50, -1, 0);
    pool.state("c").record_success(50, -1, 0);
    const PolicyWeights w = builtin_weights("balanced");
    auto ranked = pool.rank(query_with(w));
    EXPECT_DOUBLE_EQ(find(ranked, "a").error_rate, 0);
    EXPECT_DOUBLE_EQ(find(ranked, "a").error_term, 0);

    a.record_success(50, -1, 0);  // the tenth
    ASSERT_EQ(a.breaker.state(), CircuitBreaker::State::closed);
    for (int i = 0; i < 50; ++i) {
        ranked = pool.rank(query_with(w));
        const Candidate& ca = find(ranked, "a");
        EXPECT_DOUBLE_EQ(ca.error_rate, 0.3);
        EXPECT_NEAR(ca.error_term, 2.0 * 0.3 * 10, 1e-9);  // balanced: 2 per 10% failure share
        EXPECT_EQ(ranked.back().model->id, "a");
    }

    // A window gone stale forgets it.
    pool.clock.advance(10s);
    EXPECT_DOUBLE_EQ(find(pool.rank(query_with(w)), "a").error_term, 0);
}

TEST(Scheduler, SpreadsLoadAcrossIdenticalModels) {
    const Pool pool(kThreeAlike);
    const PolicyWeights w;
    const int calls = 3000;
    const auto counts = firsts(pool, query_with(w), calls);
    for (const char* id : {"a", "b", "c"}) {
        const auto it = counts.find(id);
        ASSERT_NE(it, counts.end()) << id << " never came first";
        EXPECT_GT(it->second, calls / 5) << id;  // a fair third, with a wide margin
    }
}

TEST(Scheduler, PowerOfTwoChoicesPrefersTheLessLoadedNearEqual) {
    const Pool pool(kThreeAlike);
    const PolicyWeights w;
    // 2 in flight: a load term of 0.04, well within the tie band, so a is still a near-equal of b and c.
    pool.state("a").in_flight = 2;
    const auto ranked = pool.rank(query_with(w));
    EXPECT_NEAR(find(ranked, "a").load_term, 0.04, 1e-9);

    const int calls = 3000;
    auto counts = firsts(pool, query_with(w), calls);
    // Of two drawn, the less loaded wins: a comes first only when exploring (1 in 50, then 1 in 3).
    EXPECT_LT(counts["a"], calls / 20);
    EXPECT_GT(counts["b"], calls * 4 / 10);
    EXPECT_GT(counts["c"], calls * 4 / 10);

    // A candidate outside the tie band is not a near-equal: it comes first only when exploring.
    pool.state("a").in_flight = 0;
    pool.state("b").in_flight = 20;  // load term 0.4 > 0.25
    counts = firsts(pool, query_with(w), calls);
    EXPECT_LT(counts["b"], calls / 20);
    EXPECT_GT(counts["a"], calls * 4 / 10);
    EXPECT_GT(counts["c"], calls * 4 / 10);
}

TEST(Scheduler, ExplorationKeepsAModelThatLostTheLeadMeasured) {
    const Pool pool(kThreeAlike);
    pool.state("a").record_success(100, -1, 0);
    pool.state("b").record_success(100, -1, 0);
    pool.state("c").record_success(300, -1, 0);  // balanced: 0.3 × log2(305/105) ≈ 0.46 behind
    const PolicyWeights w;
    const int calls = 5000;
    const auto counts = firsts(pool, query_with(w), calls);
    // c is outside the tie band, inside the exploration band: first about 1 time in 150.
    EXPECT_GT(counts.count("c") ? counts.at("c") : 0, 0);
    EXPECT_LT(counts.count("c") ? counts.at("c") : 0, calls / 25);
}

TEST(Scheduler, ReusesTheOutputVector) {
    const Pool pool(kThreeAlike);
    const PolicyWeights w;
    std::vector<Candidate> out(7);
    pool.scheduler.rank(query_with(w), out);
    EXPECT_EQ(out.size(), 3u);
    RouteQuery none = query_with(w);
    none.min_quality = 0.99;
    pool.scheduler.rank(none, out);
    EXPECT_TRUE(out.empty());
}
