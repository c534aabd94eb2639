#include "gaterouter/route/policy.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gaterouter/config/config.hpp"

using namespace gaterouter;
using namespace gaterouter::route;

namespace {

std::vector<double> terms(const PolicyWeights& w) {
    return {w.quality, w.cost, w.latency, w.errors, w.load};
}

std::vector<std::string> names(const Policies& p) {
    std::vector<std::string> out;
    for (const auto& policy : p.all()) out.push_back(policy.name);
    return out;
}

config::PolicyConfig override_of(std::string name) {
    config::PolicyConfig pc;
    pc.name = std::move(name);
    return pc;
}

}  // namespace

TEST(Policy, BuiltinWeights) {
    EXPECT_EQ(terms(builtin_weights("balanced")), (std::vector<double>{1.0, 3.0, 0.3, 2.0, 0.2}));
    EXPECT_EQ(terms(builtin_weights("cost")), (std::vector<double>{0.4, 6.0, 0.1, 2.0, 0.2}));
    EXPECT_EQ(terms(builtin_weights("latency")), (std::vector<double>{0.3, 0.3, 3.0, 2.0, 0.5}));
    EXPECT_EQ(terms(builtin_weights("quality")), (std::vector<double>{4.0, 0.1, 0.1, 2.0, 0.2}));
    // A name that is not built in gets balanced's.
    EXPECT_EQ(terms(builtin_weights("frugal")), terms(builtin_weights("balanced")));
    EXPECT_EQ(terms(builtin_weights("")), terms(PolicyWeights{}));
}

TEST(Policy, TheBuiltInPoliciesAreAlwaysThere) {
    const Policies p{config::RoutingConfig{}};
    EXPECT_EQ(names(p), (std::vector<std::string>{"balanced", "cost", "latency", "quality"}));
    for (const char* name : config::kPolicyNames) {
        const Policy* found = p.find(name);
        ASSERT_NE(found, nullptr) << name;
        EXPECT_EQ(found->name, name);
        EXPECT_EQ(terms(found->weights), terms(builtin_weights(name))) << name;
    }
    EXPECT_EQ(p.find("frugal"), nullptr);
    EXPECT_EQ(p.find(""), nullptr);
    EXPECT_EQ(p.find("Cost"), nullptr);
    EXPECT_EQ(p.default_policy().name, "balanced");
}

TEST(Policy, AnOverrideChangesOnlyTheTermsItNames) {
    config::RoutingConfig routing;
    config::PolicyConfig cost = override_of("cost");
    cost.latency = 1.5;
    cost.load = 0.0;
    routing.policies.push_back(cost);
    const Policies p(routing);

    EXPECT_EQ(terms(p.find("cost")->weights), (std::vector<double>{0.4, 6.0, 1.5, 2.0, 0.0}));
    for (const char* other : {"balanced", "latency", "quality"})
        EXPECT_EQ(terms(p.find(other)->weights), terms(builtin_weights(other))) << other;
    EXPECT_EQ(p.all().size(), 4u);  // tuned, not added
}

TEST(Policy, ANewPolicyStartsFromBalanced) {
    config::RoutingConfig routing;
    config::PolicyConfig frugal = override_of("frugal");
    frugal.cost = 5.0;
    routing.policies.push_back(frugal);
    routing.policies.push_back(override_of("plain"));
    const Policies p(routing);

    EXPECT_EQ(names(p),
              (std::vector<std::string>{"balanced", "cost", "latency", "quality", "frugal", "plain"}));
    EXPECT_EQ(terms(p.find("frugal")->weights), (std::vector<double>{1.0, 5.0, 0.3, 2.0, 0.2}));
    EXPECT_EQ(terms(p.find("plain")->weights), terms(builtin_weights("balanced")));
}

TEST(Policy, TheDefaultPolicyIsTheOneNamed) {
    config::RoutingConfig routing;
    routing.default_policy = "latency";
    EXPECT_EQ(Policies(routing).default_policy().name, "latency");

    // A new policy named as the default, among enough others to make the list grow more than once.
    routing.default_policy = "p0";
    for (int i = 0; i < 20; ++i) {
        config::PolicyConfig pc = override_of("p" + std::to_string(i));
        pc.quality = i;
        routing.policies.push_back(pc);
    }
    const Policies p(routing);
    EXPECT_EQ(&p.default_policy(), p.find("p0"));
    EXPECT_EQ(p.default_policy().name, "p0");
    EXPECT_EQ(p.default_policy().weights.quality, 0.0);
    EXPECT_EQ(p.find("p19")->weights.quality, 19.0);

    // The config loader refuses unknown names; should one get through, the first built-in stands in.
    routing.default_policy = "nope";
    EXPECT_EQ(Policies(routing).default_policy().name, "balanced");
}

TEST(Policy, FromAConfigFile) {
    const config::Config c = config::load_config_text(R"(routing:
  default_policy: frugal
  policies:
    quality: {cost: 0.5}
    frugal: {cost: 6, quality: 0.2}
providers: [{name: p, kind: openai, base_url: 'http://h'}]
models: [{id: m, provider: p}]
)",
                                                      "test.yaml");
    const Policies p(c.routing);
    EXPECT_EQ(p.default_policy().name, "frugal");
    EXPECT_EQ(terms(p.default_policy().weights), (std::vector<double>{0.2, 6.0, 0.3, 2.0, 0.2}));
    EXPECT_EQ(terms(p.find("quality")->weights), (std::vector<double>{4.0, 0.5, 0.1, 2.0, 0.2}));
}
