#include "sqlite_connection.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

#include "gaterouter/store/nano_usd.hpp"

namespace gaterouter::store {

namespace {

// Before the first connection: SQLite's memory statistics take a global mutex on every allocation, which the
// writer thread and the readers would contend on for figures no one reads.
void configure_sqlite_once() {
    static const bool configured = [] {
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        return true;
    }();
    (void)configured;
}

// sat_sum(x): SUM for money and token counts that neither fails ("integer overflow") nor wraps. A ledger row
// with an absurd figure (an upstream's hostile usage, a damaged file) then saturates a total instead of
// stopping the gateway from starting or a report from being read. Negative figures are impossible and
// count as 0; NULLs are skipped.
void saturating_sum_step(sqlite3_context* context, int /*argc*/, sqlite3_value** argv) {
    auto* sum = static_cast<std::int64_t*>(sqlite3_aggregate_context(context, sizeof(std::int64_t)));
    if (sum == nullptr) {
        sqlite3_result_error_nomem(context);
        return;
    }
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
    *sum = saturating_add(*sum, std::max<std::int64_t>(sqlite3_value_int64(argv[0]), 0));
}

void saturating_sum_final(sqlite3_context* context) {
    const auto* sum = static_cast<std::int64_t*>(sqlite3_aggregate_context(context, 0));
    sqlite3_result_int64(context, sum == nullptr ? 0 : *sum);
}

}  // namespace

SqliteConnection::SqliteConnection(const std::string& path, int busy_timeout_ms) {
    configure_sqlite_once();
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const bool opened =
        sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) == SQLITE_OK &&
        sqlite3_create_function_v2(db_, "sat_sum", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, nullptr,
                                   saturating_sum_step, saturating_sum_final, nullptr) == SQLITE_OK;
    if (!opened) {
        const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        throw StoreError("cannot open " + path + ": " + message);
    }
    sqlite3_busy_timeout(db_, busy_timeout_ms);
}

SqliteConnection::~SqliteConnection() {
    sqlite3_close(db_);
}

void SqliteConnection::exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        const std::string message = error ? error : sqlite3_errmsg(db_);
        sqlite3_free(error);
        throw StoreError(message);
    }
}

void SqliteConnection::fail(std::string_view what) const {
    throw StoreError(std::string(what) + ": " + sqlite3_errmsg(db_));
}

Statement::Statement(SqliteConnection& connection, std::string_view sql) : connection_(connection) {
    if (sqlite3_prepare_v3(connection.handle(), sql.data(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
        connection.fail("cannot prepare statement");
    }
}

Statement::~Statement() {
    sqlite3_finalize(stmt_);
}

void Statement::check(int rc, std::string_view what) const {
    if (rc != SQLITE_OK) connection_.fail(what);
}

void Statement::bind(int index, std::int64_t value) {
    check(sqlite3_bind_int64(stmt_, index, value), "cannot bind");
}

void Statement::bind(int index, double value) {
    check(sqlite3_bind_double(stmt_, index, value), "cannot bind");
}

void Statement::bind(int index, std::string_view value) {
    check(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT),
          "cannot bind");
}

void Statement::bind_unowned(int index, std::string_view value) {
    check(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC),
          "cannot bind");
}

void Statement::bind(int index, const std::optional<std::int64_t>& value) {
    if (value) {
        bind(index, *value);
    } else {
        check(sqlite3_bind_null(stmt_, index), "cannot bind");
    }
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) connection_.fail("statement failed");
    return false;
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::int64_at(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

std::string Statement::text_at(int column) const {
    const auto* text = sqlite3_column_text(stmt_, column);
    if (text == nullptr) return {};
    return {reinterpret_cast<const char*>(text),
            static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::optional<std::int64_t> Statement::optional_int64_at(int column) const {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    return int64_at(column);
}

Transaction::Transaction(SqliteConnection& connection) : connection_(connection) {
    connection_.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
    if (!done_) sqlite3_exec(connection_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    connection_.exec("COMMIT");
    done_ = true;
}

}  // namespace gaterouter::store
