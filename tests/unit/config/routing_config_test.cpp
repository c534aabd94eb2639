// The routing preferences sections of the config: routing.default_policy, policies, aliases, retry_budget,
// wait_for_recovery_ms, and api_keys[].routing.

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "gaterouter/config/config.hpp"

using namespace gaterouter::config;

namespace {

const std::string kSha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

// The problems of a text that must be refused.
std::vector<ConfigProblem> problems_of(const std::string& yaml) {
    try {
        load_config_text(yaml, "t.yaml");
    } catch (const ConfigError& e) {
        return e.problems();
    }
    ADD_FAILURE() << "expected the config to be refused:\n" << yaml;
    return {};
}

std::string listed(const std::vector<ConfigProblem>& problems) {
    std::ostringstream out;
    for (const auto& p : problems) out << "\n  " << p.line << " " << p.path << ": " << p.message;
    return out.str();
}

// Passes when one problem is at `line` and `path` with `words` in its message; else shows them all.
::testing::AssertionResult has_problem(const std::vector<ConfigProblem>& problems, int line,
                                       const std::string& path, const std::string& words) {
    for (const auto& p : problems) {
        if (p.line == line && p.path == path && p.message.find(words) != std::string::npos) {
            return ::testing::AssertionSuccess();
        }
    }
    return ::testing::AssertionFailure() << "no problem at line " << line << ", " << path << " saying '"
                                         << words << "' among:" << listed(problems);
}

const PolicyConfig* policy_named(const Config& c, const std::string& name) {
    for (const auto& p : c.routing.policies) {
        if (p.name == name) return &p;
    }
    return nullptr;
}

const AliasConfig* alias_named(const Config& c, const std::string& name) {
    for (const auto& a : c.routing.aliases) {
        if (a.name == name) return &a;
    }
    return nullptr;
}

}  // namespace

TEST(RoutingConfig, Defaults) {
    const Config c = load_config_text(
        "providers: [{name: p, kind: openai, base_url: 'http://h'}]\nmodels: [{id: m, provider: p}]\n"
        "api_keys: [{name: k, sha256: " +
            kSha + "}]\n",
        "t.yaml");
    EXPECT_EQ(c.routing.default_policy, "balanced");
    EXPECT_TRUE(c.routing.policies.empty());
    EXPECT_TRUE(c.routing.aliases.empty());
    EXPECT_DOUBLE_EQ(c.routing.retry_budget.ratio, 0.2);
    EXPECT_EQ(c.routing.retry_budget.min_per_second, 10u);
    EXPECT_EQ(c.routing.wait_for_recovery, Millis{2000});
    ASSERT_EQ(c.api_keys.size(), 1u);
    const RoutePreferences& r = c.api_keys[0].routing;
    EXPECT_TRUE(r.optimize.empty());
    EXPECT_FALSE(r.max_cost_per_request);
    EXPECT_FALSE(r.min_quality);
    EXPECT_TRUE(r.allow.empty());
    EXPECT_TRUE(r.deny.empty());
}

TEST(RoutingConfig, ReadsEveryRoutingPreference) {
    const Config c = load_config_text(R"(routing:
  default_policy: frugal
  wait_for_recovery_ms: 750
  retry_budget: {ratio: 0.5, min_per_second: 3}
  policies:
    frugal: {cost: 4, quality: 0.5}
    latency: {load: 1}
  aliases:
    fast: {optimize: latency, max_cost_per_request: 0.01}
    best:
      optimize: quality
      min_quality: 0.8
      allow: [m, n]
      deny: [n]
    plain: {}
providers: [{name: p, kind: openai, base_url: 'http://h'}]
models: [{id: m, provider: p}, {id: n, provider: p}]
api_keys:
  - name: k
    sha256: )" + kSha + R"(
    routing: {optimize: cost, allow: [m], deny: [n], min_quality: 0.2, max_cost_per_request: 1}
)",
                                      "t.yaml");
    EXPECT_EQ(c.routing.default_policy, "frugal");
    EXPECT_EQ(c.routing.wait_for_recovery, Millis{750});
    EXPECT_DOUBLE_EQ(c.routing.retry_budget.ratio, 0.5);
    EXPECT_EQ(c.routing.retry_budget.min_per_second, 3u);

    ASSERT_EQ(c.routing.policies.size(), 2u);
    const PolicyConfig* frugal = policy_named(c, "frugal");
    ASSERT_NE(frugal, nullptr);
    EXPECT_EQ(frugal->cost, 4.0);
    EXPECT_EQ(frugal->quality, 0.5);
    EXPECT_FALSE(frugal->latency);  // not given: the built-in's (or balanced's) stands
    EXPECT_FALSE(frugal->errors);
    EXPECT_FALSE(frugal->load);
    const PolicyConfig* latency = policy_named(c, "latency");
    ASSERT_NE(latency, nullptr);
    EXPECT_EQ(latency->load, 1.0);
    EXPECT_FALSE(latency->quality);

    ASSERT_EQ(c.routing.aliases.size(), 3u);
    const AliasConfig* fast = alias_named(c, "fast");
    ASSERT_NE(fast, nullptr);
    EXPECT_EQ(fast->routing.optimize, "latency");
    EXPECT_EQ(fast->routing.max_cost_per_request, 0.01);
    EXPECT_FALSE(fast->routing.min_quality);
    const AliasConfig* best = alias_named(c, "best");
    ASSERT_NE(best, nullptr);
    EXPECT_EQ(best->routing.optimize, "quality");
    EXPECT_EQ(best->routing.min_quality, 0.8);
    EXPECT_EQ(best->routing.allow, (std::vector<std::string>{"m", "n"}));
    EXPECT_EQ(best->routing.deny, std::vector<std::string>{"n"});
    const AliasConfig* plain = alias_named(c, "plain");
    ASSERT_NE(plain, nullptr);
    EXPECT_TRUE(plain->routing.optimize.empty());

    ASSERT_EQ(c.api_keys.size(), 1u);
    const RoutePreferences& key = c.api_keys[0].routing;
    EXPECT_EQ(key.optimize, "cost");
    EXPECT_EQ(key.allow, std::vector<std::string>{"m"});
    EXPECT_EQ(key.deny, std::vector<std::string>{"n"});
    EXPECT_EQ(key.min_quality, 0.2);
    EXPECT_EQ(key.max_cost_per_request, 1.0);
}

TEST(RoutingConfig, RefusesUnknownPolicyNamesAndGuesses) {
    const auto ps = problems_of(R"(routing:
  default_policy: qualty
  policies:
    frugal: {cost: 4}
  aliases:
    cheap: {optimize: frugl}
    odd: {optimize: zzz}
providers: [{name: p, kind: openai, base_url: 'http://h'}]
models: [{id: m, provider: p}]
api_keys:
  - name: k
    sha256: )" + kSha + R"(
    routing: {optimize: cots}
)");
    EXPECT_TRUE(has_problem(ps, 2, "routing.default_policy",
                            "unknown policy 'qualty', did you mean 'quality'? "
                            "(known: balanced, cost, frugal, latency, quality)"));
    EXPECT_TRUE(has_problem(ps, 6, "routing.aliases.cheap.optimize",
                            "unknown policy 'frugl', did you mean 'frugal'?"));
    EXPECT_TRUE(has_problem(ps, 7, "routing.aliases.odd.optimize", "unknown policy 'zzz' (known:"));
    EXPECT_TRUE(has_problem(ps, 13, "api_keys[0].routing.optimize", "did you mean 'cost'?"));
    EXPECT_EQ(ps.size(), 4u) << listed(ps);
}

TEST(RoutingConfig, ANewPolicyNameCanBeTheDefault) {
    const Config c = load_config_text(R"(routing:
  default_policy: mine
  policies: {mine: {}}
providers: [{name: p, kind: openai, base_url: 'http://h'}]
models: [{id: m, provider: p}]
)",
                                      "t.yaml");
    EXPECT_EQ(c.routing.default_policy, "mine");
}

TEST(RoutingConfig, RefusesAliasesThatClash) {
    const auto ps = problems_of(R"(routing:
  aliases:
    fast: {optimize: latency}
    auto: {optimize: cost}
    m: {min_quality: 0.5}
providers: [{name: p, kind: openai, base_url: 'http://h'}]
models: [{id: m, provider: p}]
)");
    EXPECT_TRUE(has_problem(ps, 4, "routing.aliases.auto", "'auto' is built in"));
    EXPECT_TRUE(has_problem(ps, 5, "routing.aliases.m", "alias 'm' is also a model id"));
    EXPECT_EQ(ps.size(), 2u) << listed(ps);
}

TEST(RoutingConfig, TheModelIdAutoIsReserved) {
    const auto ps = problems_of(R"(providers: [{name: p, kind: openai, base_url: 'http://h'}]
models:
  - {id: m, provider: p}
  - {id: auto, provider: p}
)");
    ASSERT_EQ(ps.size(), 1u) << listed(ps);
    EXPECT_NE(ps[0].message.find("'auto' is a reserved model name"), std::string::npos) << listed(ps);
    // Reported at the models list (line 2), not at the offending item.
    EXPECT_TRUE(has_problem(ps, 2, "models", "'auto' is a reserved model name"));
}

TEST(RoutingConfig, RefusesAllowAndDenyNamingUnknownModels) {
    const auto ps = problems_of(R"(routing:
  aliases:
    cheap:
      allow: [m, ghost]
      deny:
        - spectre
providers: [{name: p, kind: openai, base_url: 'http://h'}]
models: [{id: m, provider: p}]
api_keys:
  - name: k
    sha256: )" + kSha + R"(
    routing:
      deny: [m, phantom]
)");
    EXPECT_TRUE(has_problem(ps, 4, "routing.aliases.cheap.allow[1]", "no model 'ghost' in the pool"));
    EXPECT_TRUE(has_problem(ps, 6, "routing.aliases.cheap.deny[0]", "no model 'spectre' in the pool"));
    EXPECT_TRUE(has_problem(ps, 13, "api_keys[0].routing.deny[1]", "no model 'phantom' in the pool"));
    EXPECT_EQ(ps.size(), 3u) << listed(ps);
}

TEST(RoutingConfig, RefusesValuesOutOfRangeOrOfTheWrongType) {
    const auto ps = problems_of(R"(routing:
  wait_for_recovery_ms: 0
  retry_budget: {ratio: -1, min_per_second: lots}
  policies:
    frugal: {cost: 500, quality: high}
  aliases:
    a1: {min_quality: 1.5, max_cost_per_request: -1}
    a2: {allow: m, deny: [[m]]}
    a3: cheap
providers: [{name: p, kind: openai, base_url: 'http://h'}]
models: [{id: m, provider: p}]
api_keys:
  - name: k
    sha256: )" + kSha + R"(
    routing: {min_quality: -0.1, optimize: [cost]}
)");
    EXPECT_TRUE(has_problem(ps, 2, "routing.wait_for_recovery_ms", "must be between 1 and"));
    EXPECT_TRUE(has_problem(ps, 3, "routing.retry_budget.ratio", "must be between 0 and 10, got -1"));
    EXPECT_TRUE(has_problem(ps, 3, "routing.retry_budget.min_per_second", "expected an integer, got 'lots'"));
    EXPECT_TRUE(has_problem(ps, 5, "routing.policies.frugal.cost", "must be between 0 and 100, got 500"));
    EXPECT_TRUE(has_problem(ps, 5, "routing.policies.frugal.quality", "expected a number, got 'high'"));
    EXPECT_TRUE(has_problem(ps, 7, "routing.aliases.a1.min_quality", "must be between 0 and 1, got 1.5"));
    EXPECT_TRUE(has_problem(ps, 7, "routing.aliases.a1.max_cost_per_request", "got -1"));
    EXPECT_TRUE(has_problem(ps, 8, "routing.aliases.a2.allow", "expected a list, got 'm'"));
    EXPECT_TRUE(has_problem(ps, 8, "routing.aliases.a2.deny[0]", "expected a string, got a list"));
    EXPECT_TRUE(
        has_problem(ps, 9, "routing.aliases.a3", "expected a mapping of keys to values, got 'cheap'"));
    EXPECT_TRUE(has_problem(ps, 15, "api_keys[0].routing.min_quality", "must be between 0 and 1, got -0.1"));
    EXPECT_TRUE(has_problem(ps, 15, "api_keys[0].routing.optimize", "expected a string, got a list"));
    EXPECT_EQ(ps.size(), 12u) << listed(ps);
}

TEST(RoutingConfig, RefusesUnknownKeysAndSuggests) {
    const auto ps = problems_of(R"(routing:
  default_polcy: cost
  retry_budget: {ratio: 0.1, min_per_sec: 2}
  policies:
    frugal: {cots: 4}
  aliases:
    fast: {optimise: latency}
providers: [{name: p, kind: openai, base_url: 'http://h'}]
models: [{id: m, provider: p}]
api_keys:
  - name: k
    sha256: )" + kSha + R"(
    routing: {alow: [m]}
)");
    EXPECT_TRUE(has_problem(ps, 2, "routing.default_polcy", "did you mean 'default_policy'?"));
    EXPECT_TRUE(has_problem(ps, 3, "routing.retry_budget.min_per_sec", "unknown key 'min_per_sec'"));
    EXPECT_TRUE(has_problem(ps, 5, "routing.policies.frugal.cots", "did you mean 'cost'?"));
    EXPECT_TRUE(has_problem(ps, 7, "routing.aliases.fast.optimise", "did you mean 'optimize'?"));
    EXPECT_TRUE(has_problem(ps, 13, "api_keys[0].routing.alow", "did you mean 'allow'?"));
    EXPECT_EQ(ps.size(), 5u) << listed(ps);
}

TEST(RoutingConfig, AKeysRoutingProblemsAreReportedAtThatKey) {
    // The first item is not a key at all; the second key's bad allow list must still be reported at
    // api_keys[1], on its own line.
    const auto ps = problems_of(R"(providers: [{name: p, kind: openai, base_url: 'http://h'}]
models: [{id: m, provider: p}]
api_keys:
  - just-a-string
  - name: k
    sha256: )" + kSha + R"(
    routing: {allow: [ghost]}
)");
    EXPECT_TRUE(has_problem(ps, 4, "api_keys[0]", "expected a mapping"));
    EXPECT_TRUE(has_problem(ps, 7, "api_keys[1].routing.allow[0]", "no model 'ghost'"));
    EXPECT_EQ(ps.size(), 2u) << listed(ps);
}
