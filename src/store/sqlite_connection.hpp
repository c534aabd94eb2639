#pragma once
// Thin RAII over the SQLite C API for the store's implementations: a connection with its lock, prepared
// statements, and transactions that roll back unless committed. Every failure throws StoreError with SQLite's
// message.

#include <sqlite3.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "gaterouter/store/sqlite_database.hpp"

namespace gaterouter::store {

class SqliteConnection {
  public:
    SqliteConnection(const std::string& path, int busy_timeout_ms);
    ~SqliteConnection();
    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;

    sqlite3* handle() const { return db_; }
    // Held for one statement or one transaction.
    std::mutex& mutex() { return mutex_; }
    void exec(const char* sql);
    [[noreturn]] void fail(std::string_view what) const;

  private:
    sqlite3* db_ = nullptr;
    std::mutex mutex_;
};

class Statement {
  public:
    Statement(SqliteConnection& connection, std::string_view sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Parameters are numbered from 1, as in SQLite.
    void bind(int index, std::int64_t value);
    void bind(int index, double value);
    void bind(int index, std::string_view value);
    // Without a copy: `value` must stay alive and unchanged until reset().
    void bind_unowned(int index, std::string_view value);
    void bind(int index, const std::optional<std::int64_t>& value);
    // True while there is a row to read.
    bool step();
    // Ready for new bindings.
    void reset();

    std::int64_t int64_at(int column) const;
    std::string text_at(int column) const;
    std::optional<std::int64_t> optional_int64_at(int column) const;

  private:
    void check(int rc, std::string_view what) const;

    SqliteConnection& connection_;
    sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE: takes the write lock at once, so a transaction never fails half-way on a busy upgrade.
class Transaction {
  public:
    explicit Transaction(SqliteConnection& connection);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit();

  private:
    SqliteConnection& connection_;
    bool done_ = false;
};

}  // namespace gaterouter::store
