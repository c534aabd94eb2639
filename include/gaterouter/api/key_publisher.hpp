#pragma once
// The keys in force, kept in step with the config and the ledger. They are rebuilt whole and swapped in for
// every worker at once (copy-on-write, auth::KeyRegistry) after the admin API changes a key, and within
// `ledger.key_poll_ms` of a change another process made: `gaterouter keys ...` writes the ledger's SQLite
// file directly. For those, a thread of its own reads the store's key generation every poll and rebuilds when
// it moved. Rebuilding reads the store, so it runs on that thread or the admin listener's, never on a
// worker's event loop.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "gaterouter/api/ledger.hpp"
#include "gaterouter/auth/api_keys.hpp"
#include "gaterouter/config/config.hpp"
#include "gaterouter/route/clock.hpp"

namespace gaterouter::api {

// The config's keys, then the ledger's (issued at run time), a ledger key replacing a config key of the same
// name; each with its limits, time limits and queue settings. A key keeps the limiter it has in `previous`
// while its limits stay the same, so that its counts carry on. Throws store::StoreError.
std::shared_ptr<const auth::ApiKeySet> load_keys(const config::Config& config, const Ledger* ledger,
                                                 const auth::ApiKeySet* previous, const route::Clock& clock);

class KeyPublisher {
  public:
    // Publishes the keys in force now into `registry`. Throws store::StoreError.
    KeyPublisher(const config::Config& config, const Ledger* ledger, auth::KeyRegistry& registry,
                 const route::Clock& clock);
    KeyPublisher(const KeyPublisher&) = delete;
    KeyPublisher& operator=(const KeyPublisher&) = delete;

    // Rebuilds the keys and publishes them, now; blocking. Throws store::StoreError.
    void publish();
    // From now on, looks for key changes in the ledger every `poll` and publishes them (nothing to watch
    // without a ledger). Until destroyed.
    void watch(std::chrono::milliseconds poll);

  private:
    // Under mutex_.
    void rebuild();
    // Rebuilds when the ledger's keys changed since the last rebuild; true when they had.
    bool refresh();

    const config::Config& config_;
    const Ledger* ledger_;
    auth::KeyRegistry& registry_;
    const route::Clock& clock_;
    std::mutex mutex_;             // one rebuild at a time, so that an older read never replaces a newer one
    std::int64_t generation_ = 0;  // the ledger's key generation when the keys in force were read
    std::jthread watcher_;         // last: stopped and joined before the rest goes
};

}  // namespace gaterouter::api
