#include "gaterouter/api/admin_codec.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "gaterouter/api/alert_webhook.hpp"

namespace gaterouter::api::admin {
namespace {

constexpr std::int64_t kJan15 = 1736899200000;  // 2025-01-15T00:00:00Z

std::string param_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const AdminFailure& e) {
        EXPECT_EQ(e.error().status, 400u);
        return e.error().param;
    }
    ADD_FAILURE() << "no AdminFailure";
    return {};
}

TEST(AdminCodec, QueryStringsAreDecoded) {
    const auto q = parse_query("/admin/v1/spend?from=2025-01-15&group_by=key%2Cmodel&x=a+b&empty&to=1&to=2");
    EXPECT_EQ(q.at("from"), "2025-01-15");
    EXPECT_EQ(q.at("group_by"), "key,model");
    EXPECT_EQ(q.at("x"), "a b");
    EXPECT_EQ(q.at("empty"), "");
    EXPECT_EQ(q.at("to"), "2");
    EXPECT_TRUE(parse_query("/admin/v1/spend").empty());
    EXPECT_EQ(percent_decode("a%2"), "a%2");
    EXPECT_EQ(percent_decode("%zz%41"), "%zzA");
}

TEST(AdminCodec, TimesAreUnixMillisecondsOrConfigTimes) {
    EXPECT_EQ(parse_time("2025-01-15"), kJan15);
    EXPECT_EQ(parse_time("2025-01-15T01:00:00Z"), kJan15 + 3'600'000);
    EXPECT_EQ(parse_time("1736899200000"), kJan15);
    EXPECT_FALSE(parse_time("yesterday"));
    EXPECT_FALSE(parse_time(""));
    // Found by the admin_codec fuzz target: shown back as a date, either end of an int64 overflowed.
    EXPECT_EQ(parse_time("253402300799999"), 253402300799999);
    EXPECT_FALSE(parse_time("253402300800000"));
    EXPECT_FALSE(parse_time("-9223372036854775808"));
    EXPECT_FALSE(parse_time("9223372036854775807"));
    EXPECT_EQ(format_utc(kJan15), "2025-01-15T00:00:00Z");
}

TEST(AdminCodec, Names) {
    EXPECT_TRUE(valid_name("team-a.prod_1"));
    EXPECT_FALSE(valid_name(""));
    EXPECT_FALSE(valid_name("a/b"));
    EXPECT_FALSE(valid_name("has space"));
    EXPECT_FALSE(valid_name(std::string(65, 'a')));
}

TEST(AdminCodec, KeyFieldsApplyWhatIsGiven) {
    store::ApiKeyRecord r;
    r.team = "old";
    r.policy = "cost";
    const auto known = [](const std::string& p) { return p == "cost" || p == "quality"; };
    apply_key_fields(nlohmann::json::parse(R"({"expires":"2026-01-01","allowed_models":["a","b"]})"), r,
                     known);
    EXPECT_EQ(r.team, "old");
    EXPECT_EQ(r.policy, "cost");
    EXPECT_TRUE(r.expires_unix_ms.has_value());
    EXPECT_EQ(r.allowed_models, (std::vector<std::string>{"a", "b"}));
    apply_key_fields(
        nlohmann::json::parse(R"({"team":null,"expires":null,"allowed_models":null,"policy":"quality"})"), r,
        known);
    EXPECT_EQ(r.team, "");
    EXPECT_FALSE(r.expires_unix_ms.has_value());
    EXPECT_TRUE(r.allowed_models.empty());
    EXPECT_EQ(r.policy, "quality");

    EXPECT_EQ(param_of([&] {
                  apply_key_fields(nlohmann::json{{"policy", "cheapest"}}, r, known);
              }),
              "policy");
    EXPECT_EQ(param_of([&] { apply_key_fields(nlohmann::json{{"expires", "soon"}}, r, known); }), "expires");
    EXPECT_EQ(param_of([&] {
                  apply_key_fields(nlohmann::json{{"allowed_models", {1}}}, r, known);
              }),
              "allowed_models");
    EXPECT_EQ(param_of([&] { apply_key_fields(nlohmann::json{{"team", 3}}, r, known); }), "team");
}

TEST(AdminCodec, KeyJsonNeverHasTheHashAndSaysTheStatus) {
    KeyListing l;
    l.record.name = "k";
    l.record.sha256_hex = std::string(64, 'a');
    l.record.created_unix_ms = kJan15;
    l.record.expires_unix_ms = kJan15 + 10;
    l.source = "admin";
    nlohmann::json j = key_json(l, kJan15);
    EXPECT_EQ(j["status"], "active");
    EXPECT_EQ(j["created"], "2025-01-15T00:00:00Z");
    EXPECT_EQ(j["team"], nullptr);
    EXPECT_EQ(j.dump().find(std::string(64, 'a')), std::string::npos);
    EXPECT_EQ(key_json(l, kJan15 + 10)["status"], "expired");
    l.record.revoked_unix_ms = kJan15 + 5;
    EXPECT_EQ(key_json(l, kJan15 + 10)["status"], "revoked");
}

TEST(AdminCodec, KeySettingsAreMergePatchesOfTheConfigsSections) {
    store::KeySettingsRecord r;
    apply_key_settings(nlohmann::json::parse(R"({"limits":{"rpm":60,"tpm":1000},"queue":{"max_depth":0}})"),
                       r);
    EXPECT_EQ(r.limits_rpm, 60);
    EXPECT_EQ(r.limits_tpm, 1000);
    EXPECT_EQ(r.queue_max_depth, 0);
    apply_key_settings(
        nlohmann::json::parse(R"({"limits":{"tpm":null,"max_in_flight":3},"timeouts":{"total_ms":500}})"), r);
    EXPECT_EQ(r.limits_rpm, 60) << "a member not named stays";
    EXPECT_FALSE(r.limits_tpm) << "null unsets";
    EXPECT_EQ(r.limits_max_in_flight, 3);
    EXPECT_EQ(r.timeouts_total_ms, 500);
    apply_key_settings(nlohmann::json::parse(R"({"limits":null,"team":"x"})"), r);
    EXPECT_FALSE(r.limits_rpm || r.limits_tpm || r.limits_max_in_flight) << "a null section clears it";
    EXPECT_EQ(r.timeouts_total_ms, 500);
    EXPECT_EQ(r.queue_max_depth, 0);

    const nlohmann::json j = key_settings_json(r);
    EXPECT_EQ(j,
              nlohmann::json::parse(R"({"limits":{},"timeouts":{"total_ms":500},"queue":{"max_depth":0}})"));
}

TEST(AdminCodec, KeySettingRefusalsNameTheField) {
    const auto refused = [](const char* body) {
        return param_of([body] {
            store::KeySettingsRecord r;
            apply_key_settings(nlohmann::json::parse(body), r);
        });
    };
    EXPECT_EQ(refused(R"({"limits":{"rpm":0}})"), "limits.rpm");
    EXPECT_EQ(refused(R"({"limits":{"rpm":1.5}})"), "limits.rpm");
    EXPECT_EQ(refused(R"({"limits":{"rpm":"60"}})"), "limits.rpm");
    EXPECT_EQ(refused(R"({"limits":{"rpm":18446744073709551615}})"), "limits.rpm");
    EXPECT_EQ(refused(R"({"limits":{"rmp":5}})"), "limits.rmp");
    EXPECT_EQ(refused(R"({"limits":[1]})"), "limits");
    EXPECT_EQ(refused(R"({"timeouts":{"first_token_ms":-1}})"), "timeouts.first_token_ms");
    EXPECT_EQ(refused(R"({"queue":{"share":1001}})"), "queue.share");
    store::KeySettingsRecord untouched;
    untouched.limits_rpm = 7;
    EXPECT_EQ(
        param_of([&] { apply_key_settings(nlohmann::json::parse(R"({"limits":{"rpm":0}})"), untouched); }),
        "limits.rpm");
    EXPECT_EQ(untouched.limits_rpm, 7) << "a refused body changes nothing";
}

// One table decides for the YAML and the admin API alike: each accepts a field's bounds and refuses one
// beyond.
TEST(AdminCodec, KeySettingsTakeWhatTheConfigTakes) {
    const std::string sha = std::string(64, 'a');
    const auto yaml_accepts = [&](std::string_view section, std::string_view name, long long v) {
        try {
            config::load_config_text("api_keys: [{name: k, sha256: " + sha + ", " + std::string(section) +
                                         ": {" + std::string(name) + ": " + std::to_string(v) +
                                         "}}]\nproviders: [{name: p, kind: openai, base_url: 'http://h'}]\n"
                                         "models: [{id: m, provider: p}]\n",
                                     "t.yaml");
            return true;
        } catch (const config::ConfigError&) {
            return false;
        }
    };
    const auto api_accepts = [](std::string_view section, std::string_view name, long long v) {
        store::KeySettingsRecord r;
        try {
            apply_key_settings({{std::string(section), {{std::string(name), v}}}}, r);
            return true;
        } catch (const AdminFailure&) {
            return false;
        }
    };
    for (const std::string_view section : config::kKeySettingSections) {
        for (const auto& f : config::key_setting_fields(section)) {
            for (const long long v : {f.min - 1, f.min, f.max, f.max + 1}) {
                EXPECT_EQ(yaml_accepts(section, f.name, v), api_accepts(section, f.name, v))
                    << section << "." << f.name << " = " << v;
                EXPECT_EQ(api_accepts(section, f.name, v), v >= f.min && v <= f.max) << f.name << " " << v;
            }
        }
    }
}

TEST(AdminCodec, StoredKeySettingsConvertBothWaysAndOutOfRangeOnesAreLeftOut) {
    config::KeySettings s;
    s.limits.rpm = 60;
    s.timeouts.first_token = std::chrono::milliseconds(250);
    s.queue.share = 2;
    const store::KeySettingsRecord r = record_of(s);
    EXPECT_EQ(r.limits_rpm, 60);
    EXPECT_EQ(r.timeouts_first_token_ms, 250);
    EXPECT_EQ(r.queue_share, 2);
    EXPECT_EQ(settings_of(r), s);
    store::KeySettingsRecord edited = r;
    edited.limits_rpm = 0;  // the file edited by hand: not a limit anyone could have set
    edited.queue_share = -3;
    const config::KeySettings read = settings_of(edited);
    EXPECT_FALSE(read.limits.rpm);
    EXPECT_FALSE(read.queue.share);
    EXPECT_EQ(read.timeouts.first_token, std::chrono::milliseconds(250));
}

TEST(AdminCodec, AConfigKeysCopyAndListingKeepItsSettings) {
    config::ApiKeyConfig k;
    k.name = "cfg";
    k.sha256 = std::string(64, 'b');
    k.settings.limits.max_in_flight = 4;
    const store::ApiKeyRecord r = record_of(k, kJan15);
    EXPECT_EQ(r.sha256_hex, k.sha256);
    EXPECT_EQ(r.created_unix_ms, kJan15);
    EXPECT_EQ(r.settings.limits_max_in_flight, 4);
    const nlohmann::json listed = key_json(listing_of(k), kJan15);
    EXPECT_EQ(listed["limits"], nlohmann::json::parse(R"({"max_in_flight":4})"));
    EXPECT_EQ(listed["source"], "config");
    EXPECT_EQ(listed["created"], nullptr);
    EXPECT_EQ(listed.dump().find(k.sha256), std::string::npos);
}

TEST(AdminCodec, BudgetBodies) {
    const store::BudgetRecord r = budget_record_from_json(
        nlohmann::json::parse(
            R"({"name":"b","scope":{"model":"m","key":"k"},"period":"month","limit_usd":2.5,"hard":false,)"
            R"("alert_at":[0.9,0.5],"utc_offset_minutes":-300})"),
        nullptr);
    EXPECT_EQ(r.scope_kind, "key_model");
    EXPECT_EQ(r.scope_value, "k");
    EXPECT_EQ(r.scope_model, "m");
    EXPECT_EQ(r.period, "month");
    EXPECT_EQ(r.limit, 2'500'000'000);
    EXPECT_FALSE(r.hard);
    EXPECT_EQ(r.alert_thresholds, (std::vector<double>{0.5, 0.9}));
    EXPECT_EQ(r.utc_offset_minutes, -300);

    const store::BudgetRecord d =
        budget_record_from_json(nlohmann::json::parse(R"({"name":"d","limit_usd":1})"), nullptr);
    EXPECT_EQ(d.scope_kind, "global");
    EXPECT_EQ(d.period, "day");
    EXPECT_TRUE(d.hard);
    EXPECT_EQ(d.alert_thresholds, (std::vector<double>{0.5, 0.8, 1.0}));

    const store::BudgetRecord p = budget_record_from_json(nlohmann::json::parse(R"({"limit_usd":3})"), &r);
    EXPECT_EQ(p.limit, 3'000'000'000);
    EXPECT_EQ(p.scope_kind, "key_model");
    EXPECT_EQ(p.period, "month");

    const auto bad = [](const char* body) {
        return param_of([body] { budget_record_from_json(nlohmann::json::parse(body), nullptr); });
    };
    EXPECT_EQ(bad(R"({"limit_usd":1})"), "name");
    EXPECT_EQ(bad(R"({"name":"b"})"), "limit_usd");
    EXPECT_EQ(bad(R"({"name":"b","limit_usd":-1})"), "limit_usd");
    EXPECT_EQ(bad(R"({"name":"b","limit_usd":1,"period":"week"})"), "period");
    EXPECT_EQ(bad(R"({"name":"b","limit_usd":1,"scope":"all"})"), "scope");
    EXPECT_EQ(bad(R"({"name":"b","limit_usd":1,"scope":{"team":"a","task":"code"}})"), "scope");
    EXPECT_EQ(bad(R"({"name":"b","limit_usd":1,"scope":{"task":"knitting"}})"), "scope");
    EXPECT_EQ(bad(R"({"name":"b","limit_usd":1,"scope":{"team":""}})"), "scope");
    EXPECT_EQ(bad(R"({"name":"b","limit_usd":1,"alert_at":[20]})"), "alert_at");
    EXPECT_EQ(bad(R"({"name":"b","limit_usd":1,"utc_offset_minutes":1.5})"), "utc_offset_minutes");
    EXPECT_EQ(bad(R"({"name":"b","limit_usd":1,"hard":1})"), "hard");
    EXPECT_EQ(bad(R"({"name":"b","limit_usd":1,"extra":1})"), "extra");
    EXPECT_EQ(param_of([&] { budget_record_from_json(nlohmann::json{{"name", "other"}}, &r); }), "name");
}

TEST(AdminCodec, BudgetJsonHasTotalsAndWindow) {
    budget::BudgetStatus s;
    s.spec.name = "b";
    s.spec.scope = {budget::ScopeKind::team, "web", ""};
    s.spec.period = budget::Period::day;
    s.spec.limit = 3'000'000'000;
    s.spec.utc_offset_minutes = 60;
    s.window = budget::window_containing(budget::Period::day, 60, kJan15);
    s.spent = 1'000'000'000;
    s.reserved = 500'000'000;
    const nlohmann::json j = budget_json(s, "admin");
    EXPECT_EQ(j["scope"], nlohmann::json({{"team", "web"}}));
    EXPECT_DOUBLE_EQ(j["spent_usd"].get<double>(), 1.0);
    EXPECT_DOUBLE_EQ(j["reserved_usd"].get<double>(), 0.5);
    EXPECT_DOUBLE_EQ(j["remaining_usd"].get<double>(), 1.5);
    EXPECT_EQ(j["window"]["start"], "2025-01-15T00:00:00+01:00");
    EXPECT_EQ(j["window"]["end"], "2025-01-16T00:00:00+01:00");

    s.spent = 4'000'000'000;
    s.window = budget::TimeWindow{};
    s.spec.scope = {};
    const nlohmann::json over = budget_json(s, "config");
    EXPECT_DOUBLE_EQ(over["remaining_usd"].get<double>(), 0.0);
    EXPECT_EQ(over["scope"], "global");
    EXPECT_EQ(over["window"]["start"], nullptr);
    EXPECT_EQ(over["window"]["end"], nullptr);
}

TEST(AdminCodec, SpendQueries) {
    const store::SpendQuery q = spend_query_from({{"from", "2025-01-15"},
                                                  {"group_by", "key,model,key,day"},
                                                  {"utc_offset_minutes", "-60"},
                                                  {"format", "csv"}});
    EXPECT_EQ(q.from_unix_ms, kJan15);
    EXPECT_EQ(q.to_unix_ms, std::numeric_limits<std::int64_t>::max());
    EXPECT_EQ(q.group_by, (std::vector<store::GroupField>{store::GroupField::key, store::GroupField::model,
                                                          store::GroupField::day}));
    EXPECT_EQ(q.day_utc_offset_minutes, -60);
    EXPECT_EQ(param_of([] { spend_query_from({{"group_by", "colour"}}); }), "group_by");
    EXPECT_EQ(param_of([] { spend_query_from({{"from", "soon"}}); }), "from");
    EXPECT_EQ(param_of([] { spend_query_from({{"from", "2025-01-15"}, {"to", "2025-01-14"}}); }), "to");
    EXPECT_EQ(param_of([] { spend_query_from({{"utc_offset_minutes", "9999"}}); }), "utc_offset_minutes");
    EXPECT_EQ(param_of([] { spend_query_from({{"limit", "5"}}); }), "limit");
}

TEST(AdminCodec, SpendReportJsonTotals) {
    store::SpendReport report;
    report.group_by = {store::GroupField::key};
    store::SpendReportRow a;
    a.groups = {"a"};
    a.requests = 2;
    a.cost = 1500;
    store::SpendReportRow b;
    b.groups = {"b"};
    b.requests = 1;
    b.cost = 500;
    report.rows = {a, b};
    store::SpendQuery q;
    q.from_unix_ms = kJan15;
    q.to_unix_ms = std::numeric_limits<std::int64_t>::max();
    const nlohmann::json j = spend_report_json(report, q);
    EXPECT_EQ(j["rows"][0]["key"], "a");
    EXPECT_EQ(j["rows"][1]["cost_nano_usd"], 500);
    EXPECT_EQ(j["total"]["requests"], 3);
    EXPECT_EQ(j["total"]["cost_nano_usd"], 2000);
    EXPECT_EQ(j["to"], nullptr);
    EXPECT_EQ(j["from"], "2025-01-15T00:00:00Z");
}

TEST(AlertWebhook, AlertJson) {
    budget::BudgetAlert alert;
    alert.budget = "team-web";
    alert.hard = false;
    alert.threshold = 0.8;
    alert.spent = 8'000'000'000;
    alert.limit = 10'000'000'000;
    alert.window = budget::window_containing(budget::Period::month, 0, kJan15);
    const nlohmann::json j = nlohmann::json::parse(alert_json(alert));
    EXPECT_EQ(j["budget"], "team-web");
    EXPECT_DOUBLE_EQ(j["threshold"].get<double>(), 0.8);
    EXPECT_DOUBLE_EQ(j["spent_usd"].get<double>(), 8.0);
    EXPECT_DOUBLE_EQ(j["limit_usd"].get<double>(), 10.0);
    EXPECT_EQ(j["window_start"], "2025-01-01T00:00:00Z");
    EXPECT_EQ(j["window_end"], "2025-02-01T00:00:00Z");
    EXPECT_EQ(j["hard"], false);
}

TEST(AlertWebhook, RefusesWhatIsNotAUrl) {
    EXPECT_THROW(AlertWebhook("not a url"), std::invalid_argument);
}

TEST(AlertWebhook, AnUnreachableReceiverIsCountedNotFatal) {
    AlertWebhook hook("http://127.0.0.1:9/hook");  // the discard port: nothing listens there
    budget::BudgetAlert alert;
    alert.budget = "b";
    hook.send(alert);
    for (int i = 0; i < 200 && hook.failed() == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(hook.failed(), 1u);
    EXPECT_EQ(hook.sent(), 0u);
}

}  // namespace
}  // namespace gaterouter::api::admin
