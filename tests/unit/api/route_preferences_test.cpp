#include "gaterouter/api/route_preferences.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

using namespace gaterouter;
using api::Preferences;

namespace {

// A pool of three models, the built-in policies and one of the config's own.
struct Fixture {
    Fixture()
        : config(config::load_config_text(R"(routing:
  policies:
    frugal: {cost: 5}
providers: [{name: p, kind: openai, base_url: 'http://h'}]
models: [{id: a, provider: p}, {id: b, provider: p}, {id: c, provider: p}]
)",
                                          "test.yaml")),
          catalog(config),
          policies(config.routing) {}

    const catalog::Model* model(const char* id) const { return catalog.find_model(id); }
    std::vector<const catalog::Model*> models(std::initializer_list<const char*> ids) const {
        std::vector<const catalog::Model*> out;
        for (const char* id : ids) out.push_back(model(id));
        return out;
    }

    // The request's preferences added to `prefs`; the body is a chat request with `extension` as its
    // `gaterouter` object (none when empty).
    std::optional<openai::ApiError> add(Preferences& prefs,
                                        std::initializer_list<std::pair<const char*, const char*>> headers,
                                        const std::string& extension = "") {
        http::Request request{http::Verb::post, "/v1/chat/completions", 11};
        for (const auto& [name, value] : headers) request.set(name, value);
        body = R"({"model":"auto","messages":[{"role":"user","content":"hi"}])";
        if (!extension.empty()) body += R"(,"gaterouter":)" + extension;
        body += "}";
        openai::ChatRequest chat;
        const auto bad = openai::parse_chat_request(body, chat);
        EXPECT_FALSE(bad) << body << ": " << (bad ? bad->message : "");
        return api::add_request_preferences(request, chat, catalog, policies, prefs);
    }

    config::Config config;
    catalog::Catalog catalog;
    route::Policies policies;
    std::string body;  // the last request's, which the chat request views
};

std::vector<std::string> ids(const std::vector<const catalog::Model*>& models) {
    std::vector<std::string> out;
    for (const auto* m : models) out.push_back(m->id);
    return out;
}

// Passes when the request was refused with a 400 naming `param`, its message containing `words`.
::testing::AssertionResult refused(const std::optional<openai::ApiError>& error, const std::string& param,
                                   const std::string& words, const std::string& code = "invalid_value") {
    if (!error) return ::testing::AssertionFailure() << "accepted";
    if (error->status != 400 || error->param != param || error->code != code ||
        error->message.find(words) == std::string::npos) {
        return ::testing::AssertionFailure() << error->status << " param=" << error->param
                                             << " code=" << error->code << ": " << error->message;
    }
    return ::testing::AssertionSuccess();
}

}  // namespace

TEST(ResolvePreferences, FromAKeyOrAnAlias) {
    const Fixture f;
    config::RoutePreferences c;
    c.optimize = "frugal";
    c.max_cost_per_request = 0.01;
    c.min_quality = 0.7;
    c.allow = {"a", "b"};
    c.deny = {"c"};
    const Preferences p = api::resolve_preferences(c, f.catalog, f.policies);
    ASSERT_NE(p.policy, nullptr);
    EXPECT_EQ(p.policy, f.policies.find("frugal"));
    EXPECT_EQ(p.max_cost_per_request, 0.01);
    EXPECT_EQ(p.min_quality, 0.7);
    EXPECT_EQ(ids(p.allow), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(ids(p.deny), std::vector<std::string>{"c"});
    EXPECT_TRUE(p.restricted);

    const Preferences none = api::resolve_preferences({}, f.catalog, f.policies);
    EXPECT_EQ(none.policy, nullptr);  // the default policy
    EXPECT_FALSE(none.max_cost_per_request);
    EXPECT_FALSE(none.min_quality);
    EXPECT_TRUE(none.allow.empty());
    EXPECT_TRUE(none.deny.empty());
    EXPECT_FALSE(none.restricted);
}

TEST(LayerPreferences, TheTopPolicyWinsWhenItNamesOne) {
    const Fixture f;
    Preferences base;
    base.policy = f.policies.find("cost");
    api::layer(base, Preferences{});
    EXPECT_EQ(base.policy, f.policies.find("cost"));
    Preferences top;
    top.policy = f.policies.find("quality");
    api::layer(base, top);
    EXPECT_EQ(base.policy, f.policies.find("quality"));
}

TEST(LayerPreferences, LimitsOnlyTighten) {
    Preferences base;
    Preferences top;
    top.min_quality = 0.5;
    top.max_cost_per_request = 0.1;
    api::layer(base, top);  // nothing below: the top's own
    EXPECT_EQ(base.min_quality, 0.5);
    EXPECT_EQ(base.max_cost_per_request, 0.1);

    top.min_quality = 0.3;  // lower: the base's stands
    top.max_cost_per_request = 1.0;
    api::layer(base, top);
    EXPECT_EQ(base.min_quality, 0.5);
    EXPECT_EQ(base.max_cost_per_request, 0.1);

    top.min_quality = 0.8;
    top.max_cost_per_request = 0.01;
    api::layer(base, top);
    EXPECT_EQ(base.min_quality, 0.8);
    EXPECT_EQ(base.max_cost_per_request, 0.01);

    api::layer(base, Preferences{});  // none given: unchanged
    EXPECT_EQ(base.min_quality, 0.8);
    EXPECT_EQ(base.max_cost_per_request, 0.01);
}

TEST(LayerPreferences, AllowListsIntersectDenyListsAddUp) {
    const Fixture f;
    Preferences base;
    Preferences top;
    top.allow = f.models({"a", "b"});
    top.restricted = true;
    top.deny = f.models({"c"});
    api::layer(base, top);  // unrestricted below: the top's list
    EXPECT_EQ(ids(base.allow), (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(base.restricted);
    EXPECT_EQ(ids(base.deny), std::vector<std::string>{"c"});

    top.allow = f.models({"c", "b"});
    top.deny = f.models({"a"});
    api::layer(base, top);
    EXPECT_EQ(ids(base.allow), std::vector<std::string>{"b"});
    EXPECT_EQ(ids(base.deny), (std::vector<std::string>{"c", "a"}));

    api::layer(base, Preferences{});  // no allow list on top: the base's stands
    EXPECT_EQ(ids(base.allow), std::vector<std::string>{"b"});

    top.allow = f.models({"a"});
    top.deny.clear();
    api::layer(base, top);  // nothing in common: empty, and still restricted (the caller refuses it)
    EXPECT_TRUE(base.allow.empty());
    EXPECT_TRUE(base.restricted);
    top.allow = f.models({"b"});
    api::layer(base, top);  // an empty allow list cannot widen again
    EXPECT_TRUE(base.allow.empty());
}

TEST(RequestPreferences, FromHeaders) {
    Fixture f;
    Preferences p;
    ASSERT_FALSE(f.add(p, {{"x-gaterouter-optimize", "cost"},
                           {"x-gaterouter-max-cost-per-request", "0.05"},
                           {"X-GateRouter-Min-Quality", " 0.6 "},
                           {"x-gaterouter-allow", "a, b ,,"},
                           {"x-gaterouter-deny", "c"}}));
    EXPECT_EQ(p.policy, f.policies.find("cost"));
    EXPECT_EQ(p.max_cost_per_request, 0.05);
    EXPECT_EQ(p.min_quality, 0.6);
    EXPECT_EQ(ids(p.allow), (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(p.restricted);
    EXPECT_EQ(ids(p.deny), std::vector<std::string>{"c"});
}

TEST(RequestPreferences, FromTheBody) {
    Fixture f;
    Preferences p;
    ASSERT_FALSE(f.add(p, {},
                       R"({"optimize":"frugal","max_cost_per_request":2e-2,"min_quality":0.75,)"
                       R"("allow":["a","c"],"deny":["b"]})"));
    EXPECT_EQ(p.policy, f.policies.find("frugal"));
    EXPECT_EQ(p.max_cost_per_request, 0.02);
    EXPECT_EQ(p.min_quality, 0.75);
    EXPECT_EQ(ids(p.allow), (std::vector<std::string>{"a", "c"}));
    EXPECT_EQ(ids(p.deny), std::vector<std::string>{"b"});

    Preferences escaped;  // keys are compared decoded
    ASSERT_FALSE(f.add(escaped, {}, R"({"optimiz\u0065":"latency"})"));
    EXPECT_EQ(escaped.policy, f.policies.find("latency"));

    Preferences empty;
    ASSERT_FALSE(f.add(empty, {}, "{}"));
    EXPECT_EQ(empty.policy, nullptr);
    EXPECT_FALSE(empty.restricted);
}

TEST(RequestPreferences, TheRequestTightensTheKeysAndTheBodyComesAfterTheHeaders) {
    Fixture f;
    config::RoutePreferences key;
    key.optimize = "quality";
    key.min_quality = 0.7;
    key.max_cost_per_request = 0.05;
    key.allow = {"a", "b"};
    key.deny = {"c"};
    Preferences p = api::resolve_preferences(key, f.catalog, f.policies);
    ASSERT_FALSE(f.add(p,
                       {{"x-gaterouter-optimize", "cost"},
                        {"x-gaterouter-min-quality", "0.5"},
                        {"x-gaterouter-max-cost-per-request", "1"},
                        {"x-gaterouter-allow", "b,c"}},
                       R"({"optimize":"latency","max_cost_per_request":0.01,"deny":["a"]})"));
    EXPECT_EQ(p.policy, f.policies.find("latency"));  // the body, last
    EXPECT_EQ(p.min_quality, 0.7);                    // the key's higher minimum stands
    EXPECT_EQ(p.max_cost_per_request, 0.01);          // the body's lower maximum
    EXPECT_EQ(ids(p.allow), std::vector<std::string>{"b"});
    EXPECT_EQ(ids(p.deny), (std::vector<std::string>{"c", "a"}));
}

TEST(RequestPreferences, AnEmptyAllowHeaderRestrictsToNothing) {
    Fixture f;
    Preferences p;
    ASSERT_FALSE(f.add(p, {{"x-gaterouter-allow", " , "}}));
    EXPECT_TRUE(p.restricted);
    EXPECT_TRUE(p.allow.empty());
}

TEST(RequestPreferences, BadHeaderValuesAre400sNamingTheHeader) {
    Fixture f;
    Preferences p;
    EXPECT_TRUE(refused(f.add(p, {{"x-gaterouter-optimize", "fastest"}}), "x-gaterouter-optimize",
                        "unknown policy 'fastest' (known: balanced, cost, latency, quality, frugal)"));
    for (const char* bad : {"1.5", "-0.1", "high", "0.5x", "", "nan"}) {
        EXPECT_TRUE(refused(f.add(p, {{"x-gaterouter-min-quality", bad}}), "x-gaterouter-min-quality",
                            "expected a number between 0 and 1"))
            << "'" << bad << "'";
    }
    for (const char* bad : {"-1", "cheap", "$1", "1,5"}) {
        EXPECT_TRUE(refused(f.add(p, {{"x-gaterouter-max-cost-per-request", bad}}),
                            "x-gaterouter-max-cost-per-request", "expected a non-negative number"))
            << "'" << bad << "'";
    }
    EXPECT_TRUE(refused(f.add(p, {{"x-gaterouter-allow", "a, ghost"}}), "x-gaterouter-allow",
                        "no model 'ghost' in the pool"));
    EXPECT_TRUE(
        refused(f.add(p, {{"x-gaterouter-deny", "phantom"}}), "x-gaterouter-deny", "no model 'phantom'"));
}

TEST(RequestPreferences, BadBodyValuesAre400sNamingTheParameter) {
    Fixture f;
    Preferences p;
    EXPECT_TRUE(refused(f.add(p, {}, R"({"optimize":"fastest"})"), "gaterouter.optimize",
                        "unknown policy 'fastest'"));
    EXPECT_TRUE(refused(f.add(p, {}, R"({"optimize":3})"), "gaterouter.optimize", "expected a policy name"));
    EXPECT_TRUE(
        refused(f.add(p, {}, R"({"min_quality":"0.5"})"), "gaterouter.min_quality", "expected a number"));
    EXPECT_TRUE(refused(f.add(p, {}, R"({"min_quality":1.01})"), "gaterouter.min_quality",
                        "expected a number between 0 and 1"));
    EXPECT_TRUE(refused(f.add(p, {}, R"({"max_cost_per_request":-0.5})"), "gaterouter.max_cost_per_request",
                        "expected a non-negative number"));
    EXPECT_TRUE(refused(f.add(p, {}, R"({"max_cost_per_request":null})"), "gaterouter.max_cost_per_request",
                        "expected a number"));
    EXPECT_TRUE(
        refused(f.add(p, {}, R"({"allow":"a"})"), "gaterouter.allow", "expected an array of model ids"));
    EXPECT_TRUE(refused(f.add(p, {}, R"({"allow":["a",1]})"), "gaterouter.allow", "expected an array"));
    EXPECT_TRUE(refused(f.add(p, {}, R"({"deny":["ghost"]})"), "gaterouter.deny", "no model 'ghost'"));
    EXPECT_TRUE(refused(f.add(p, {}, R"({"optimize":"cost","colour":"blue"})"), "gaterouter.colour",
                        "Unknown parameter 'gaterouter.colour'", "unknown_parameter"));
}

TEST(RequestPreferences, AHeaderErrorComesBeforeTheBodyIsRead) {
    Fixture f;
    Preferences p;
    EXPECT_TRUE(refused(f.add(p, {{"x-gaterouter-min-quality", "2"}}, R"({"colour":1})"),
                        "x-gaterouter-min-quality", "between 0 and 1"));
}
