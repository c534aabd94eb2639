#include "gaterouter/api/usage.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <nlohmann/json.hpp>

#include "gaterouter/api/admin_codec.hpp"
#include "gaterouter/api/chat_completions.hpp"
#include "gaterouter/api/request_scope.hpp"

namespace gaterouter::api {
namespace {

// Ledger sums block on SQLite: one thread of their own, shared by every worker (the endpoint is rare).
net::thread_pool& ledger_reader() {
    static net::thread_pool pool(1);
    return pool;
}

bool covers(const budget::Scope& scope, const auth::ApiKey& key) {
    switch (scope.kind) {
        case budget::ScopeKind::global:
            return true;
        case budget::ScopeKind::team:
            return !key.team.empty() && scope.value == key.team;
        case budget::ScopeKind::key:
        case budget::ScopeKind::key_model:
            return scope.value == key.name;
        default:
            return false;
    }
}

struct Spend {
    store::NanoUsd today = 0;
    store::NanoUsd month = 0;
    store::NanoUsd total = 0;
    bool failed = false;
};

// Runs on the ledger reader's thread.
void sum_spend(const Ledger& ledger, const std::string& key_name, std::int64_t now, Spend& out) {
    try {
        bring_up_to_date(ledger);
        const auto sum = [&](budget::Period period) {
            const budget::TimeWindow w = budget::window_containing(period, 0, now);
            store::SpendFilter filter;
            filter.from_unix_ms = w.start_unix_ms;
            filter.to_unix_ms = w.end_unix_ms;
            filter.key_name = key_name;
            return ledger.ledger_store->sum_cost(filter);
        };
        out.today = sum(budget::Period::day);
        out.month = sum(budget::Period::month);
        out.total = sum(budget::Period::total);
    } catch (const std::exception& e) {
        spdlog::error("/v1/usage: reading the ledger failed: {}", e.what());
        out.failed = true;
    }
}

}  // namespace

awaitable<void> key_usage(const Services& services, http::Request& request, http::ResponseWriter& out) {
    RequestScope scope(request, out, *services.access_log);
    const auth::ApiKey* key = nullptr;
    std::shared_ptr<const auth::ApiKeySet> keys;
    if (auto denied = check_api_key(request, services, keys, &key)) {
        co_await scope.fail(*denied);
        co_return;
    }
    if (key == nullptr) {  // an open gateway: no key to report on
        openai::ApiError missing = openai::missing_api_key();
        co_await scope.fail(std::move(missing));
        co_return;
    }
    if (!services.ledger) {
        openai::ApiError unavailable = openai::ledger_not_configured("Usage reports");
        co_await scope.fail(std::move(unavailable));
        co_return;
    }
    const std::int64_t now = services.wall_clock->now_unix_ms();
    Spend spend;
    const Ledger& ledger = *services.ledger;
    const std::string key_name = key->name;
    std::function<void(std::function<void()>)> submit = [&ledger, &key_name, now,
                                                         &spend](std::function<void()> done) {
        net::post(ledger_reader(), [&ledger, &key_name, now, &spend, done = std::move(done)] {
            sum_spend(ledger, key_name, now, spend);
            done();
        });
    };
    co_await await_callback(std::move(submit));
    if (spend.failed) {
        openai::ApiError failed = openai::internal_error();
        co_await scope.fail(std::move(failed));
        co_return;
    }

    nlohmann::json budgets = nlohmann::json::array();
    for (const auto& s : ledger.budgets->statuses()) {
        if (covers(s.spec.scope, *key)) budgets.push_back(admin::budget_json(s, "budget"));
    }
    for (auto& b : budgets) b.erase("source");
    nlohmann::json body = {
        {"object", "usage"},
        {"key", key->name},
        {"team", key->team.empty() ? nlohmann::json(nullptr) : nlohmann::json(key->team)},
        {"now", admin::format_utc(now)},
        {"spend",
         {{"today", admin::to_usd(spend.today)},
          {"this_month", admin::to_usd(spend.month)},
          {"total", admin::to_usd(spend.total)},
          {"today_nano_usd", spend.today},
          {"this_month_nano_usd", spend.month},
          {"total_nano_usd", spend.total}}},
        {"budgets", std::move(budgets)},
    };
    co_await scope.send_json(http::Status::ok, body.dump());
}

}  // namespace gaterouter::api
