#include "gaterouter/api/key_publisher.hpp"

#include <pthread.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <unordered_map>
#include <vector>

#include "gaterouter/admit/key_limits.hpp"
#include "gaterouter/api/admin_codec.hpp"

namespace gaterouter::api {
namespace {

void apply_settings(const config::KeySettings& settings, const auth::ApiKey* previous,
                    const route::Clock& clock, auth::ApiKey& key) {
    key.timeouts = settings.timeouts;
    key.queue = settings.queue;
    key.limiter =
        admit::limiter_for(settings.limits, previous != nullptr ? previous->limiter : nullptr, clock);
}

}  // namespace

std::shared_ptr<const auth::ApiKeySet> load_keys(const config::Config& config, const Ledger* ledger,
                                                 const auth::ApiKeySet* previous, const route::Clock& clock) {
    std::unordered_map<std::string_view, const auth::ApiKey*> before;
    if (previous != nullptr) {
        for (const auto& k : previous->keys()) before.emplace(k.name, &k);
    }
    const auto previous_of = [&before](const std::string& name) -> const auth::ApiKey* {
        const auto it = before.find(name);
        return it == before.end() ? nullptr : it->second;
    };
    std::vector<auth::ApiKey> keys;
    for (const auto& k : config.api_keys) {
        auth::ApiKey key;
        key.name = k.name;
        auth::from_hex(k.sha256, key.hash);  // validated with the config
        key.team = k.team;
        key.expires_unix_ms = k.expires_unix_ms;
        key.allowed_models = k.allowed_models;
        key.routing = k.routing;
        apply_settings(k.settings, previous_of(key.name), clock, key);
        keys.push_back(std::move(key));
    }
    if (ledger != nullptr) {
        for (const auto& r : ledger->key_store->api_keys()) {
            auth::ApiKey key;
            key.name = r.name;
            if (!auth::from_hex(r.sha256_hex, key.hash)) continue;
            key.team = r.team;
            key.expires_unix_ms = r.expires_unix_ms;
            key.revoked_unix_ms = r.revoked_unix_ms;
            key.allowed_models = r.allowed_models;
            key.routing.optimize = r.policy;
            apply_settings(admin::settings_of(r.settings), previous_of(key.name), clock, key);
            std::erase_if(keys, [&key](const auth::ApiKey& k) { return k.name == key.name; });
            keys.push_back(std::move(key));
        }
    }
    return std::make_shared<const auth::ApiKeySet>(std::move(keys));
}

KeyPublisher::KeyPublisher(const config::Config& config, const Ledger* ledger, auth::KeyRegistry& registry,
                           const route::Clock& clock)
    : config_(config), ledger_(ledger), registry_(registry), clock_(clock) {
    publish();
}

void KeyPublisher::publish() {
    std::lock_guard lock(mutex_);
    rebuild();
}

void KeyPublisher::rebuild() {
    // Read before the keys: a change made in between moves the generation past this reading, so the next
    // refresh reads the keys again rather than missing it. Kept only once the keys are in force.
    const std::int64_t generation = ledger_ != nullptr ? ledger_->key_store->key_generation() : 0;
    registry_.replace(load_keys(config_, ledger_, registry_.current().get(), clock_));
    generation_ = generation;
}

bool KeyPublisher::refresh() {
    std::lock_guard lock(mutex_);
    if (ledger_->key_store->key_generation() == generation_) return false;
    rebuild();
    return true;
}

void KeyPublisher::watch(std::chrono::milliseconds poll) {
    if (ledger_ == nullptr) return;
    watcher_ = std::jthread([this, poll](std::stop_token stop) {
        ::pthread_setname_np(::pthread_self(), "gr-keys");
        std::mutex mutex;
        std::condition_variable_any sleep;
        bool failing = false;  // a failure is logged once, not at every poll
        for (;;) {
            {
                std::unique_lock lock(mutex);
                sleep.wait_for(lock, stop, poll, [] { return false; });
            }
            if (stop.stop_requested()) return;
            try {
                if (refresh())
                    spdlog::info("keys: the ledger's keys changed; {} key(s) in force",
                                 registry_.current()->keys().size());
                if (failing) spdlog::info("keys: the ledger's keys can be read again");
                failing = false;
            } catch (const std::exception& e) {
                if (!failing)
                    spdlog::error("keys: cannot look for key changes in the ledger (trying every {} ms): {}",
                                  poll.count(), e.what());
                failing = true;
            }
        }
    });
}

}  // namespace gaterouter::api
