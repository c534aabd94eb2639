// The admin API's keys: issue, list, change and revoke client keys while the gateway runs. Keys live in the
// ledger's store as SHA-256 hashes; after every change the whole key set is rebuilt (config keys, then store
// keys, a store key replacing a config key of the same name) and swapped in for every worker at once.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>

#include "gaterouter/api/admin_handlers.hpp"

namespace gaterouter::api::admin {
namespace {

std::int64_t now_ms(const Context& c) {
    return c.services.wall_clock->now_unix_ms();
}

void put_keys_in_force(const Context& c) {
    c.services.key_publisher->publish();
}

const config::ApiKeyConfig* config_key(const Context& c, std::string_view name) {
    for (const auto& k : c.config.api_keys) {
        if (k.name == name) return &k;
    }
    return nullptr;
}

std::optional<store::ApiKeyRecord> stored_key(Ledger& ledger, std::string_view name) {
    for (auto& r : ledger.key_store->api_keys()) {
        if (r.name == name) return std::move(r);
    }
    return std::nullopt;
}

// A store key; one that overrides a config key of its name (changed or revoked there) still says "config".
KeyListing listing_of(const Context& c, store::ApiKeyRecord r) {
    r.sha256_hex.clear();
    const bool from_config = config_key(c, r.name) != nullptr;
    return {std::move(r), from_config ? "config" : "admin", true};
}

auto policy_checker(const Context& c) {
    return [&c](const std::string& name) { return c.services.policies->find(name) != nullptr; };
}

void reject_unknown_fields(const nlohmann::json& body) {
    constexpr std::string_view kFields[] = {"name",   "team",   "expires",  "allowed_models",
                                            "policy", "limits", "timeouts", "queue"};
    for (const auto& [k, v] : body.items()) {
        (void)v;
        if (std::find(std::begin(kFields), std::end(kFields), k) != std::end(kFields)) continue;
        std::string known;
        for (const std::string_view f : kFields) known.append(known.empty() ? "" : ", ").append(f);
        bad_field(k, "Unknown key field '" + k + "' (" + known + ").");
    }
}

}  // namespace

Reply json_reply(http::Status status, const nlohmann::json& body) {
    return {status, body.dump(), "application/json"};
}

Ledger& ledger_of(const Context& c) {
    if (!c.services.ledger) {
        throw AdminFailure(openai::ledger_not_configured("Keys, budgets and spend"));
    }
    return *c.services.ledger;
}

Reply create_key(const Context& c, const http::Request& request) {
    Ledger& ledger = ledger_of(c);
    const nlohmann::json body = parse_object(request.body());
    reject_unknown_fields(body);
    const nlohmann::json& name = body.contains("name") ? body["name"] : nlohmann::json();
    if (!name.is_string() || !valid_name(name.get<std::string>()))
        bad_field("name", "name is required: 1 to 64 letters, digits, '.', '_' or '-'.");
    store::ApiKeyRecord record;
    record.name = name.get<std::string>();
    if (config_key(c, record.name) != nullptr || stored_key(ledger, record.name))
        conflict("A key named '" + record.name + "' exists already (names are never reused).", "key_exists");
    apply_key_fields(body, record, policy_checker(c));
    record.created_unix_ms = now_ms(c);
    const std::string key = auth::generate_key();
    record.sha256_hex = auth::to_hex(auth::sha256(key));
    ledger.key_store->put_api_key(record);
    put_keys_in_force(c);
    spdlog::info("admin: issued key '{}'", record.name);
    nlohmann::json out = key_json(listing_of(c, record), now_ms(c));
    out["key"] = key;  // shown this once; only its hash is kept
    return json_reply(http::Status::created, out);
}

Reply list_keys(const Context& c, const http::Request&) {
    Ledger& ledger = ledger_of(c);
    std::map<std::string, KeyListing> keys;
    for (const auto& k : c.config.api_keys) keys.insert_or_assign(k.name, listing_of(k));
    for (auto& r : ledger.key_store->api_keys()) {
        std::string name = r.name;
        keys.insert_or_assign(std::move(name), listing_of(c, std::move(r)));
    }
    put_keys_in_force(c);  // picks up keys issued by the CLI since the last change
    nlohmann::json data = nlohmann::json::array();
    const std::int64_t now = now_ms(c);
    for (const auto& [name, listing] : keys) data.push_back(key_json(listing, now));
    return json_reply(http::Status::ok, {{"object", "list"}, {"data", std::move(data)}});
}

Reply show_key(const Context& c, std::string_view name) {
    Ledger& ledger = ledger_of(c);
    if (auto r = stored_key(ledger, name))
        return json_reply(http::Status::ok, key_json(listing_of(c, *r), now_ms(c)));
    if (const auto* k = config_key(c, name))
        return json_reply(http::Status::ok, key_json(listing_of(*k), now_ms(c)));
    not_found("There is no key named '" + std::string(name) + "'.", "key_not_found");
}

Reply update_key(const Context& c, const http::Request& request, std::string_view name) {
    Ledger& ledger = ledger_of(c);
    const nlohmann::json body = parse_object(request.body());
    reject_unknown_fields(body);
    if (body.contains("name") && body["name"] != nlohmann::json(name))
        bad_field("name", "A key's name cannot be changed.");
    std::optional<store::ApiKeyRecord> record = stored_key(ledger, name);
    if (!record) {
        const auto* k = config_key(c, name);
        if (k == nullptr) not_found("There is no key named '" + std::string(name) + "'.", "key_not_found");
        record = record_of(*k, now_ms(c));  // the store's copy replaces the config's from now on
    }
    apply_key_fields(body, *record, policy_checker(c));
    ledger.key_store->put_api_key(*record);
    put_keys_in_force(c);
    spdlog::info("admin: changed key '{}'", record->name);
    return json_reply(http::Status::ok, key_json(listing_of(c, *record), now_ms(c)));
}

Reply revoke_key(const Context& c, std::string_view name) {
    Ledger& ledger = ledger_of(c);
    const std::int64_t now = now_ms(c);
    std::optional<store::ApiKeyRecord> record = stored_key(ledger, name);
    if (record) {
        if (!record->revoked_unix_ms || *record->revoked_unix_ms > now) {
            ledger.key_store->revoke_api_key(name, now);
            record->revoked_unix_ms = now;
        }
    } else {
        const auto* k = config_key(c, name);
        if (k == nullptr) not_found("There is no key named '" + std::string(name) + "'.", "key_not_found");
        // A config key is revoked by a store record of the same key that says so.
        record = record_of(*k, now);
        record->revoked_unix_ms = now;
        ledger.key_store->put_api_key(*record);
    }
    put_keys_in_force(c);
    spdlog::info("admin: revoked key '{}'", record->name);
    return json_reply(http::Status::ok, key_json(listing_of(c, *record), now));
}

}  // namespace gaterouter::api::admin
