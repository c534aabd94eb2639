#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "gaterouter/store/sqlite_stores.hpp"
#include "temp_database.hpp"

using namespace gaterouter::store;

namespace {

ReservationRow reservation(std::string id, std::int64_t time, NanoUsd amount) {
    return {time, std::move(id), "frontend", "web", "gpt-4o-mini", "chat", amount};
}

std::int64_t count(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    std::int64_t n = -1;
    sqlite3_exec(
        db, sql,
        [](void* out, int, char** values, char**) {
            *static_cast<std::int64_t*>(out) = std::stoll(values[0]);
            return 0;
        },
        &n, nullptr);
    sqlite3_close(db);
    return n;
}

}  // namespace

TEST(StoreLedger, RowsAreFoundByTheirTimeAfterTheWallClockSteppedBackAndFromAnotherWriter) {
    TempDatabasePath file;
    SqliteDatabase database(file.options());
    SqliteLedgerStore ledger(database);
    ledger.write_batch(std::vector<LedgerEntry>{sample_request("a", 5000, 1), sample_request("b", 9000, 2)});
    // The wall clock stepped back: this row's id comes after b's, its time before.
    ledger.write_batch(std::vector<LedgerEntry>{sample_request("c", 3000, 4), sample_request("d", 9000, 8)});
    {
        // A second gateway on the same file writes after the last id either has written.
        SqliteDatabase other_database(file.options());
        SqliteLedgerStore other(other_database);
        other.write_batch(std::vector<LedgerEntry>{sample_request("e", 9000, 16)});
    }
    EXPECT_EQ(ledger.sum_cost(between(0, 4000)), 4);
    EXPECT_EQ(ledger.sum_cost(between(4000, 9000)), 1);
    EXPECT_EQ(ledger.sum_cost(between(9000, 9001)), 2 + 8 + 16);
    EXPECT_EQ(ledger.sum_cost(between(0, INT64_MAX)), 31);
    EXPECT_EQ(ledger.sum_cost(between(9001, INT64_MAX)), 0);
    constexpr std::int64_t kMs = 1 << 20;
    EXPECT_EQ(count(file.path(), "SELECT MAX(id) FROM requests"), 9000 * kMs + 3)
        << "b, c, d and e in one ms";
    EXPECT_EQ(count(file.path(), "SELECT id FROM requests WHERE request_id = 'c'"), 9000 * kMs + 1);
    EXPECT_EQ(count(file.path(), "SELECT lead FROM request_order"), 6000 * kMs + 1) << "c's id is 6 s ahead";
    SpendQuery early;
    early.from_unix_ms = 2000;
    early.to_unix_ms = 3001;
    const SpendReport report = ledger.spend_report(early);
    ASSERT_EQ(report.rows.size(), 1u);
    EXPECT_EQ(report.rows[0].cost, 4);
}

TEST(StoreLedger, ARequestRowDeletesItsReservationInTheSameBatch) {
    TempDatabasePath file;
    SqliteDatabase database(file.options());
    SqliteLedgerStore ledger(database);
    const std::vector<LedgerEntry> batch{reservation("a", 1, 500), reservation("b", 2, 700),
                                         sample_request("a", 3, 120)};
    ledger.write_batch(batch);
    EXPECT_EQ(count(file.path(), "SELECT COUNT(*) FROM reservations"), 1);
    EXPECT_EQ(count(file.path(), "SELECT COUNT(*) FROM requests"), 1);
    EXPECT_EQ(count(file.path(), "SELECT amount_nano_usd FROM reservations WHERE request_id = 'b'"), 700);
}

TEST(StoreLedger, RecoveryChargesLeftoverReservationsAtTheirAmount) {
    TempDatabasePath file;
    {
        SqliteDatabase database(file.options());
        SqliteLedgerStore ledger(database);
        const std::vector<LedgerEntry> batch{reservation("done", 1000, 500), reservation("lost-1", 2000, 700),
                                             reservation("lost-2", 3000, 900),
                                             sample_request("done", 4000, 120)};
        ledger.write_batch(batch);
    }  // the process dies here with two requests in flight

    SqliteDatabase database(file.options());
    SqliteLedgerStore ledger(database);
    const RecoveryResult recovered = ledger.recover();
    EXPECT_EQ(recovered.reservations, 2);
    EXPECT_EQ(recovered.charged, 1600);
    EXPECT_EQ(count(file.path(), "SELECT COUNT(*) FROM reservations"), 0);
    EXPECT_EQ(count(file.path(),
                    "SELECT COUNT(*) FROM requests WHERE flags = 'charged_reservation' AND "
                    "status = 0 AND key_name = 'frontend' AND model = 'gpt-4o-mini'"),
              2);
    EXPECT_EQ(count(file.path(), "SELECT time_ms FROM requests WHERE request_id = 'lost-2'"), 3000);
    EXPECT_EQ(ledger.sum_cost(between(0, 10'000)), 120 + 700 + 900);

    const RecoveryResult again = ledger.recover();
    EXPECT_EQ(again.reservations, 0);
    EXPECT_EQ(again.charged, 0);
}

TEST(StoreLedger, SumsCostOverATimeRangeAndScope) {
    TempDatabasePath file;
    SqliteDatabase database(file.options());
    SqliteLedgerStore ledger(database);
    RequestRow other_key = sample_request("c", 150, 1000);
    other_key.key_name = "batch";
    RequestRow other_model = sample_request("d", 160, 10'000);
    other_model.model = "claude";
    const std::vector<LedgerEntry> batch{sample_request("a", 99, 1), sample_request("b", 100, 10), other_key,
                                         other_model, sample_request("e", 200, 100'000)};
    ledger.write_batch(batch);

    EXPECT_EQ(ledger.sum_cost(between(100, 200)), 11'010);
    SpendFilter key = between(100, 200);
    key.key_name = "frontend";
    EXPECT_EQ(ledger.sum_cost(key), 10'010);
    SpendFilter key_model = between(0, 1000);
    key_model.key_name = "frontend";
    key_model.model = "claude";
    EXPECT_EQ(ledger.sum_cost(key_model), 10'000);
    SpendFilter team_task = between(0, 1000);
    team_task.team = "web";
    team_task.task = "chat";
    EXPECT_EQ(ledger.sum_cost(team_task), 111'011);
    SpendFilter nobody = between(0, 1000);
    nobody.team = "nobody";
    EXPECT_EQ(ledger.sum_cost(nobody), 0);
}

TEST(StoreKeys, PutListRevoke) {
    TempDatabasePath file;
    SqliteDatabase database(file.options());
    SqliteKeyStore keys(database);
    ApiKeyRecord key;
    key.name = "frontend";
    key.team = "web";
    key.sha256_hex = std::string(64, 'a');
    key.created_unix_ms = 1000;
    key.expires_unix_ms = 9000;
    key.allowed_models = {"gpt-4o-mini", "claude-3-5-haiku"};
    key.policy = "cheap";
    const std::int64_t id = keys.put_api_key(key);

    key.team = "mobile";
    EXPECT_EQ(keys.put_api_key(key), id);  // same name: replaced in place
    ASSERT_TRUE(keys.revoke_api_key("frontend", 5000));
    EXPECT_FALSE(keys.revoke_api_key("nobody", 5000));

    const auto listed = keys.api_keys();
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].id, id);
    EXPECT_EQ(listed[0].team, "mobile");
    EXPECT_EQ(listed[0].expires_unix_ms, 9000);
    EXPECT_EQ(listed[0].revoked_unix_ms, 5000);
    EXPECT_EQ(listed[0].allowed_models, key.allowed_models);
    EXPECT_EQ(listed[0].policy, "cheap");

    key.name = "other";
    key.sha256_hex = std::string(64, 'b');
    key.allowed_models = {"a,b"};
    EXPECT_THROW(keys.put_api_key(key), StoreError);
}

TEST(StoreKeys, SettingsRoundTripAndClearAgain) {
    TempDatabasePath file;
    SqliteDatabase database(file.options());
    SqliteKeyStore keys(database);
    ApiKeyRecord key;
    key.name = "limited";
    key.sha256_hex = std::string(64, 'c');
    key.settings = {60, 100'000, 2, 30'000, 5'000, 3, 0, 750};
    keys.put_api_key(key);
    EXPECT_EQ(keys.api_keys().at(0).settings, key.settings);

    key.settings = {};
    key.settings.queue_max_depth = 4;
    keys.put_api_key(key);
    EXPECT_EQ(keys.api_keys().at(0).settings, key.settings);
}

// The generation is how a running gateway learns that another process (the CLI) changed a key.
TEST(StoreKeys, EveryKeyChangeFromAnyConnectionMovesTheGeneration) {
    TempDatabasePath file;
    SqliteDatabase gateway(file.options());
    SqliteKeyStore watched(gateway);
    SqliteDatabase cli(file.options());
    SqliteKeyStore other(cli);
    std::int64_t last = watched.key_generation();
    EXPECT_EQ(watched.key_generation(), last) << "reading alone moves nothing";
    const auto moved = [&] {
        const std::int64_t now = watched.key_generation();
        const bool changed = now != last;
        last = now;
        return changed;
    };
    ApiKeyRecord key;
    key.name = "k";
    key.sha256_hex = std::string(64, 'd');
    other.put_api_key(key);
    EXPECT_TRUE(moved()) << "created";
    key.settings.limits_rpm = 5;
    other.put_api_key(key);
    EXPECT_TRUE(moved()) << "changed";
    ASSERT_TRUE(other.revoke_api_key("k", 1000));
    EXPECT_TRUE(moved()) << "revoked";
    SqliteLedgerStore ledger(gateway);
    std::vector<LedgerEntry> rows;
    rows.push_back(sample_request("r1", 1000, 10));
    ledger.write_batch(rows);
    EXPECT_FALSE(moved()) << "a request row is no key change";
}

TEST(StoreBudgets, PutListDelete) {
    TempDatabasePath file;
    SqliteDatabase database(file.options());
    SqliteBudgetStore budgets(database);
    BudgetRecord budget{
        0,     "pair",          "key_model", "frontend", "gpt-4o", "month", 25 * kNanoUsdPerUsd,
        false, {0.5, 0.8, 1.0}, -300};
    budget.id = budgets.put_budget(budget);
    ASSERT_EQ(budgets.budgets().size(), 1u);
    EXPECT_EQ(budgets.budgets()[0].alert_thresholds, budget.alert_thresholds);
    EXPECT_EQ(budgets.budgets()[0].utc_offset_minutes, -300);
    EXPECT_EQ(budgets.budgets()[0].scope_model, "gpt-4o");
    EXPECT_FALSE(budgets.budgets()[0].hard);

    budget.scope_kind = "galaxy";
    EXPECT_THROW(budgets.put_budget(budget), StoreError);  // the schema's CHECK
    EXPECT_TRUE(budgets.delete_budget("pair"));
    EXPECT_FALSE(budgets.delete_budget("pair"));
    EXPECT_TRUE(budgets.budgets().empty());
}

TEST(StoreMoney, FormatsExactDollars) {
    EXPECT_EQ(format_usd(0), "0.00");
    EXPECT_EQ(format_usd(1'500'000'000), "1.50");
    EXPECT_EQ(format_usd(150), "0.00000015");
    EXPECT_EQ(format_usd(1), "0.000000001");
    EXPECT_EQ(format_usd(-2'500'000'000), "-2.50");
    EXPECT_EQ(format_usd(12'345'678'901'234), "12345.678901234");
}
