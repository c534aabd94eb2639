#pragma once
// What the endpoint handlers need, built once from the config and shared read-only by all workers; plus what
// each worker owns for itself.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>

#include "gaterouter/admit/admission_queue.hpp"
#include "gaterouter/admit/key_limits.hpp"
#include "gaterouter/api/key_publisher.hpp"
#include "gaterouter/api/ledger.hpp"
#include "gaterouter/api/route_preferences.hpp"
#include "gaterouter/auth/api_keys.hpp"
#include "gaterouter/catalog/catalog.hpp"
#include "gaterouter/classify/task_classifier.hpp"
#include "gaterouter/obs/access_log.hpp"
#include "gaterouter/obs/request_metrics.hpp"
#include "gaterouter/providers/provider_set.hpp"
#include "gaterouter/route/deployments.hpp"
#include "gaterouter/route/policy.hpp"
#include "gaterouter/route/retry_budget.hpp"
#include "gaterouter/route/scheduler.hpp"
#include "gaterouter/upstream/client.hpp"

namespace gaterouter::api {

struct Services {
    std::shared_ptr<const catalog::Catalog> catalog;
    std::shared_ptr<const providers::ProviderSet> providers;
    std::shared_ptr<auth::KeyRegistry> keys;  // each key with its limiter, time limits and queue settings
    std::shared_ptr<Ledger> ledger;           // null: no ledger configured (no budgets, no spend rows)
    // Rebuilds `keys` after the admin API changed one, and when another process changed the ledger's. After
    // the ledger, so that it goes first.
    std::shared_ptr<KeyPublisher> key_publisher;
    const budget::WallClock* wall_clock = nullptr;  // key expiry, budget windows, ledger times
    budget::ManualWallClock* fake_clock =
        nullptr;  // set only with --fake-clock (tests): the admin API moves it
    std::shared_ptr<const obs::AccessLog> access_log;
    std::shared_ptr<obs::RequestMetrics> metrics;  // recorded into by every worker (sharded within)
    std::shared_ptr<const route::Deployments> deployments;
    std::shared_ptr<const classify::TaskClassifier> classifier;  // null: requests are not classified
    std::shared_ptr<const route::Policies> policies;
    std::shared_ptr<const route::Scheduler> scheduler;
    std::shared_ptr<route::RetryBudget> retry_budget;  // shared and updated by every worker
    std::shared_ptr<admit::AdmissionQueue> admission;  // where requests wait for saturated deployments
    config::AdmissionConfig admission_config;          // how a key waits unless its queue settings say
    const route::Clock* clock = nullptr;
    // Model names that route by preference: "auto" (no preferences of its own) and the configured aliases.
    std::unordered_map<std::string, Preferences> aliases;
    std::chrono::milliseconds wait_for_recovery{2'000};
    std::size_t max_attempts = 3;
    upstream::Timeouts upstream_timeouts;
    std::size_t max_body_bytes = 16 * 1024 * 1024;
    std::size_t max_upstream_body_bytes = 64 * 1024 * 1024;
    std::string models_body;  // GET /v1/models never changes between reloads: made once
    std::atomic<bool> draining{false};
};

}  // namespace gaterouter::api
