#pragma once
// The embedded store: one SQLite file in WAL mode, its schema brought up to date by numbered migrations
// (PRAGMA user_version counts the migrations applied).
//
// Two connections: the writer's, for the ledger writer thread and the rare admin writes, and a reader's for
// sums and reports. WAL lets the reader see the last committed state while the writer goes on, so a long
// report never holds up ledger writes. Each connection has its own lock, held for one statement or
// transaction; no lock is shared with the event loops, which never call in here directly.

#include <memory>
#include <stdexcept>
#include <string>

namespace gaterouter::store {

class StoreError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// synchronous=FULL (the default) syncs the WAL at every commit, so a committed request row survives a power
// cut as well as a crash; the writer commits a whole batch at once, so that is one sync per batch, not per
// request. synchronous=NORMAL syncs only at checkpoints: it still survives a killed process, but a power cut
// can take back the last commits. It is for operators who trade that for latency.
enum class Durability { full, normal };

struct SqliteOptions {
    std::string path;  // a file; created when missing
    Durability durability = Durability::full;
    int busy_timeout_ms = 5000;
};

class SqliteConnection;  // src/store/sqlite_connection.hpp

class SqliteDatabase {
  public:
    // Opens (or creates) the file, turns WAL on and applies the missing migrations. Throws StoreError, also
    // when the file's schema is newer than this build knows.
    explicit SqliteDatabase(const SqliteOptions& options);
    ~SqliteDatabase();
    SqliteDatabase(const SqliteDatabase&) = delete;
    SqliteDatabase& operator=(const SqliteDatabase&) = delete;

    // The number of migrations applied; latest_schema_version() once open.
    int schema_version() const;
    static int latest_schema_version();
    // "wal" once open.
    std::string journal_mode() const;

    SqliteConnection& writer() const { return *writer_; }
    SqliteConnection& reader() const { return *reader_; }

  private:
    std::unique_ptr<SqliteConnection> writer_;
    std::unique_ptr<SqliteConnection> reader_;
};

}  // namespace gaterouter::store
