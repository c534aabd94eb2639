#pragma once
// The admin API's (and the CLI's) reading and writing of keys, budgets and spend reports: JSON bodies and
// query strings in, JSON out. Pure functions, apart from the store and the network, so they test alone.
//
// A reader that refuses its input throws AdminFailure with the OpenAI-shaped error to answer (400 naming
// the field in `param`).

#include <cstdint>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gaterouter/budget/budget_enforcer.hpp"
#include "gaterouter/config/config.hpp"
#include "gaterouter/openai/error.hpp"
#include "gaterouter/store/budget_store.hpp"
#include "gaterouter/store/key_store.hpp"
#include "gaterouter/store/spend_report.hpp"

namespace gaterouter::api::admin {

class AdminFailure : public std::exception {
  public:
    explicit AdminFailure(openai::ApiError error) : error_(std::move(error)) {}
    const char* what() const noexcept override { return error_.message.c_str(); }
    const openai::ApiError& error() const { return error_; }

  private:
    openai::ApiError error_;
};

// 400 invalid_request_error naming `param`.
[[noreturn]] void bad_field(std::string param, std::string message);
// 404 `code` (e.g. key_not_found).
[[noreturn]] void not_found(std::string message, std::string code);
// 409 `code` (e.g. key_exists).
[[noreturn]] void conflict(std::string message, std::string code);

// The body as a JSON object; 400 when it is not one.
nlohmann::json parse_object(std::string_view body);

// Key and budget names travel in paths: 1 to 64 of A-Z a-z 0-9 . _ -
bool valid_name(std::string_view name);

// The decoded parameters of a request target's query string (later duplicates win).
std::map<std::string, std::string> parse_query(std::string_view target);
std::string percent_decode(std::string_view text);

// A point in time given as Unix milliseconds or as config times are ("2026-01-31", "2026-01-31T18:00:00Z").
std::optional<std::int64_t> parse_time(std::string_view text);
// ISO 8601 UTC to the second ("2026-01-31T18:00:00Z").
std::string format_utc(std::int64_t unix_ms);

// Applies the members of a key body that are present (team, expires, allowed_models, policy, limits,
// timeouts, queue) to `record`. `known_policy` says whether a policy name exists.
template <class KnownPolicy>
void apply_key_fields(const nlohmann::json& body, store::ApiKeyRecord& record, KnownPolicy known_policy);

// The `limits`, `timeouts` and `queue` members of a key body, applied as JSON merge patches: a value set to
// null is unset, a section set to null is cleared, what the body does not name stays. Values are checked
// against the table config keys are read by (config::key_setting_fields); a refusal names the field
// ("limits.rpm").
void apply_key_settings(const nlohmann::json& body, store::KeySettingsRecord& settings);
// The three sections with the values they set, as the YAML writes them: {"limits": {"rpm": 60}, ...}.
nlohmann::json key_settings_json(const store::KeySettingsRecord& settings);

// A key's settings as the config has them and as the store keeps them. A stored value the config would refuse
// (the file edited by hand) is left out, not enforced.
config::KeySettings settings_of(const store::KeySettingsRecord& record);
store::KeySettingsRecord record_of(const config::KeySettings& settings);
// A config key as a store record, so that the store's copy (changed, or revoked) can take its place.
store::ApiKeyRecord record_of(const config::ApiKeyConfig& key, std::int64_t created_unix_ms);

// What the key listing shows of a key (never the key itself).
struct KeyListing {
    store::ApiKeyRecord record;  // sha256_hex unused
    std::string source;          // "config" or "admin"
    bool has_created = true;     // config keys have no creation time
};
nlohmann::json key_json(const KeyListing& key, std::int64_t now_unix_ms);
// A key of the config file, as listed while the store has no copy of it.
KeyListing listing_of(const config::ApiKeyConfig& key);

// A budget body (POST) or the changes to one (PATCH, with `base` the budget as it is) as a record, checked
// field by field and then by budget::budget_from_record.
store::BudgetRecord budget_record_from_json(const nlohmann::json& body, const store::BudgetRecord* base);
// The scope as the YAML and the API write it: "global", {"team": "web"}, {"key": "a", "model": "m"}.
nlohmann::json scope_json(const budget::Scope& scope);
// A budget with its totals in the current window.
nlohmann::json budget_json(const budget::BudgetStatus& status, std::string_view source);

double to_usd(store::NanoUsd amount);

// GET /admin/v1/spend and `gaterouter spend`: from (default 0), to (default: no end), group_by (comma
// list), utc_offset_minutes.
store::SpendQuery spend_query_from(const std::map<std::string, std::string>& params);
nlohmann::json spend_report_json(const store::SpendReport& report, const store::SpendQuery& query);

// ---- template definitions ----

template <class KnownPolicy>
void apply_key_fields(const nlohmann::json& body, store::ApiKeyRecord& record, KnownPolicy known_policy) {
    if (body.contains("team")) {
        const nlohmann::json& v = body["team"];
        if (v.is_null()) {
            record.team.clear();
        } else if (v.is_string()) {
            record.team = v.get<std::string>();
        } else {
            bad_field("team", "team must be a string or null.");
        }
    }
    if (body.contains("expires")) {
        const nlohmann::json& v = body["expires"];
        if (v.is_null()) {
            record.expires_unix_ms.reset();
        } else {
            const std::optional<std::int64_t> at =
                v.is_string() ? parse_time(v.get<std::string>()) : std::nullopt;
            if (!at)
                bad_field("expires",
                          "expires must be a date (2026-12-31) or a UTC time (2026-12-31T18:00:00Z).");
            record.expires_unix_ms = at;
        }
    }
    if (body.contains("allowed_models")) {
        const nlohmann::json& v = body["allowed_models"];
        record.allowed_models.clear();
        if (!v.is_null()) {
            if (!v.is_array()) bad_field("allowed_models", "allowed_models must be a list of model names.");
            for (const auto& m : v) {
                if (!m.is_string() || m.get<std::string>().empty())
                    bad_field("allowed_models", "allowed_models must be a list of model names.");
                record.allowed_models.push_back(m.get<std::string>());
            }
        }
    }
    if (body.contains("policy")) {
        const nlohmann::json& v = body["policy"];
        if (v.is_null()) {
            record.policy.clear();
        } else {
            if (!v.is_string()) bad_field("policy", "policy must be a policy name or null.");
            const std::string policy = v.get<std::string>();
            if (!policy.empty() && !known_policy(policy))
                bad_field("policy", "There is no routing policy named '" + policy + "'.");
            record.policy = policy;
        }
    }
    apply_key_settings(body, record.settings);
}

}  // namespace gaterouter::api::admin
