#pragma once
// The ledger's writer thread. Workers hand it rows through a queue and never wait on the database; it writes
// whatever has queued up in one transaction (group commit: while one batch commits, the next gathers, so
// batches grow with the load without a timer), then runs each row's on_committed callback.
//
// With a request journal a second thread, the importer, moves the journal's rows into the ledger every
// `journal_interval` (or sooner, when a quarter of the journal has filled since the last wake-up), in large
// transactions. No request waits on it, so it runs in the idle scheduling class: it uses only CPU time that
// nothing else wants, and never pushes a worker, or what a worker talks to, off a core (measured on the core
// benchmark: what the ledger adds to p99 fell from 13–23 % to 2–9 %; requests/s did not move). If the host is
// so busy that it starves, the journal fills and new rows take the writer's queue instead (the request then
// waits for its commit, at normal priority); a flush() or stop() imports on the writer thread too. The one
// wait it can impose: a commit of the writer's behind one import transaction it has begun.
//
// The queue has no bound of its own: every entry belongs to a request the gateway has admitted, so the
// requests in flight bound it. A failed batch (disk full, I/O error) is retried with back-off until it
// commits; rows are never dropped while the writer runs. The schema has no constraint a well-formed row can
// break, so a failure is the environment's, not one row's.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gaterouter/store/ledger_store.hpp"
#include "gaterouter/store/request_journal.hpp"

namespace gaterouter::store {

struct LedgerWriterOptions {
    std::size_t max_batch = 1024;  // entries per transaction
    // Told of every failed commit (on the writer thread); the batch is then retried.
    std::function<void(const std::string& error)> on_error;
    // Runs on the writer thread after the on_committed callbacks of every committed batch; must not throw.
    std::function<void()> after_batch;
    // Where workers append request rows without waiting (may be null); must outlive the writer.
    RequestJournal* journal = nullptr;
    // How often the journal's rows are moved into the ledger. Long: a transaction's fixed cost (its pages
    // written twice, the system calls) shared by more rows; 10 ms cost the writer 2.3 µs per row, 200 ms 1.4.
    std::chrono::milliseconds journal_interval{100};
    std::size_t max_journal_batch = 4096;  // rows per transaction
};

class LedgerWriter {
  public:
    // An entry and what to run once it has committed (may be empty; runs on the writer thread, must not
    // throw).
    struct Item {
        LedgerEntry entry;
        std::function<void()> on_committed;
    };

    explicit LedgerWriter(LedgerStore& store, LedgerWriterOptions options = {});
    // Writes what is queued, then stops.
    ~LedgerWriter();
    LedgerWriter(const LedgerWriter&) = delete;
    LedgerWriter& operator=(const LedgerWriter&) = delete;

    // Queues a request's row; on_committed (may be empty) runs on the writer thread once its transaction has
    // committed, and must not throw. The row also deletes the request's reservation.
    void record(RequestRow row, std::function<void()> on_committed);
    // Queues a reservation; on_committed as for record().
    void reserve(ReservationRow row, std::function<void()> on_committed);
    // Queues every item at once (one lock, one wake-up of the writer) and leaves `items` empty; throws
    // std::logic_error, queueing nothing, once stopped.
    void enqueue(std::vector<Item>& items);
    // Appends a request's row to the journal: on record at once, moved into the ledger later. False when
    // there is no journal or it refused the row (too long, or the ring is full): then record() it.
    bool append_to_journal(const RequestRowView& row);
    // Blocks until everything queued (and appended to the journal) before the call has committed.
    void flush();
    // Writes what is queued and joins the thread; if the database keeps failing, gives up after a few
    // retries. Nothing may be queued afterwards.
    void stop();

    std::size_t queued() const;

  private:
    void enqueue(Item item);
    void run();
    void run_importer();
    // Commits a batch taken from the queue and runs its callbacks.
    void write_queued(std::vector<Item>& batch, std::vector<LedgerEntry>& entries,
                      std::vector<std::function<void()>>& callbacks);
    // Runs write() (a store call) until it succeeds: true once it has; false when stopping and the
    // database kept failing.
    template <class Write>
    bool commit(Write&& write, std::size_t rows);
    // Moves what the journal holds into the ledger; when `drain`, waits out rows still being appended. On the
    // importer or the writer thread, one at a time (the journal has one reader).
    void import_journal(bool drain);

    LedgerStore& store_;
    LedgerWriterOptions options_;
    // Every this many journal positions an append wakes the importer: a quarter of the ring.
    const std::uint64_t journal_wake_every_;
    mutable std::mutex mutex_;
    std::condition_variable work_ready_;
    std::condition_variable import_ready_;
    std::condition_variable committed_;
    // A vector swapped whole with the writer's batch, not a deque: a deque allocates a block per item (an
    // item is a few hundred bytes) on the queueing thread and frees it on the writer's, which cost the writer
    // more than SQLite did.
    std::vector<Item> queue_;
    std::uint64_t enqueued_total_ = 0;
    std::uint64_t done_total_ = 0;  // committed, or given up on at stop
    // flush(): the journal position the writer thread is to have imported up to at once
    std::uint64_t journal_wanted_ = 0;
    std::uint64_t journal_done_ = 0;  // the journal position imported up to (or given up on at stop)
    bool import_nudged_ = false;      // a quarter of the journal has filled: the importer should not wait
    std::mutex import_mutex_;         // held through an import
    std::vector<RequestRowView> journal_rows_;  // under import_mutex_: the rows of one import
    bool stopping_ = false;
    std::thread thread_;
    std::thread importer_;
};

}  // namespace gaterouter::store
