#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gaterouter/store/sqlite_stores.hpp"
#include "sqlite_connection.hpp"

namespace gaterouter::store {

namespace {

constexpr int kRequestColumns = 16;
// Rows per INSERT when the writer imports the request journal: one statement's fixed cost (its step, the
// program's start and end) shared by many rows cut SQLite's cost per row by about a third (2.0–2.2 → 1.35 µs
// measured with 1 against 32).
constexpr int kRowsPerInsert = 32;

// Request ids in time order (migration 3, migrations.cpp): a row's id is at least its time × 2^20.
constexpr std::int64_t kIdsPerMs = std::int64_t{1} << 20;
constexpr std::int64_t kLatestTimeMs = INT64_MAX / kIdsPerMs - 1;  // in the year 2248
constexpr std::int64_t kEarliestTimeMs = INT64_MIN / kIdsPerMs + 1;

// The lowest id a row of this time can have; times beyond what ids can order share the extreme ids.
std::int64_t id_base(std::int64_t time_ms) {
    return std::clamp(time_ms, kEarliestTimeMs, kLatestTimeMs) * kIdsPerMs;
}

// Rows with time in [from, to) have ids in [?N, ?N+1 + lead]: the condition, for parameters N and N+1 bound
// by bind_time_range(). The time comparisons keep it exact; the ids make it a range of the table.
std::string time_range_sql(int first) {
    const std::string lo = "?" + std::to_string(first);
    const std::string hi = "?" + std::to_string(first + 1);
    const std::string from = "?" + std::to_string(first + 2);
    const std::string to = "?" + std::to_string(first + 3);
    return "id >= " + lo + " AND id <= " + hi + " + (SELECT lead FROM request_order) AND time_ms >= " + from +
           " AND time_ms < " + to;
}

void bind_time_range(Statement& s, int first, std::int64_t from_unix_ms, std::int64_t to_unix_ms) {
    s.bind(first, id_base(from_unix_ms));
    s.bind(first + 1, id_base(to_unix_ms));
    s.bind(first + 2, from_unix_ms);
    s.bind(first + 3, to_unix_ms);
}

// An INSERT of `rows` request rows, parameters ?1… in column order, row after row.
std::string insert_requests_sql(int rows) {
    std::string sql =
        "INSERT INTO requests (id, time_ms, request_id, key_name, team, model, provider, task, "
        "prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, cost_nano_usd, status, attempts, "
        "flags) VALUES ";
    for (int r = 0; r < rows; ++r) {
        sql += r == 0 ? "(" : ", (";
        for (int c = 1; c <= kRequestColumns; ++c) {
            sql += (c == 1 ? "?" : ", ?") + std::to_string(r * kRequestColumns + c);
        }
        sql += ")";
    }
    return sql;
}

}  // namespace

struct SqliteLedgerStore::BatchStatements {
    explicit BatchStatements(SqliteConnection& connection)
        : insert_reservation(
              connection,
              "INSERT OR REPLACE INTO reservations (request_id, time_ms, key_name, team, model, "
              "task, amount_nano_usd) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
          insert_request(connection, insert_requests_sql(1)),
          insert_requests(connection, insert_requests_sql(kRowsPerInsert)),
          delete_reservation(connection, "DELETE FROM reservations WHERE request_id = ?1"),
          update_journal_mark(connection, "UPDATE journal_mark SET epoch = ?1, next_position = ?2"),
          select_order(connection, "SELECT (SELECT MAX(id) FROM requests), (SELECT lead FROM request_order)"),
          update_lead(connection, "UPDATE request_order SET lead = ?1"),
          begin(connection, "BEGIN IMMEDIATE"),
          commit(connection, "COMMIT") {}

    // The rows' text is bound without a copy: each row outlives its statement's step, and reset() comes
    // before the next row's bindings.

    void write(const ReservationRow& row) {
        Statement& s = insert_reservation;
        s.bind_unowned(1, row.request_id);
        s.bind(2, row.time_unix_ms);
        s.bind_unowned(3, row.key_name);
        s.bind_unowned(4, row.team);
        s.bind_unowned(5, row.model);
        s.bind_unowned(6, row.task);
        s.bind(7, row.amount);
        s.step();
        s.reset();
    }

    // The id of the next request row of this transaction, with time `time_ms`: see kIdsPerMs. The highest id
    // and the lead are read at the transaction's first row (another process may have written rows since the
    // last), and the lead is written back by end_transaction() when it grew. None when the id is one more
    // than the table's highest: bound as NULL, SQLite picks that same id and appends the row without first
    // searching the table for it (a sixth of an insert's CPU, measured; most rows share a millisecond).
    std::optional<std::int64_t> next_id(std::int64_t time_ms) {
        if (!order) {
            select_order.step();
            const std::int64_t lead = select_order.int64_at(1);
            order = Order{select_order.optional_int64_at(0).value_or(INT64_MIN), lead, lead};
            select_order.reset();
        }
        const std::int64_t base = id_base(time_ms);
        const bool follows = order->last_id != INT64_MIN && base <= order->last_id + 1;
        const std::int64_t id = follows ? order->last_id + 1 : base;
        order->last_id = id;
        order->lead = std::max(order->lead, id - base);
        if (follows) return std::nullopt;
        return id;
    }

    void end_transaction() {
        if (order && order->lead > order->stored_lead) {
            update_lead.bind(1, order->lead);
            update_lead.step();
            update_lead.reset();
        }
        order.reset();
    }

    // Binds a request row's columns to parameters first … first + 15 of `s`.
    template <class Text>
    void bind_request(Statement& s, int first, const BasicRequestRow<Text>& row) {
        s.bind(first, next_id(row.time_unix_ms));
        s.bind(first + 1, row.time_unix_ms);
        s.bind_unowned(first + 2, row.request_id);
        s.bind_unowned(first + 3, row.key_name);
        s.bind_unowned(first + 4, row.team);
        s.bind_unowned(first + 5, row.model);
        s.bind_unowned(first + 6, row.provider);
        s.bind_unowned(first + 7, row.task);
        s.bind(first + 8, row.prompt_tokens);
        s.bind(first + 9, row.completion_tokens);
        s.bind(first + 10, row.cached_tokens);
        s.bind(first + 11, row.reasoning_tokens);
        s.bind(first + 12, row.cost);
        s.bind(first + 13, std::int64_t{row.status});
        s.bind(first + 14, std::int64_t{row.attempts});
        s.bind_unowned(first + 15, row.flags);
    }

    template <class Text>
    void delete_reservation_of(const BasicRequestRow<Text>& row) {
        if (!row.has_reservation_row) return;
        delete_reservation.bind_unowned(1, row.request_id);
        delete_reservation.step();
        delete_reservation.reset();
    }

    template <class Text>
    void write(const BasicRequestRow<Text>& row) {
        bind_request(insert_request, 1, row);
        insert_request.step();
        insert_request.reset();
        delete_reservation_of(row);
    }

    // Many rows, kRowsPerInsert to a statement, in order.
    void write(std::span<const RequestRowView> rows) {
        std::size_t i = 0;
        for (; i + kRowsPerInsert <= rows.size(); i += kRowsPerInsert) {
            const std::span<const RequestRowView> chunk = rows.subspan(i, kRowsPerInsert);
            for (int r = 0; r < kRowsPerInsert; ++r) {
                bind_request(insert_requests, 1 + r * kRequestColumns, chunk[static_cast<std::size_t>(r)]);
            }
            insert_requests.step();
            insert_requests.reset();
            for (const RequestRowView& row : chunk) delete_reservation_of(row);
        }
        for (; i < rows.size(); ++i) write(rows[i]);
    }

    void write(const JournalMark& mark) {
        Statement& s = update_journal_mark;
        s.bind(1, static_cast<std::int64_t>(mark.epoch));
        s.bind(2, static_cast<std::int64_t>(mark.next_position));
        s.step();
        s.reset();
    }

    Statement insert_reservation;
    Statement insert_request;
    Statement insert_requests;  // kRowsPerInsert rows
    Statement delete_reservation;
    Statement update_journal_mark;
    Statement select_order;
    Statement update_lead;
    struct Order {
        std::int64_t last_id;  // INT64_MIN: no row yet
        std::int64_t lead;
        std::int64_t stored_lead;  // as the transaction found it
    };
    std::optional<Order> order;  // within a transaction, once it has written a request row
    // Prepared once: a batch is often a row or two, and parsing BEGIN and COMMIT each time showed.
    Statement begin;
    Statement commit;
};

SqliteLedgerStore::SqliteLedgerStore(const SqliteDatabase& database) : database_(database) {
    std::lock_guard lock(database_.writer().mutex());
    batch_ = std::make_unique<BatchStatements>(database_.writer());
}

SqliteLedgerStore::~SqliteLedgerStore() {
    std::lock_guard lock(database_.writer().mutex());
    batch_.reset();
}

template <class Write>
void SqliteLedgerStore::in_transaction(Write&& write) {
    SqliteConnection& connection = database_.writer();
    std::lock_guard lock(connection.mutex());
    BatchStatements& batch = *batch_;
    try {
        batch.begin.step();
        batch.begin.reset();
        write(batch);
        batch.end_transaction();
        batch.commit.step();
        batch.commit.reset();
    } catch (const StoreError&) {
        // A statement that failed is reset (and its error cleared) before the rollback, so the next batch
        // starts clean; SQLite may have rolled back already, which makes ROLLBACK fail: that is ignored.
        for (Statement* s : {&batch.begin, &batch.insert_reservation, &batch.insert_request,
                             &batch.insert_requests, &batch.delete_reservation, &batch.update_journal_mark,
                             &batch.select_order, &batch.update_lead, &batch.commit}) {
            s->reset();
        }
        batch.order.reset();
        if (sqlite3_get_autocommit(connection.handle()) == 0) {
            sqlite3_exec(connection.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
        }
        throw;
    }
}

void SqliteLedgerStore::write_batch(std::span<const LedgerEntry> entries) {
    in_transaction([entries](BatchStatements& batch) {
        for (const LedgerEntry& entry : entries) {
            std::visit([&batch](const auto& row) { batch.write(row); }, entry);
        }
    });
}

void SqliteLedgerStore::import_journal(std::span<const RequestRowView> rows, const JournalMark& mark) {
    in_transaction([rows, &mark](BatchStatements& batch) {
        batch.write(rows);
        batch.write(mark);
    });
}

JournalMark SqliteLedgerStore::journal_mark() const {
    SqliteConnection& connection = database_.reader();
    std::lock_guard lock(connection.mutex());
    Statement select(connection, "SELECT epoch, next_position FROM journal_mark");
    JournalMark mark;
    if (select.step()) {
        mark.epoch = static_cast<std::uint64_t>(select.int64_at(0));
        mark.next_position = static_cast<std::uint64_t>(select.int64_at(1));
    }
    return mark;
}

namespace {

// The row that charges a reservation left behind by a crash at its maximum.
RequestRow charged_row(const ReservationRow& r) {
    RequestRow row;
    row.time_unix_ms = r.time_unix_ms;
    row.request_id = r.request_id;
    row.key_name = r.key_name;
    row.team = r.team;
    row.model = r.model;
    row.task = r.task;
    row.cost = r.amount;
    row.flags = kChargedReservationFlag;
    return row;
}

}  // namespace

RecoveryResult SqliteLedgerStore::recover() {
    RecoveryResult result;
    in_transaction([this, &result](BatchStatements& batch) {
        SqliteConnection& connection = database_.writer();
        Statement left(connection,
                       "SELECT request_id, time_ms, key_name, team, model, task, amount_nano_usd FROM "
                       "reservations ORDER BY time_ms");
        // Read whole before writing: the rows' writes delete the reservations the SELECT walks.
        std::vector<ReservationRow> reservations;
        while (left.step()) {
            reservations.push_back({left.int64_at(1), left.text_at(0), left.text_at(2), left.text_at(3),
                                    left.text_at(4), left.text_at(5), left.int64_at(6)});
        }
        left.reset();
        for (const ReservationRow& r : reservations) {
            batch.write(charged_row(r));  // deletes the reservation with the row
            ++result.reservations;
            result.charged = saturating_add(result.charged, r.amount);
        }
    });
    return result;
}

RecoveryResult SqliteLedgerStore::charge_left_behind(std::span<const ReservationRow> reservations) {
    RecoveryResult result;
    if (reservations.empty()) return result;
    in_transaction([this, reservations, &result](BatchStatements& batch) {
        // A request's row comes at its settle time, after its reservation; a minute of slack covers a wall
        // clock stepped back in between. The ids' time order keeps the search to the rows since then.
        Statement has_row(database_.writer(), "SELECT 1 FROM requests WHERE request_id = ?1 AND " +
                                                  time_range_sql(2) + " LIMIT 1");
        for (const ReservationRow& r : reservations) {
            has_row.bind(1, std::string_view(r.request_id));
            bind_time_range(has_row, 2, r.time_unix_ms - 60'000, INT64_MAX);
            const bool settled = has_row.step();
            has_row.reset();
            if (settled) continue;
            RequestRow row = charged_row(r);
            row.has_reservation_row = false;
            batch.write(row);
            ++result.reservations;
            result.charged = saturating_add(result.charged, r.amount);
        }
    });
    return result;
}

NanoUsd SqliteLedgerStore::sum_cost(const SpendFilter& filter) const {
    // Optional columns compare only when given (?N IS NULL), so one statement serves every scope.
    SqliteConnection& connection = database_.reader();
    std::lock_guard lock(connection.mutex());
    Statement sum(connection, "SELECT sat_sum(cost_nano_usd) FROM requests WHERE " + time_range_sql(5) +
                                  " AND (?1 IS NULL OR key_name = ?1) AND (?2 IS NULL OR team = ?2) "
                                  "AND (?3 IS NULL OR model = ?3) AND (?4 IS NULL OR task = ?4)");
    bind_time_range(sum, 5, filter.from_unix_ms, filter.to_unix_ms);
    const std::optional<std::string>* columns[] = {&filter.key_name, &filter.team, &filter.model,
                                                   &filter.task};
    int index = 1;
    for (const auto* column : columns) {
        if (*column) sum.bind(index, std::string_view(**column));
        ++index;
    }
    sum.step();
    return sum.int64_at(0);
}

namespace {

std::string group_expression(GroupField field, int day_utc_offset_minutes) {
    switch (field) {
        case GroupField::key:
            return "key_name";
        case GroupField::team:
            return "team";
        case GroupField::model:
            return "model";
        case GroupField::provider:
            return "provider";
        case GroupField::task:
            return "task";
        case GroupField::day:
            // The offset is an int, so writing it into the SQL cannot inject anything.
            return "strftime('%Y-%m-%d', (time_ms + " +
                   std::to_string(std::int64_t{day_utc_offset_minutes} * 60000) + ") / 1000, 'unixepoch')";
    }
    return "''";
}

}  // namespace

SpendReport SqliteLedgerStore::spend_report(const SpendQuery& query) const {
    std::string groups;
    std::string order;
    for (std::size_t i = 0; i < query.group_by.size(); ++i) {
        groups += group_expression(query.group_by[i], query.day_utc_offset_minutes) + ", ";
        order += (i == 0 ? "" : ", ") + std::to_string(i + 1);
    }
    std::string sql = "SELECT " + groups +
                      "COUNT(*), sat_sum(prompt_tokens), sat_sum(completion_tokens), sat_sum(cached_tokens), "
                      "sat_sum(reasoning_tokens), sat_sum(cost_nano_usd) FROM requests WHERE " +
                      time_range_sql(1);
    if (!query.group_by.empty()) sql += " GROUP BY " + order + " ORDER BY " + order;

    SqliteConnection& connection = database_.reader();
    std::lock_guard lock(connection.mutex());
    Statement select(connection, sql);
    bind_time_range(select, 1, query.from_unix_ms, query.to_unix_ms);
    SpendReport report;
    report.group_by = query.group_by;
    const int n = static_cast<int>(query.group_by.size());
    while (select.step()) {
        SpendReportRow row;
        for (int i = 0; i < n; ++i) row.groups.push_back(select.text_at(i));
        row.requests = select.int64_at(n);
        if (row.requests == 0) continue;  // no GROUP BY over no rows still yields one row
        row.prompt_tokens = select.int64_at(n + 1);
        row.completion_tokens = select.int64_at(n + 2);
        row.cached_tokens = select.int64_at(n + 3);
        row.reasoning_tokens = select.int64_at(n + 4);
        row.cost = select.int64_at(n + 5);
        report.rows.push_back(std::move(row));
    }
    return report;
}

}  // namespace gaterouter::store
