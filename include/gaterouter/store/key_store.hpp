#pragma once
// Client API keys kept in the store, so they can be issued and revoked while the gateway runs.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gaterouter::store {

// What a key sets for its own requests: the config's `limits`, `timeouts` and `queue` sections, a member per
// value, named section_name (the store knows nothing of the config's types); absent: not set.
struct KeySettingsRecord {
    std::optional<std::int64_t> limits_rpm;
    std::optional<std::int64_t> limits_tpm;
    std::optional<std::int64_t> limits_max_in_flight;
    std::optional<std::int64_t> timeouts_total_ms;
    std::optional<std::int64_t> timeouts_first_token_ms;
    std::optional<std::int64_t> queue_share;
    std::optional<std::int64_t> queue_max_depth;
    std::optional<std::int64_t> queue_max_wait_ms;
    bool operator==(const KeySettingsRecord&) const = default;
};

struct ApiKeyRecord {
    std::int64_t id = 0;  // assigned by the store
    std::string name;
    std::string team;
    std::string sha256_hex;  // of the key; the key itself is never stored
    std::int64_t created_unix_ms = 0;
    std::optional<std::int64_t> expires_unix_ms;
    std::optional<std::int64_t> revoked_unix_ms;
    std::vector<std::string> allowed_models;  // empty: every model
    std::string policy;                       // routing policy name; empty: the default
    KeySettingsRecord settings;
};

class KeyStore {
  public:
    virtual ~KeyStore() = default;
    // Inserts the key, or replaces the one with the same name; returns its id. Throws StoreError.
    virtual std::int64_t put_api_key(const ApiKeyRecord& key) = 0;
    virtual std::vector<ApiKeyRecord> api_keys() const = 0;
    // False when there is no key of that name.
    virtual bool revoke_api_key(std::string_view name, std::int64_t at_unix_ms) = 0;
    // A number that moves on with every change to the keys, whichever process sharing the store made it: two
    // equal readings mean no key changed in between.
    virtual std::int64_t key_generation() const = 0;
};

}  // namespace gaterouter::store
