// Budgets over the real ledger: totals survive a restart, and a crash with requests in flight charges them.
#include <gtest/gtest.h>

#include <optional>
#include <variant>

#include "../store/temp_database.hpp"
#include "gaterouter/budget/budget_enforcer.hpp"
#include "gaterouter/store/ledger_writer.hpp"
#include "gaterouter/store/sqlite_stores.hpp"
#include "utc_time.hpp"

using namespace gaterouter;
using namespace gaterouter::budget;

namespace {

const SpendTags kFrontend{"frontend", "web", "gpt-4o", "chat"};

std::vector<BudgetSpec> budgets() {
    std::vector<BudgetSpec> specs(2);
    specs[0].id = 1;
    specs[0].name = "web-daily";
    specs[0].scope = {ScopeKind::team, "web", ""};
    specs[0].period = Period::day;
    specs[0].limit = 10'000;
    specs[0].utc_offset_minutes = 60;
    specs[1].id = 2;
    specs[1].name = "pair-monthly";
    specs[1].scope = {ScopeKind::key_model, "frontend", "gpt-4o"};
    specs[1].period = Period::month;
    specs[1].limit = 100'000;
    return specs;
}

store::ReservationRow reservation_row(const std::string& id, std::int64_t time, NanoUsd amount) {
    return {time,
            id,
            std::string(kFrontend.key),
            std::string(kFrontend.team),
            std::string(kFrontend.model),
            std::string(kFrontend.task),
            amount};
}

store::RequestRow request_row(const std::string& id, std::int64_t time, NanoUsd cost) {
    store::RequestRow row;
    row.time_unix_ms = time;
    row.request_id = id;
    row.key_name = kFrontend.key;
    row.team = kFrontend.team;
    row.model = kFrontend.model;
    row.provider = "openai";
    row.task = kFrontend.task;
    row.cost = cost;
    row.status = 200;
    row.attempts = 1;
    return row;
}

// One gateway run: the enforcer and the writer over the ledger file, as the daemon will wire them.
struct GatewayRun {
    explicit GatewayRun(const store::TempDatabasePath& file, const WallClock& clock)
        : database(file.options()), ledger(database), enforcer(clock, {}) {
        recovered = ledger.recover();
        enforcer.load_totals(budgets(), ledger);
        writer.emplace(ledger);
    }

    // A whole request: reserve, persist the reservation, settle, persist the row.
    void serve(const std::string& id, NanoUsd max_cost, NanoUsd cost) {
        auto result = enforcer.reserve(kFrontend, max_cost);
        ASSERT_TRUE(std::holds_alternative<Reservation>(result));
        writer->reserve(reservation_row(id, enforcer.clock().now_unix_ms(), max_cost), {});
        const std::int64_t at = enforcer.settle(std::move(std::get<Reservation>(result)), kFrontend, cost);
        writer->record(request_row(id, at, cost), {});
    }

    NanoUsd spent(std::string_view name) const {
        for (const auto& s : enforcer.statuses()) {
            if (s.spec.name == name) return s.spent;
        }
        return -1;
    }

    store::SqliteDatabase database;
    store::SqliteLedgerStore ledger;
    BudgetEnforcer enforcer;
    store::RecoveryResult recovered;
    std::optional<store::LedgerWriter> writer;
};

}  // namespace

TEST(BudgetPersistence, TotalsReloadAfterARestart) {
    store::TempDatabasePath file;
    ManualWallClock clock(utc_ms(2025, 3, 14, 12));
    {
        GatewayRun run(file, clock);
        run.serve("yesterday", 500, 300);
        clock.set(utc_ms(2025, 3, 15, 9));
        run.serve("today-1", 500, 120);
        run.serve("today-2", 500, 80);
        EXPECT_EQ(run.spent("web-daily"), 200);
        EXPECT_EQ(run.spent("pair-monthly"), 500);
    }
    GatewayRun restarted(file, clock);
    EXPECT_EQ(restarted.recovered.reservations, 0);
    EXPECT_EQ(restarted.spent("web-daily"), 200);
    EXPECT_EQ(restarted.spent("pair-monthly"), 500);
}

TEST(BudgetPersistence, ACrashChargesRequestsInFlightAtTheirReservation) {
    store::TempDatabasePath file;
    ManualWallClock clock(utc_ms(2025, 3, 15, 9));
    {
        GatewayRun run(file, clock);
        run.serve("finished", 500, 100);
        // Two requests reserved and persisted, then the process is killed before they finish.
        for (const char* id : {"cut-1", "cut-2"}) {
            auto result = run.enforcer.reserve(kFrontend, 700);
            ASSERT_TRUE(std::holds_alternative<Reservation>(result));
            run.writer->reserve(reservation_row(id, clock.now_unix_ms(), 700), {});
        }
        run.writer->flush();
        // What a SIGKILL leaves: the reservation rows, with no request row for them.
    }
    clock.set(utc_ms(2025, 3, 15, 10));
    GatewayRun restarted(file, clock);
    EXPECT_EQ(restarted.recovered.reservations, 2);
    EXPECT_EQ(restarted.recovered.charged, 1400);
    EXPECT_EQ(restarted.spent("web-daily"), 1500);
    EXPECT_EQ(restarted.spent("pair-monthly"), 1500);
}
