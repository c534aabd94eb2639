#pragma once
// The ledger's writer thread. Workers hand it rows through a queue and never wait on the database; it writes
// whatever has queued up in one transaction (group commit: while one batch commits, the next gathers, so
// batches grow with the load without a timer), then runs each row's on_committed callback.
//
// The queue has no bound of its own: every entry belongs to a request the gateway has admitted, so the
// requests in flight bound it. A failed batch (disk full, I/O error) is retried with back-off until it
// commits; rows are never dropped while the writer runs. The schema has no constraint a well-formed row can
// break, so a failure is the environment's, not one row's.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gaterouter/store/ledger_store.hpp"

namespace gaterouter::store {

struct LedgerWriterOptions {
    std::size_t max_batch = 1024;  // entries per transaction
    // Told of every failed commit (on the writer thread); the batch is then retried.
    std::function<void(const std::string& error)> on_error;
    // Runs on the writer thread after the on_committed callbacks of every committed batch; must not throw.
    std::function<void()> after_batch;
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
    // Blocks until everything queued before the call has committed.
    void flush();
    // Writes what is queued and joins the thread; if the database keeps failing, gives up after a few
    // retries. Nothing may be queued afterwards.
    void stop();

    std::size_t queued() const;

  private:
    void enqueue(Item item);
    void run();
    // True once the batch committed; false when stopping and the database kept failing.
    bool commit(const std::vector<LedgerEntry>& entries);

    LedgerStore& store_;
    LedgerWriterOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable work_ready_;
    std::condition_variable committed_;
    // A vector swapped whole with the writer's batch, not a deque: a deque allocates a block per item (an item
    // is a few hundred bytes) on the queueing thread and frees it on the writer's, which cost the writer more
    // than SQLite did.
    std::vector<Item> queue_;
    std::uint64_t enqueued_total_ = 0;
    std::uint64_t done_total_ = 0;  // committed, or given up on at stop
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace gaterouter::store
