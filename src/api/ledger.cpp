#include "gaterouter/api/ledger.hpp"

#include <spdlog/spdlog.h>

#include "gaterouter/budget/pricing.hpp"

namespace gaterouter::api {
namespace {

store::BudgetRecord record_of(const config::BudgetConfig& b) {
    store::BudgetRecord r;
    r.name = b.name;
    r.scope_kind = b.scope_kind;
    r.scope_value = b.scope_value;
    r.scope_model = b.scope_model;
    r.period = b.period;
    r.limit =
        budget::nano_usd_per_mtok(b.limit_usd);  // a price per million tokens converts as USD to nano-USD
    r.hard = b.hard;
    r.alert_thresholds = b.alert_at;
    r.utc_offset_minutes = b.utc_offset_minutes;
    return r;
}

}  // namespace

std::unique_ptr<Ledger> open_ledger(const config::Config& config, const budget::WallClock& clock,
                                    std::function<void(const budget::BudgetAlert&)> on_alert) {
    auto ledger = std::make_unique<Ledger>();
    store::SqliteOptions options;
    options.path = config.ledger.path;
    options.durability =
        config.ledger.durability == "normal" ? store::Durability::normal : store::Durability::full;
    ledger->database = std::make_unique<store::SqliteDatabase>(options);
    ledger->ledger_store = std::make_unique<store::SqliteLedgerStore>(*ledger->database);
    ledger->key_store = std::make_unique<store::SqliteKeyStore>(*ledger->database);
    ledger->budget_store = std::make_unique<store::SqliteBudgetStore>(*ledger->database);

    const store::RecoveryResult recovered = ledger->ledger_store->recover();
    if (recovered.reservations > 0) {
        spdlog::warn(
            "ledger: charged {} request(s) left in flight by the last run at their reserved maximum "
            "(${} in all)",
            recovered.reservations, store::format_usd(recovered.charged));
    }
    // The config owns the budgets it names; the admin API's live beside them.
    for (const auto& b : config.budgets) ledger->budget_store->put_budget(record_of(b));
    ledger->budgets = std::make_unique<budget::BudgetEnforcer>(clock, std::move(on_alert));
    reload_budgets(*ledger);
    store::LedgerWriterOptions writer_options;
    writer_options.on_error = [](const std::string& error) {
        spdlog::error("ledger: a write failed and is being retried: {}", error);
    };
    ledger->writer = std::make_unique<store::LedgerWriter>(*ledger->ledger_store, std::move(writer_options));
    return ledger;
}

void reload_budgets(Ledger& ledger) {
    std::vector<budget::BudgetSpec> specs;
    for (const auto& record : ledger.budget_store->budgets())
        specs.push_back(budget::budget_from_record(record));
    ledger.budgets->load_totals(std::move(specs), *ledger.ledger_store);
}

std::shared_ptr<const auth::ApiKeySet> load_keys(const config::Config& config, const Ledger* ledger) {
    std::vector<auth::ApiKey> keys;
    for (const auto& k : config.api_keys) {
        auth::ApiKey key;
        key.name = k.name;
        auth::from_hex(k.sha256, key.hash);  // validated with the config
        key.team = k.team;
        key.expires_unix_ms = k.expires_unix_ms;
        key.allowed_models = k.allowed_models;
        key.routing = k.routing;
        key.timeouts = k.timeouts;
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
            std::erase_if(keys, [&key](const auth::ApiKey& k) { return k.name == key.name; });
            keys.push_back(std::move(key));
        }
    }
    return std::make_shared<const auth::ApiKeySet>(std::move(keys));
}

awaitable<void> await_callback(std::function<void(std::function<void()> done)> submit) {
    auto executor = co_await net::this_coro::executor;
    co_await net::async_initiate<decltype(net::use_awaitable), void()>(
        [&submit, executor](auto handler) {
            // Handlers are move-only and std::function wants copies: the handler waits in a shared slot.
            auto slot = std::make_shared<decltype(handler)>(std::move(handler));
            auto guard =
                std::make_shared<decltype(net::make_work_guard(executor))>(net::make_work_guard(executor));
            submit([slot, guard, executor]() mutable {
                net::post(executor, [slot, guard]() mutable { (*slot)(); });
            });
        },
        net::use_awaitable);
}

}  // namespace gaterouter::api
