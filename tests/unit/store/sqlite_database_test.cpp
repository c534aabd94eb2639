#include "gaterouter/store/sqlite_database.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "gaterouter/store/sqlite_stores.hpp"
#include "temp_database.hpp"

using namespace gaterouter::store;

namespace {

// Reads the file with a connection of its own, as another process would.
std::set<std::string> table_names(const std::string& path) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    std::set<std::string> names;
    sqlite3_exec(
        db, "SELECT name FROM sqlite_master WHERE type = 'table'",
        [](void* out, int, char** values, char**) {
            static_cast<std::set<std::string>*>(out)->insert(values[0]);
            return 0;
        },
        &names, nullptr);
    sqlite3_close(db);
    return names;
}

// The first column of every row `sql` yields, as text.
std::vector<std::string> texts(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    std::vector<std::string> out;
    EXPECT_EQ(
        sqlite3_exec(
            db, sql,
            [](void* rows, int, char** values, char**) {
                static_cast<std::vector<std::string>*>(rows)->emplace_back(values[0] ? values[0] : "NULL");
                return 0;
            },
            &out, nullptr),
        SQLITE_OK);
    sqlite3_close(db);
    return out;
}

void exec_all(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
}

void set_user_version(const std::string& path, int version) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const std::string sql = "PRAGMA user_version = " + std::to_string(version);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
}

// Takes a fresh ledger back to schema 3, as a gateway before key settings left it: api_keys without their
// limits, timeouts and queue columns, and no key generation.
void back_to_schema_3(const std::string& path) {
    exec_all(path, R"sql(
        DROP TRIGGER api_key_inserted;
        DROP TRIGGER api_key_updated;
        DROP TRIGGER api_key_deleted;
        DROP TABLE key_changes;
        ALTER TABLE api_keys DROP COLUMN limits_rpm;
        ALTER TABLE api_keys DROP COLUMN limits_tpm;
        ALTER TABLE api_keys DROP COLUMN limits_max_in_flight;
        ALTER TABLE api_keys DROP COLUMN timeouts_total_ms;
        ALTER TABLE api_keys DROP COLUMN timeouts_first_token_ms;
        ALTER TABLE api_keys DROP COLUMN queue_share;
        ALTER TABLE api_keys DROP COLUMN queue_max_depth;
        ALTER TABLE api_keys DROP COLUMN queue_max_wait_ms;
        PRAGMA user_version = 3;
    )sql");
}

}  // namespace

TEST(StoreDatabase, MigratesAnEmptyFileToTheLatestSchema) {
    TempDatabasePath file;
    {
        SqliteDatabase database(file.options());
        EXPECT_EQ(database.schema_version(), SqliteDatabase::latest_schema_version());
        EXPECT_GE(SqliteDatabase::latest_schema_version(), 1);
    }
    const std::set<std::string> expected{"api_keys", "budgets",      "journal_mark", "key_changes",
                                         "requests", "reservations", "request_order"};
    EXPECT_EQ(table_names(file.path()), expected);
}

TEST(StoreDatabase, MigratingALedgerOfSchema2PutsItsRequestRowsInTimeOrder) {
    TempDatabasePath file;
    { SqliteDatabase database(file.options()); }
    back_to_schema_3(file.path());
    // The requests table as schema 2 had it (ids in insertion order, an index on time), with rows written
    // out of time order.
    exec_all(file.path(), R"sql(
        DROP TABLE request_order;
        DROP TABLE requests;
        CREATE TABLE requests (
            id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, request_id TEXT NOT NULL, key_name TEXT NOT NULL,
            team TEXT NOT NULL, model TEXT NOT NULL, provider TEXT NOT NULL, task TEXT NOT NULL,
            prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL,
            reasoning_tokens INTEGER NOT NULL, cost_nano_usd INTEGER NOT NULL, status INTEGER NOT NULL,
            attempts INTEGER NOT NULL, flags TEXT NOT NULL);
        CREATE INDEX requests_by_time ON requests (time_ms);
        INSERT INTO requests (time_ms, request_id, key_name, team, model, provider, task, prompt_tokens,
            completion_tokens, cached_tokens, reasoning_tokens, cost_nano_usd, status, attempts, flags)
        VALUES (9000, 'late', 'k', '', 'm', 'p', 'chat', 1, 2, 0, 0, 100, 200, 1, ''),
               (3000, 'early', 'k', '', 'm', 'p', 'chat', 1, 2, 0, 0, 20, 200, 1, ''),
               (9000, 'late-2', 'k', '', 'm', 'p', 'chat', 1, 2, 0, 0, 3, 200, 1, '');
        PRAGMA user_version = 2;
    )sql");
    SqliteDatabase database(file.options());
    EXPECT_EQ(database.schema_version(), SqliteDatabase::latest_schema_version());
    EXPECT_EQ(
        texts(file.path(), "SELECT request_id || ':' || (id - time_ms * 1048576) FROM requests ORDER BY id"),
        (std::vector<std::string>{"early:0", "late:0", "late-2:1"}));
    EXPECT_EQ(texts(file.path(), "SELECT lead FROM request_order"), std::vector<std::string>{"1"});
    EXPECT_TRUE(
        texts(file.path(), "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests'")
            .empty());
    SqliteLedgerStore ledger(database);
    EXPECT_EQ(ledger.sum_cost(between(0, 5000)), 20);
    EXPECT_EQ(ledger.sum_cost(between(5000, 10000)), 103);
}

TEST(StoreDatabase, ALedgerOfSchema3KeepsItsKeysWhichTakeSettingsFromThenOn) {
    TempDatabasePath file;
    { SqliteDatabase database(file.options()); }
    back_to_schema_3(file.path());
    exec_all(file.path(), R"sql(
        INSERT INTO api_keys (name, team, sha256, created_ms, expires_ms, revoked_ms, allowed_models, policy)
        VALUES ('old', 'web', 'hash-of-old', 1000, NULL, NULL, 'm-fast', 'cost');
    )sql");
    SqliteDatabase database(file.options());
    EXPECT_EQ(database.schema_version(), SqliteDatabase::latest_schema_version());
    SqliteKeyStore keys(database);
    std::vector<ApiKeyRecord> listed = keys.api_keys();
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].team, "web");
    EXPECT_EQ(listed[0].allowed_models, std::vector<std::string>{"m-fast"});
    EXPECT_EQ(listed[0].settings, KeySettingsRecord{});  // none set: no limits, as before
    const std::int64_t generation = keys.key_generation();
    listed[0].settings.limits_rpm = 60;
    keys.put_api_key(listed[0]);
    EXPECT_EQ(keys.api_keys()[0].settings.limits_rpm, 60);
    EXPECT_NE(keys.key_generation(), generation);
}

TEST(StoreDatabase, ReopensWithoutMigratingAgainAndKeepsData) {
    TempDatabasePath file;
    {
        SqliteDatabase database(file.options());
        SqliteBudgetStore budgets(database);
        budgets.put_budget({0, "all", "global", "", "", "day", 5, true, {}, 0});
    }
    SqliteDatabase database(file.options());
    EXPECT_EQ(database.schema_version(), SqliteDatabase::latest_schema_version());
    ASSERT_EQ(SqliteBudgetStore(database).budgets().size(), 1u);
}

TEST(StoreDatabase, RefusesASchemaNewerThanItKnows) {
    TempDatabasePath file;
    { SqliteDatabase database(file.options()); }
    set_user_version(file.path(), SqliteDatabase::latest_schema_version() + 1);
    EXPECT_THROW(SqliteDatabase(file.options()), StoreError);
}

TEST(StoreDatabase, RunsInWalMode) {
    TempDatabasePath file;
    SqliteDatabase database(file.options(Durability::normal));
    EXPECT_EQ(database.journal_mode(), "wal");
    SqliteLedgerStore ledger(database);
    RequestRow row;
    row.request_id = "r1";
    const LedgerEntry entry = row;
    ledger.write_batch({&entry, 1});
    EXPECT_TRUE(std::filesystem::exists(file.path() + "-wal"));
}

TEST(StoreDatabase, OpenFailureNamesTheFile) {
    try {
        SqliteOptions options;
        options.path = "/nonexistent-dir/ledger.db";
        SqliteDatabase database(options);
        FAIL() << "opened";
    } catch (const StoreError& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/ledger.db"), std::string::npos) << e.what();
    }
}
