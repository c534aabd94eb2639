#include "gaterouter/store/ledger_writer.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "gaterouter/store/sqlite_stores.hpp"
#include "temp_database.hpp"

using namespace gaterouter::store;

namespace {

// The real SQLite store, with the size of every batch it was given written down.
class BatchRecordingStore final : public LedgerStore {
  public:
    explicit BatchRecordingStore(LedgerStore& inner) : inner_(inner) {}
    void write_batch(std::span<const LedgerEntry> entries) override {
        inner_.write_batch(entries);
        std::lock_guard lock(mutex_);
        sizes_.push_back(entries.size());
    }
    void import_journal(std::span<const RequestRowView> rows, const JournalMark& mark) override {
        inner_.import_journal(rows, mark);
        std::lock_guard lock(mutex_);
        sizes_.push_back(rows.size());
    }
    JournalMark journal_mark() const override { return inner_.journal_mark(); }
    RecoveryResult recover() override { return inner_.recover(); }
    RecoveryResult charge_left_behind(std::span<const ReservationRow> reservations) override {
        return inner_.charge_left_behind(reservations);
    }
    NanoUsd sum_cost(const SpendFilter& filter) const override { return inner_.sum_cost(filter); }
    SpendReport spend_report(const SpendQuery& query) const override { return inner_.spend_report(query); }

    std::vector<std::size_t> sizes() const {
        std::lock_guard lock(mutex_);
        return sizes_;
    }

  private:
    LedgerStore& inner_;
    mutable std::mutex mutex_;
    std::vector<std::size_t> sizes_;
};

// Whether another connection sees the request's row: it has been committed.
bool committed(const std::string& path, const std::string& request_id) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM requests WHERE request_id = ?1", -1, &stmt, nullptr);
    sqlite3_bind_text(stmt, 1, request_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(stmt);
    const bool found = sqlite3_column_int64(stmt, 0) == 1;
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return found;
}

RequestRow request(int i) {
    RequestRow row;
    row.time_unix_ms = 1000 + i;
    row.request_id = "req-" + std::to_string(i);
    row.model = "m";
    row.cost = 10;
    row.status = 200;
    return row;
}

}  // namespace

TEST(StoreLedgerWriter, OnCommittedRunsAfterTheRowIsCommitted) {
    TempDatabasePath file;
    SqliteDatabase database(file.options());
    SqliteLedgerStore ledger(database);
    LedgerWriter writer(ledger);
    std::promise<bool> seen;
    writer.record(request(1), [&] { seen.set_value(committed(file.path(), "req-1")); });
    EXPECT_TRUE(seen.get_future().get());
}

TEST(StoreLedgerWriter, BatchesWhatQueuesWhileACommitRuns) {
    TempDatabasePath file;
    SqliteDatabase database(file.options());
    SqliteLedgerStore sqlite(database);
    BatchRecordingStore ledger(sqlite);
    LedgerWriter writer(ledger, {64, {}, {}});

    // The first callback holds the writer thread until 200 more rows have queued behind it.
    std::promise<void> holding;
    std::promise<void> all_queued;
    std::shared_future<void> released = all_queued.get_future().share();
    writer.record(request(0), [&holding, released] {
        holding.set_value();
        released.wait();
    });
    holding.get_future().wait();
    std::atomic<int> callbacks{0};
    for (int i = 1; i <= 200; ++i) writer.record(request(i), [&] { ++callbacks; });
    all_queued.set_value();
    writer.flush();

    EXPECT_EQ(callbacks.load(), 200);
    EXPECT_EQ(ledger.sum_cost(between(0, 1'000'000)), 201 * 10);
    const std::vector<std::size_t> expected{1, 64, 64, 64, 8};
    EXPECT_EQ(ledger.sizes(), expected);
}

TEST(StoreLedgerWriter, StopWritesWhatIsQueued) {
    TempDatabasePath file;
    SqliteDatabase database(file.options());
    SqliteLedgerStore ledger(database);
    {
        LedgerWriter writer(ledger);
        writer.reserve({1, "in-flight", "", "", "", "", 900}, {});
        for (int i = 0; i < 100; ++i) writer.record(request(i), {});
    }
    EXPECT_EQ(ledger.sum_cost(between(0, 1'000'000)), 1000);
    EXPECT_EQ(ledger.recover().charged, 900);
}

TEST(StoreLedgerWriter, RefusesRowsAfterStop) {
    TempDatabasePath file;
    SqliteDatabase database(file.options());
    SqliteLedgerStore ledger(database);
    LedgerWriter writer(ledger);
    writer.stop();
    EXPECT_THROW(writer.record(request(1), {}), std::logic_error);
}

TEST(StoreLedgerWriter, EnqueuedItemsCommitInOneBatchThenAfterBatchRuns) {
    TempDatabasePath file;
    SqliteDatabase database(file.options());
    SqliteLedgerStore sqlite(database);
    BatchRecordingStore ledger(sqlite);
    std::atomic<int> callbacks{0};
    std::promise<int> after_batch;
    LedgerWriterOptions options;
    options.after_batch = [&] { after_batch.set_value(callbacks.load()); };
    LedgerWriter writer(ledger, options);

    std::vector<LedgerWriter::Item> items;
    items.push_back({ReservationRow{1, "req-0", "", "", "m", "", 900}, [&] { ++callbacks; }});
    for (int i = 0; i < 5; ++i) items.push_back({request(i), [&] { ++callbacks; }});
    writer.enqueue(items);
    EXPECT_TRUE(items.empty());

    EXPECT_EQ(after_batch.get_future().get(), 6);  // after every on_committed of the batch
    const std::vector<std::size_t> expected{6};
    EXPECT_EQ(ledger.sizes(), expected);
    EXPECT_EQ(ledger.sum_cost(between(0, 1'000'000)), 5 * 10);
    EXPECT_EQ(ledger.recover().reservations, 0);  // req-0's row deleted its reservation
}

TEST(StoreLedgerWriter, ARowWithoutReservationRowLeavesOtherReservations) {
    TempDatabasePath file;
    SqliteDatabase database(file.options());
    SqliteLedgerStore ledger(database);
    {
        LedgerWriter writer(ledger);
        writer.reserve({1, "req-1", "", "", "m", "", 900}, {});
        RequestRow row = request(2);
        row.has_reservation_row = false;
        writer.record(std::move(row), {});
    }
    EXPECT_EQ(ledger.sum_cost(between(0, 1'000'000)), 10);
    EXPECT_EQ(ledger.recover().charged, 900);
}
