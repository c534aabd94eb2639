#include "gaterouter/store/sqlite_database.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <set>
#include <string>

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

void set_user_version(const std::string& path, int version) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const std::string sql = "PRAGMA user_version = " + std::to_string(version);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
}

}  // namespace

TEST(StoreDatabase, MigratesAnEmptyFileToTheLatestSchema) {
    TempDatabasePath file;
    {
        SqliteDatabase database(file.options());
        EXPECT_EQ(database.schema_version(), SqliteDatabase::latest_schema_version());
        EXPECT_GE(SqliteDatabase::latest_schema_version(), 1);
    }
    const std::set<std::string> expected{"api_keys", "budgets", "journal_mark", "requests", "reservations"};
    EXPECT_EQ(table_names(file.path()), expected);
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
