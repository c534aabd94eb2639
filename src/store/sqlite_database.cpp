#include "gaterouter/store/sqlite_database.hpp"

#include <string>

#include "migrations.hpp"
#include "sqlite_connection.hpp"

namespace gaterouter::store {

namespace {

int user_version(SqliteConnection& connection) {
    Statement statement(connection, "PRAGMA user_version");
    statement.step();
    return static_cast<int>(statement.int64_at(0));
}

void migrate(SqliteConnection& connection) {
    const auto migrations = schema_migrations();
    const int latest = static_cast<int>(migrations.size());
    const int found = user_version(connection);
    if (found > latest) {
        throw StoreError("schema version " + std::to_string(found) + " is newer than this build's " +
                         std::to_string(latest));
    }
    // One transaction per migration, with the version it reaches: a crash leaves a whole step done or undone.
    for (int version = found + 1; version <= latest; ++version) {
        Transaction transaction(connection);
        try {
            connection.exec(migrations[static_cast<std::size_t>(version - 1)]);
            connection.exec(("PRAGMA user_version = " + std::to_string(version)).c_str());
        } catch (const StoreError& e) {
            throw StoreError("migration " + std::to_string(version) + " failed: " + e.what());
        }
        transaction.commit();
    }
}

}  // namespace

SqliteDatabase::SqliteDatabase(const SqliteOptions& options)
    : writer_(std::make_unique<SqliteConnection>(options.path, options.busy_timeout_ms)) {
    try {
        writer_->exec("PRAGMA journal_mode = WAL");
        if (journal_mode() != "wal") throw StoreError("cannot turn on WAL mode");
        writer_->exec(options.durability == Durability::full ? "PRAGMA synchronous = FULL"
                                                             : "PRAGMA synchronous = NORMAL");
        migrate(*writer_);
        reader_ = std::make_unique<SqliteConnection>(options.path, options.busy_timeout_ms);
        reader_->exec("PRAGMA query_only = ON");
    } catch (const StoreError& e) {
        throw StoreError(options.path + ": " + e.what());
    }
}

SqliteDatabase::~SqliteDatabase() = default;

int SqliteDatabase::schema_version() const {
    std::lock_guard lock(reader_->mutex());
    return user_version(*reader_);
}

int SqliteDatabase::latest_schema_version() {
    return static_cast<int>(schema_migrations().size());
}

std::string SqliteDatabase::journal_mode() const {
    std::lock_guard lock(writer_->mutex());
    Statement statement(*writer_, "PRAGMA journal_mode");
    statement.step();
    return statement.text_at(0);
}

}  // namespace gaterouter::store
