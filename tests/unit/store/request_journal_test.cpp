#include "gaterouter/store/request_journal.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gaterouter/store/ledger_writer.hpp"
#include "gaterouter/store/sqlite_stores.hpp"
#include "temp_database.hpp"

using namespace gaterouter::store;

namespace {

// A row with every field set, the optional ones too.
RequestRow row(const std::string& id) {
    RequestRow r = sample_request(id, 1'700'000'000'000, 266'000);
    r.cached_tokens = 12;
    r.reasoning_tokens = 7;
    r.attempts = 2;
    r.flags = "f";
    r.has_reservation_row = false;
    return r;
}

std::string journal_path(const TempDatabasePath& file) {
    return file.path() + "-requests";
}

// The journal takes a view of a row: its text is copied into the record.
bool append(RequestJournal& journal, const RequestRow& r) {
    return journal.append(r.as<std::string_view>()).has_value();
}

std::vector<std::string> ids(const std::vector<RequestRowView>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.emplace_back(r.request_id);
    return out;
}

}  // namespace

TEST(StoreRequestJournal, TakesRowsInOrderWithEveryFieldAndRefusesWhenFull) {
    TempDatabasePath file;
    RequestJournal journal(journal_path(file), 3);
    journal.restart(1);
    ASSERT_TRUE(append(journal, row("a")));
    ASSERT_TRUE(append(journal, row("b")));
    ASSERT_TRUE(append(journal, row("c")));
    EXPECT_FALSE(append(journal, row("d"))) << "three records, none released: full";
    EXPECT_EQ(journal.pending(), 3u);

    std::vector<RequestRowView> taken;
    EXPECT_EQ(journal.take(taken, 2), 2u);
    EXPECT_EQ(ids(taken), (std::vector<std::string>{"a", "b"}));
    const RequestRowView& a = taken[0];
    const RequestRow expected = row("a");
    EXPECT_EQ(a.time_unix_ms, expected.time_unix_ms);
    EXPECT_EQ(a.key_name, "frontend");
    EXPECT_EQ(a.team, "web");
    EXPECT_EQ(a.model, "gpt-4o-mini");
    EXPECT_EQ(a.provider, "openai");
    EXPECT_EQ(a.task, "chat");
    EXPECT_EQ(a.flags, "f");
    EXPECT_EQ(a.prompt_tokens, 10);
    EXPECT_EQ(a.completion_tokens, 20);
    EXPECT_EQ(a.cached_tokens, 12);
    EXPECT_EQ(a.reasoning_tokens, 7);
    EXPECT_EQ(a.cost, 266'000);
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.attempts, 2);
    EXPECT_FALSE(a.has_reservation_row);
    EXPECT_EQ(journal.taken_mark().next_position, 2u);
    EXPECT_EQ(journal.taken_mark().epoch, 1u);

    EXPECT_FALSE(append(journal, row("d"))) << "taken is not released: still full";
    journal.release(2);
    EXPECT_EQ(journal.pending(), 1u);
    ASSERT_TRUE(append(journal, row("d")));  // the second lap of the ring
    ASSERT_TRUE(append(journal, row("e")));
    EXPECT_FALSE(append(journal, row("f")));
    taken.clear();
    EXPECT_EQ(journal.take(taken, 10), 3u);
    EXPECT_EQ(ids(taken), (std::vector<std::string>{"c", "d", "e"}));
    journal.release(3);
    EXPECT_EQ(journal.pending(), 0u);
    EXPECT_EQ(journal.released(), 5u);
}

TEST(StoreRequestJournal, RefusesARowTooLongForARecord) {
    TempDatabasePath file;
    RequestJournal journal(journal_path(file), 4);
    journal.restart(1);
    EXPECT_FALSE(append(journal, row(std::string(200, 'x'))));
    EXPECT_EQ(journal.head(), 0u);
}

TEST(StoreRequestJournal, RecoveryReturnsExactlyTheRowsTheLedgerHasNot) {
    TempDatabasePath file;
    {
        RequestJournal journal(journal_path(file), 8);
        journal.restart(5);
        for (const char* id : {"a", "b", "c", "d"}) ASSERT_TRUE(append(journal, row(id)));
        std::vector<RequestRowView> taken;
        journal.take(taken, 2);
        journal.release(2);  // a and b were imported and let go; c and d were not
    }                        // the process ends
    RequestJournal journal(journal_path(file), 8);
    EXPECT_EQ(journal.epoch(), 5u);
    JournalMark after;
    // The ledger's mark says a and b are in (position 2 of this epoch).
    EXPECT_EQ(ids(journal.left_behind({5, 2}, after)), (std::vector<std::string>{"c", "d"}));
    EXPECT_EQ(after.epoch, 5u);
    EXPECT_EQ(after.next_position, 4u);
    // A crash between the import's commit and release(): the mark covers c too, and only d comes back.
    EXPECT_EQ(ids(journal.left_behind({5, 3}, after)), (std::vector<std::string>{"d"}));
    // A mark of another epoch covers nothing of this file.
    EXPECT_EQ(ids(journal.left_behind({4, 100}, after)), (std::vector<std::string>{"c", "d"}));
    EXPECT_TRUE(journal.left_behind({5, 4}, after).empty());
    EXPECT_EQ(after.next_position, 4u);

    journal.restart(6);
    EXPECT_EQ(journal.epoch(), 6u);
    EXPECT_TRUE(journal.left_behind({0, 0}, after).empty());
    EXPECT_EQ(journal.head(), 0u);
}

TEST(StoreRequestJournal, RowsAppendedByManyThreadsEachArriveOnce) {
    TempDatabasePath file;
    RequestJournal journal(journal_path(file), 64);  // small: the ring wraps and fills many times
    journal.restart(1);
    constexpr int kThreads = 4;
    constexpr int kRows = 5000;
    std::atomic<int> refused_full{0};
    std::vector<std::thread> producers;
    for (int t = 0; t < kThreads; ++t) {
        producers.emplace_back([&, t] {
            for (int i = 0; i < kRows; ++i) {
                const RequestRow r = row(std::to_string(t) + "-" + std::to_string(i));
                while (!append(journal, r)) {
                    ++refused_full;
                    std::this_thread::yield();
                }
            }
        });
    }
    std::multiset<std::string> seen;
    std::vector<RequestRowView> taken;
    while (seen.size() < static_cast<std::size_t>(kThreads * kRows)) {
        taken.clear();
        const std::size_t n = journal.take(taken, 100);
        for (const auto& r : taken) seen.emplace(r.request_id);
        journal.release(n);
        if (n == 0) std::this_thread::yield();
    }
    for (auto& p : producers) p.join();
    std::set<std::string> distinct(seen.begin(), seen.end());
    EXPECT_EQ(distinct.size(), seen.size()) << "a row arrived twice";
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kRows));
    EXPECT_EQ(journal.pending(), 0u);
    EXPECT_GT(refused_full.load(), 0) << "the ring never filled: the test did not test wrapping";
}

TEST(StoreRequestJournal, TheLedgerCommitsRowsWithTheirMarkAndTheWriterMovesAppendedRows) {
    TempDatabasePath file;
    SqliteDatabase database(file.options(Durability::normal));
    SqliteLedgerStore ledger(database);
    EXPECT_EQ(ledger.journal_mark().epoch, 0u);
    RequestJournal journal(journal_path(file), 128);
    journal.restart(3);
    {
        LedgerWriterOptions options;
        options.journal = &journal;
        options.journal_interval = std::chrono::milliseconds(5000);  // flush() must not wait for the timer
        LedgerWriter writer(ledger, options);
        for (int i = 0; i < 100; ++i) {
            ASSERT_TRUE(writer.append_to_journal(row("w" + std::to_string(i)).as<std::string_view>()));
        }
        writer.flush();
        EXPECT_EQ(journal.pending(), 0u);
        SpendFilter all;
        all.to_unix_ms = INT64_MAX;
        EXPECT_EQ(ledger.sum_cost(all), 100 * 266'000);
        EXPECT_EQ(ledger.journal_mark().epoch, 3u);
        EXPECT_EQ(ledger.journal_mark().next_position, 100u);
        for (int i = 100; i < 110; ++i) ASSERT_TRUE(append(journal, row("w" + std::to_string(i))));
    }  // stopping moves what is left
    SpendFilter all;
    all.to_unix_ms = INT64_MAX;
    EXPECT_EQ(ledger.sum_cost(all), 110 * 266'000);
    EXPECT_EQ(ledger.journal_mark().next_position, 110u);
    JournalMark after;
    EXPECT_TRUE(journal.left_behind(ledger.journal_mark(), after).empty());
}

TEST(StoreRequestJournal, AQuarterOfTheRingFilledWakesTheWriterBeforeItsInterval) {
    TempDatabasePath file;
    SqliteDatabase database(file.options(Durability::normal));
    SqliteLedgerStore ledger(database);
    RequestJournal journal(journal_path(file), 16);
    journal.restart(1);
    LedgerWriterOptions options;
    options.journal = &journal;
    options.journal_interval = std::chrono::hours(1);
    LedgerWriter writer(ledger, options);
    // A hundred rows through a ring of sixteen: only wake-ups on the way make room.
    for (int i = 0; i < 100; ++i) {
        const RequestRow r = row("q" + std::to_string(i));
        int refused = 0;
        while (!writer.append_to_journal(r.as<std::string_view>())) {
            ASSERT_LT(++refused, 10'000) << "row " << i << ": the ring stayed full, the writer asleep";
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    writer.flush();
    SpendFilter all;
    all.to_unix_ms = INT64_MAX;
    EXPECT_EQ(ledger.sum_cost(all), 100 * 266'000);
}

TEST(StoreRequestJournal, AnImportOfManyRowsWritesEachOnceAndDeletesTheirReservationRows) {
    TempDatabasePath file;
    SqliteDatabase database(file.options(Durability::normal));
    SqliteLedgerStore ledger(database);
    std::vector<LedgerEntry> reservations;
    std::vector<RequestRow> rows;
    for (int i = 0; i < 70; ++i) {  // two full statements of 32 rows and 6 more
        RequestRow r = row("m" + std::to_string(i));
        r.cost = i;
        r.has_reservation_row = i % 3 == 0;
        if (r.has_reservation_row) {
            reservations.emplace_back(ReservationRow{r.time_unix_ms, r.request_id, "k", "t", "m", "chat", 9});
        }
        rows.push_back(std::move(r));
    }
    ledger.write_batch(reservations);
    std::vector<RequestRowView> views;
    for (const RequestRow& r : rows) views.push_back(r.as<std::string_view>());
    ledger.import_journal(views, {7, 70});
    SpendFilter all;
    all.to_unix_ms = INT64_MAX;
    EXPECT_EQ(ledger.sum_cost(all), 69 * 70 / 2) << "every row once, each with its own cost";
    SpendQuery query;
    query.to_unix_ms = INT64_MAX;
    const SpendReport report = ledger.spend_report(query);
    ASSERT_EQ(report.rows.size(), 1u);
    EXPECT_EQ(report.rows[0].requests, 70);
    EXPECT_EQ(report.rows[0].cached_tokens, 70 * 12);
    EXPECT_EQ(ledger.journal_mark().epoch, 7u);
    EXPECT_EQ(ledger.journal_mark().next_position, 70u);
    // No reservation is left: a recovery now charges nothing.
    EXPECT_EQ(ledger.recover().reservations, 0);
}
