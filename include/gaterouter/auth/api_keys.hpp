#pragma once
// The client API keys the gateway accepts. Only SHA-256 hashes of keys are held; a presented key is hashed
// and compared in constant time, so neither the file nor timing gives a key away.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gaterouter/config/config.hpp"

namespace gaterouter::admit {
class KeyLimiter;  // a key's rate and concurrency limits: built by the api area, which links admit
}

namespace gaterouter::auth {

using KeyHash = std::array<unsigned char, 32>;

struct ApiKey {
    std::string name;
    KeyHash hash{};
    std::string team;                             // owner label: team budgets and spend reports
    std::optional<std::int64_t> expires_unix_ms;  // refused from then on
    std::optional<std::int64_t> revoked_unix_ms;  // refused from then on
    std::vector<std::string> allowed_models;      // empty: every model
    config::RoutePreferences routing;             // this key's routing preferences
    config::TimeoutsConfig timeouts;              // this key's request time limits
    config::KeyQueueConfig queue;                 // how its requests wait in the admission queue
    // Its live limits (counts shared by every key set in which its limits stay the same); null: none.
    std::shared_ptr<admit::KeyLimiter> limiter;

    bool allows(std::string_view model) const;
};

KeyHash sha256(std::string_view data);
std::string to_hex(const KeyHash& hash);
// False when `hex` is not 64 hexadecimal digits.
bool from_hex(std::string_view hex, KeyHash& out);

// The bearer token of an "Authorization: Bearer <token>" value; empty when there is none.
std::string_view bearer_token(std::string_view authorization);

// The keys in force, replaced whole when keys are issued or revoked at run time (copy-on-write): a request
// reads the current set without a lock, and a revoked key is refused by every worker from the next request
// on.
class KeyRegistry;

class ApiKeySet {
  public:
    explicit ApiKeySet(std::vector<ApiKey> keys);
    // No keys configured: every request is let through.
    bool open() const { return keys_.empty(); }
    // The matching key, or null.
    const ApiKey* verify(std::string_view presented) const;

    const std::vector<ApiKey>& keys() const { return keys_; }

  private:
    struct HashOfHash {
        std::size_t operator()(const KeyHash& h) const;
    };
    std::vector<ApiKey> keys_;
    std::unordered_map<KeyHash, std::size_t, HashOfHash> index_;
};

class KeyRegistry {
  public:
    explicit KeyRegistry(std::shared_ptr<const ApiKeySet> keys) : current_(std::move(keys)) {}
    std::shared_ptr<const ApiKeySet> current() const { return current_.load(std::memory_order_acquire); }
    void replace(std::shared_ptr<const ApiKeySet> keys) {
        current_.store(std::move(keys), std::memory_order_release);
    }

  private:
    std::atomic<std::shared_ptr<const ApiKeySet>> current_;
};

// A new client key: "sk-gr-" and 43 characters of base64url (32 random bytes from the system's CSPRNG).
std::string generate_key();

}  // namespace gaterouter::auth
