#include "gaterouter/budget/budget_enforcer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "../store/temp_database.hpp"
#include "gaterouter/store/sqlite_stores.hpp"
#include "utc_time.hpp"

using namespace gaterouter;
using namespace gaterouter::budget;
using namespace std::chrono_literals;

namespace {

constexpr NanoUsd kUsd = store::kNanoUsdPerUsd;
constexpr int kParis = 60;

BudgetSpec spec(std::int64_t id, std::string name, Scope scope, Period period, NanoUsd limit, bool hard,
                std::vector<double> thresholds = {}, int utc_offset_minutes = 0) {
    BudgetSpec result;
    result.id = id;
    result.name = std::move(name);
    result.scope = std::move(scope);
    result.period = period;
    result.limit = limit;
    result.hard = hard;
    result.alert_thresholds = std::move(thresholds);
    result.utc_offset_minutes = utc_offset_minutes;
    return result;
}

const SpendTags kFrontend{"frontend", "web", "gpt-4o", "chat"};

class BudgetEnforcerTest : public ::testing::Test {
  protected:
    void load(std::vector<BudgetSpec> budgets) { enforcer.load_totals(std::move(budgets), ledger); }

    Reservation reserve(const SpendTags& tags, NanoUsd amount) {
        auto result = enforcer.reserve(tags, amount);
        EXPECT_TRUE(std::holds_alternative<Reservation>(result)) << std::get<BudgetRefusal>(result).message();
        return std::get_if<Reservation>(&result) ? std::move(std::get<Reservation>(result)) : Reservation{};
    }

    BudgetStatus status(std::string_view name) const {
        for (auto& s : enforcer.statuses()) {
            if (s.spec.name == name) return s;
        }
        ADD_FAILURE() << "no budget " << name;
        return {};
    }

    std::vector<double> take_alerts() {
        std::lock_guard lock(alerts_mutex);
        std::vector<double> thresholds;
        for (const auto& alert : alerts) thresholds.push_back(alert.threshold);
        alerts.clear();
        return thresholds;
    }

    ManualWallClock clock{utc_ms(2025, 1, 15, 12)};
    std::mutex alerts_mutex;
    std::vector<BudgetAlert> alerts;
    BudgetEnforcer enforcer{clock, [this](const BudgetAlert& alert) {
                                std::lock_guard lock(alerts_mutex);
                                alerts.push_back(alert);
                            }};
    store::TempDatabasePath file;
    store::SqliteDatabase database{file.options()};
    store::SqliteLedgerStore ledger{database};
};

}  // namespace

TEST_F(BudgetEnforcerTest, ARequestNoBudgetCoversHoldsNothing) {
    load({spec(1, "trial", {ScopeKind::key, "someone-else", ""}, Period::total, 10, true)});
    Reservation held = reserve(kFrontend, 300);
    EXPECT_EQ(held.amount(), 0) << "nothing to put on record for a crash to charge";
    EXPECT_EQ(status("trial").reserved, 0);
    enforcer.settle(std::move(held), kFrontend, 120);
    EXPECT_EQ(status("trial").spent, 0);
}

TEST_F(BudgetEnforcerTest, ReserveSettleReleaseArithmetic) {
    load({spec(1, "all", {}, Period::day, 1000, true)});
    Reservation first = reserve(kFrontend, 300);
    EXPECT_EQ(first.amount(), 300);
    EXPECT_EQ(status("all").reserved, 300);

    enforcer.settle(std::move(first), kFrontend, 120);
    EXPECT_EQ(status("all").spent, 120);
    EXPECT_EQ(status("all").reserved, 0);

    Reservation second = reserve(kFrontend, 500);
    Reservation moved = std::move(second);
    EXPECT_EQ(second.amount(), 0);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    EXPECT_EQ(status("all").reserved, 500);
    moved.release();
    moved.release();
    EXPECT_EQ(status("all").reserved, 0);
    {
        Reservation dropped = reserve(kFrontend, 880);  // exactly the room left
        EXPECT_EQ(status("all").reserved, 880);
    }
    EXPECT_EQ(status("all").reserved, 0);  // given back when dropped unsettled
    EXPECT_EQ(status("all").spent, 120);
}

TEST_F(BudgetEnforcerTest, HardRefusalNamesTheBudgetAndWhenItResets) {
    load({spec(1, "team-web-daily", {ScopeKind::team, "web", ""}, Period::day, 1 * kUsd, true, {}, kParis),
          spec(2, "everything", {}, Period::month, 100 * kUsd, false)});
    enforcer.settle(reserve(kFrontend, kUsd / 2), kFrontend, 900'000'000);

    const auto result = enforcer.reserve(kFrontend, 200'000'000);
    ASSERT_TRUE(std::holds_alternative<BudgetRefusal>(result));
    const BudgetRefusal& refusal = std::get<BudgetRefusal>(result);
    EXPECT_EQ(refusal.budget, "team-web-daily");
    EXPECT_EQ(refusal.resets_at_unix_ms, utc_ms(2025, 1, 15, 23));  // midnight in Paris
    EXPECT_EQ(
        refusal.message(),
        "Budget 'team-web-daily' ($1.00 per day) has no room for this request: $0.90 spent, $0.00 held for "
        "requests in flight, and this request may cost up to $0.20. It resets at 2025-01-16T00:00:00+01:00.");
    // The refused request holds nothing anywhere.
    EXPECT_EQ(status("everything").reserved, 0);
    EXPECT_EQ(status("team-web-daily").reserved, 0);
    // Another team is not under this budget.
    reserve({"batch", "data", "gpt-4o", "chat"}, 5 * kUsd);
}

TEST_F(BudgetEnforcerTest, ATotalBudgetSaysItDoesNotReset) {
    load({spec(1, "trial", {ScopeKind::key, "frontend", ""}, Period::total, 10, true)});
    enforcer.settle(reserve(kFrontend, 10), kFrontend, 10);
    const auto result = enforcer.reserve(kFrontend, 1);
    ASSERT_TRUE(std::holds_alternative<BudgetRefusal>(result));
    EXPECT_FALSE(std::get<BudgetRefusal>(result).resets_at_unix_ms);
    EXPECT_NE(std::get<BudgetRefusal>(result).message().find("$0.00000001 in total) is exhausted"),
              std::string::npos);
    EXPECT_NE(std::get<BudgetRefusal>(result).message().find("It does not reset."), std::string::npos);
}

TEST_F(BudgetEnforcerTest, SoftBudgetNeverRefusesAndAlertsOncePerThresholdPerWindow) {
    load({spec(1, "soft", {ScopeKind::model, "gpt-4o", ""}, Period::day, 1 * kUsd, false, {0.5, 0.8, 1.0})});
    const auto spend = [&](NanoUsd cost) { enforcer.settle(reserve(kFrontend, cost), kFrontend, cost); };
    spend(400'000'000);
    EXPECT_TRUE(take_alerts().empty());
    spend(200'000'000);
    EXPECT_EQ(take_alerts(), std::vector<double>{0.5});
    spend(300'000'000);
    EXPECT_EQ(take_alerts(), std::vector<double>{0.8});
    spend(500'000'000);  // over the limit: a soft budget lets it through
    EXPECT_EQ(take_alerts(), std::vector<double>{1.0});
    spend(10 * kUsd);
    EXPECT_TRUE(take_alerts().empty());
    EXPECT_EQ(status("soft").spent, 11'400'000'000);

    clock.set(utc_ms(2025, 1, 16));  // the next day: a new window, new alerts
    EXPECT_EQ(status("soft").spent, 0);
    spend(2 * kUsd);
    EXPECT_EQ(take_alerts(), (std::vector<double>{0.5, 0.8, 1.0}));
}

TEST_F(BudgetEnforcerTest, DayWindowRollsOverAtLocalMidnight) {
    load({spec(1, "daily", {}, Period::day, 1000, true, {}, kParis)});
    enforcer.settle(reserve(kFrontend, 1000), kFrontend, 1000);
    clock.set(utc_ms(2025, 1, 15, 23) - 1);  // 23:59:59.999 in Paris
    EXPECT_TRUE(std::holds_alternative<BudgetRefusal>(enforcer.reserve(kFrontend, 1)));
    clock.advance(1ms);
    reserve(kFrontend, 1000);
}

TEST_F(BudgetEnforcerTest, MonthWindowRollsOverFromJanuary31ToFebruary1) {
    load({spec(1, "monthly", {}, Period::month, 1000, true, {}, kParis)});
    clock.set(utc_ms(2025, 1, 31, 22, 59, 59));
    enforcer.settle(reserve(kFrontend, 1000), kFrontend, 1000);
    EXPECT_TRUE(std::holds_alternative<BudgetRefusal>(enforcer.reserve(kFrontend, 1)));
    clock.set(utc_ms(2025, 1, 31, 23));  // Feb 1, 00:00 in Paris
    EXPECT_EQ(status("monthly").window.end_unix_ms, utc_ms(2025, 2, 28, 23));
    reserve(kFrontend, 1000);
}

TEST_F(BudgetEnforcerTest, MoneyHeldAcrossARolloverStaysHeldUntilSettled) {
    load({spec(1, "daily", {}, Period::day, 1000, true)});
    Reservation late = reserve(kFrontend, 600);
    clock.set(utc_ms(2025, 1, 16, 0, 1));
    EXPECT_TRUE(std::holds_alternative<BudgetRefusal>(enforcer.reserve(kFrontend, 500)));
    enforcer.settle(std::move(late), kFrontend, 100);  // counted in the new day, where it finished
    EXPECT_EQ(status("daily").spent, 100);
    EXPECT_EQ(status("daily").reserved, 0);
}

TEST_F(BudgetEnforcerTest, EachScopeCoversItsRequests) {
    load({spec(1, "global", {}, Period::day, kUsd, true),
          spec(2, "team", {ScopeKind::team, "web", ""}, Period::day, kUsd, true),
          spec(3, "key", {ScopeKind::key, "frontend", ""}, Period::day, kUsd, true),
          spec(4, "model", {ScopeKind::model, "gpt-4o", ""}, Period::day, kUsd, true),
          spec(5, "task", {ScopeKind::task, "code", ""}, Period::day, kUsd, true),
          spec(6, "pair", {ScopeKind::key_model, "frontend", "gpt-4o"}, Period::day, kUsd, true),
          spec(7, "other-pair", {ScopeKind::key_model, "frontend", "claude"}, Period::day, kUsd, true)});
    Reservation held = reserve(kFrontend, 7);
    for (const auto& s : enforcer.statuses()) {
        const bool covered = s.spec.name != "task" && s.spec.name != "other-pair";
        EXPECT_EQ(s.reserved, covered ? 7 : 0) << s.spec.name;
    }
}

TEST_F(BudgetEnforcerTest, SettleChargesTheModelThatServed) {
    load({spec(1, "gpt", {ScopeKind::model, "gpt-4o", ""}, Period::day, kUsd, true),
          spec(2, "claude", {ScopeKind::model, "claude", ""}, Period::day, kUsd, true)});
    SpendTags served = kFrontend;
    served.model = "claude";  // after a failover
    enforcer.settle(reserve(kFrontend, 500), served, 300);
    EXPECT_EQ(status("gpt").spent, 0);
    EXPECT_EQ(status("gpt").reserved, 0);
    EXPECT_EQ(status("claude").spent, 300);
}

TEST_F(BudgetEnforcerTest, ReloadKeepsLiveTotalsOfUnchangedBudgets) {
    const BudgetSpec daily = spec(1, "daily", {}, Period::day, 1000, true);
    load({daily});
    enforcer.settle(reserve(kFrontend, 400), kFrontend, 400);  // not in the ledger: only live
    Reservation held = reserve(kFrontend, 100);
    load({daily, spec(2, "new", {}, Period::day, 1000, true)});
    EXPECT_EQ(status("daily").spent, 400);
    EXPECT_EQ(status("daily").reserved, 100);
    EXPECT_EQ(status("new").spent, 0);

    BudgetSpec raised = daily;
    raised.limit = 2000;
    load({raised});  // changed: starts again from the ledger, which has nothing
    EXPECT_EQ(status("daily").spent, 0);
    held.release();  // releases the old tracker; nothing breaks
    EXPECT_EQ(enforcer.statuses().size(), 1u);
}

// A thread keeps the budgets it last saw, and must notice at once that others are in force: a budget added
// while a worker is running holds that worker's next request.
TEST_F(BudgetEnforcerTest, AThreadSeesNewBudgetsOnItsNextRequest) {
    std::promise<void> loaded;
    std::promise<NanoUsd> before;
    std::thread worker([&] {
        before.set_value(reserve(kFrontend, 300).amount());
        loaded.get_future().wait();
        Reservation held = reserve(kFrontend, 300);
        EXPECT_EQ(held.amount(), 300);
        EXPECT_EQ(status("all").reserved, 300);
    });
    EXPECT_EQ(before.get_future().get(), 0) << "no budget yet";
    load({spec(1, "all", {}, Period::day, 1000, true)});
    loaded.set_value();
    worker.join();
    EXPECT_EQ(status("all").reserved, 0);
}

// Two enforcers used in turn on one thread (two gateways in one test process) each see only their own
// budgets.
TEST_F(BudgetEnforcerTest, EnforcersOnOneThreadKeepTheirOwnBudgets) {
    BudgetEnforcer other{clock, nullptr};
    other.load_totals({spec(1, "small", {}, Period::total, 100, true)}, ledger);
    for (int round = 0; round < 3; ++round) {
        EXPECT_EQ(reserve(kFrontend, 300).amount(), 0);
        EXPECT_TRUE(std::holds_alternative<BudgetRefusal>(other.reserve(kFrontend, 300)));
    }
}

// 8 threads reserve and settle against one hard budget. Each reservation is checked and held under the
// budget's lock, so spend never passes the limit; and since a refusal means the room left is smaller than the
// request, the budget ends less than one request's maximum short of its limit.
TEST_F(BudgetEnforcerTest, ConcurrentReservationsNeverOvershoot) {
    constexpr NanoUsd kLimit = 1'000'000;
    constexpr NanoUsd kMaxRequest = 1000;
    load({spec(1, "shared", {}, Period::total, kLimit, true)});
    std::atomic<int> refused{0};
    std::atomic<bool> overshot{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            std::mt19937 rng(static_cast<unsigned>(t));
            std::uniform_int_distribution<NanoUsd> amount(1, kMaxRequest);
            for (int i = 0; i < 2000; ++i) {
                const NanoUsd max_cost = amount(rng);
                auto result = enforcer.reserve(kFrontend, max_cost);
                if (auto* reservation = std::get_if<Reservation>(&result)) {
                    enforcer.settle(std::move(*reservation), kFrontend, max_cost);
                } else {
                    ++refused;
                }
                // Not spent + reserved: settle() charges before it releases, so both may count a cost
                // briefly.
                if (enforcer.statuses().front().spent > kLimit) overshot = true;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    const BudgetStatus end = status("shared");
    EXPECT_FALSE(overshot.load());
    EXPECT_LE(end.spent, kLimit);
    EXPECT_GT(end.spent, kLimit - kMaxRequest);
    EXPECT_EQ(end.reserved, 0);
    EXPECT_GT(refused.load(), 0);
}

TEST_F(BudgetEnforcerTest, ConcurrentRequestsCheaperThanReservedNeverOvershoot) {
    constexpr NanoUsd kLimit = 500'000;  // the team's; the gateway's is far above what all threads can spend
    load({spec(1, "shared", {}, Period::total, 40 * kLimit, true),
          spec(2, "team", {ScopeKind::team, "web", ""}, Period::total, kLimit, true)});
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            std::mt19937 rng(static_cast<unsigned>(t));
            std::uniform_int_distribution<NanoUsd> actual(0, 1000);
            const SpendTags tags{"k", t % 2 == 0 ? "web" : "data", "m", "chat"};
            for (int i = 0; i < 2000; ++i) {
                auto result = enforcer.reserve(tags, 1000);
                if (auto* reservation = std::get_if<Reservation>(&result)) {
                    enforcer.settle(std::move(*reservation), tags, actual(rng));
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_LE(status("shared").spent, 40 * kLimit);
    EXPECT_LE(status("team").spent, kLimit);
    // A refusal can come while the other three web threads hold reservations they then settle for less.
    EXPECT_GT(status("team").spent, kLimit - 4 * 1000);
}
