#pragma once
// The gateway's money side, shared by all workers: the SQLite ledger and its writer thread, the stores of
// keys and budgets, and the budget enforcer. Absent (null in Services) when the config has no ledger.
//
// Blocking calls (the stores, reports) are for the admin listener's own thread and for startup, never for a
// worker's event loop; workers only hand rows to the writer and await its commits.

#include <functional>
#include <memory>
#include <utility>

#include "gaterouter/budget/budget_enforcer.hpp"
#include "gaterouter/budget/wall_clock.hpp"
#include "gaterouter/catalog/catalog.hpp"
#include "gaterouter/config/config.hpp"
#include "gaterouter/http/net.hpp"
#include "gaterouter/store/ledger_writer.hpp"
#include "gaterouter/store/request_journal.hpp"
#include "gaterouter/store/reservation_slots.hpp"
#include "gaterouter/store/sqlite_stores.hpp"

namespace gaterouter::api {

class LedgerPorts;  // each worker's way to the writer and back (src/api/ledger.cpp)

struct Ledger {
    Ledger();
    ~Ledger();
    Ledger(const Ledger&) = delete;
    Ledger& operator=(const Ledger&) = delete;

    std::unique_ptr<store::SqliteDatabase> database;
    std::unique_ptr<store::SqliteLedgerStore> ledger_store;
    std::unique_ptr<store::SqliteKeyStore> key_store;
    std::unique_ptr<store::SqliteBudgetStore> budget_store;
    // With durability normal: where reservations of requests in flight are kept (null: in the ledger, through
    // the writer). Before the writer, as the ports: its callbacks reach both until it has stopped.
    std::unique_ptr<store::ReservationSlots> slots;
    // With durability normal: where requests' rows go first, for the writer to move into the ledger (null:
    // committed through the writer, each request waiting for its own). Before the writer, as the slots.
    std::unique_ptr<store::RequestJournal> journal;
    std::unique_ptr<LedgerPorts> ports;
    std::unique_ptr<store::LedgerWriter> writer;
    std::unique_ptr<budget::BudgetEnforcer> budgets;
};

// Opens the ledger, charges the reservations a crash left behind, writes the config's budgets into the store
// and loads every budget's totals. Throws (store::StoreError, std::invalid_argument) on any failure.
std::unique_ptr<Ledger> open_ledger(const config::Config& config, const budget::WallClock& clock,
                                    std::function<void(const budget::BudgetAlert&)> on_alert);

// Re-reads the budgets from the store into the enforcer (after the admin API changed them).
void reload_budgets(Ledger& ledger);

// Blocks until every request row on record (the journal's too) is in the ledger's tables, so that a report or
// a sum read next sees them. For the admin listener's thread and other blocking readers, never a worker.
void bring_up_to_date(const Ledger& ledger);

// Queues `entry` for the ledger writer and suspends the calling coroutine until it has committed; resumes on
// the coroutine's own executor. The entries a worker queues during one turn of its event loop reach the
// writer together (one hand-over, so one batch and one wake-up), and the commit notices of a batch come back
// to each worker in one post: the cost of a commit is shared by every request in it. Throws
// std::logic_error once the writer has stopped.
awaitable<void> commit_to_ledger(Ledger& ledger, store::LedgerEntry entry);

// Suspends the calling coroutine until `submit(done)` calls done() on any thread (the ledger writer's
// on_committed); resumes on the coroutine's own executor.
awaitable<void> await_callback(std::function<void(std::function<void()> done)> submit);

}  // namespace gaterouter::api
