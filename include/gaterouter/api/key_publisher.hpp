#pragma once
// The keys in force, kept in step with the config and the ledger: rebuilt whole and swapped in for every
// worker at once (copy-on-write, auth::KeyRegistry) after the admin API changes a key. Rebuilding reads the
// store, so it runs on the admin listener's thread, never on a worker's event loop.

#include <memory>
#include <mutex>

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

  private:
    const config::Config& config_;
    const Ledger* ledger_;
    auth::KeyRegistry& registry_;
    const route::Clock& clock_;
    std::mutex mutex_;  // one rebuild at a time, so that an older read never replaces a newer one
};

}  // namespace gaterouter::api
