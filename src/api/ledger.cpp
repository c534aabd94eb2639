#include "gaterouter/api/ledger.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "gaterouter/budget/pricing.hpp"

namespace gaterouter::api {
namespace {

// A coroutine waiting for its ledger entry to commit. Owns the coroutine's completion handler, and work on
// its io_context so that the worker's run() does not return while requests wait for the ledger.
class CommitWaiter {
  public:
    virtual ~CommitWaiter() = default;
    // On the waiting coroutine's worker thread.
    virtual void resume() = 0;
};

template <class Handler, class Work>
class HandlerWaiter final : public CommitWaiter {
  public:
    HandlerWaiter(Handler handler, Work work) : handler_(std::move(handler)), work_(std::move(work)) {}
    void resume() override { std::move(handler_)(); }

  private:
    Handler handler_;
    Work work_;
};

}  // namespace

// One worker's way to the ledger writer and back. On the worker's side, the entries its requests queue are
// handed to the writer by one handler posted to the worker's own io_context at the first entry of a turn of
// its event loop, so everything queued in that turn goes in one batch. On the writer's side, the commit
// notices of a batch are collected and posted back in one handler that resumes every waiting coroutine: one
// cross-thread wake-up each way per batch rather than per request.
class LedgerPort {
  public:
    LedgerPort(net::io_context::executor_type executor, store::LedgerWriter& writer, LedgerPorts& ports)
        : executor_(executor), writer_(writer), ports_(ports), owner_(std::this_thread::get_id()) {}
    // Waiters not handed over belong to an io_context that may be gone by now (the process is ending): they
    // are let go, not destroyed.
    ~LedgerPort() {
        for (auto& waiter : outbox_waiters_) (void)waiter.release();
        for (auto& waiter : notices_) (void)waiter.release();
    }
    LedgerPort(const LedgerPort&) = delete;
    LedgerPort& operator=(const LedgerPort&) = delete;

    // The thread that made the port: the only one that may queue(), as the outbox has no lock. (A worker's
    // io_context is run by its one thread; one run by several threads is not served by a port.)
    std::thread::id owner() const { return owner_; }

    // On the worker thread.
    void queue(store::LedgerEntry entry, std::unique_ptr<CommitWaiter> waiter) {
        CommitWaiter* notice = waiter.get();
        // Two pointers: small enough for std::function to keep without an allocation.
        outbox_.push_back({std::move(entry), [this, notice] { committed(notice); }});
        outbox_waiters_.push_back(std::move(waiter));
        if (outbox_.size() == 1) net::post(executor_, [this] { hand_over(); });
    }

    // On the writer thread, for each entry of a committed batch; deliver() follows after the batch.
    void committed(CommitWaiter* waiter);

    // On the writer thread: one handler to the worker resumes every coroutine whose entry has committed.
    void deliver() {
        net::post(executor_, [notices = std::move(notices_)]() mutable {
            for (auto& waiter : notices) waiter->resume();
        });
        notices_.clear();
    }

  private:
    void hand_over() {
        try {
            writer_.enqueue(outbox_);
            for (auto& waiter : outbox_waiters_) (void)waiter.release();  // the writer's callbacks have them
        } catch (const std::logic_error&) {
            // The writer has stopped (the process is ending): the waiting requests are dropped, as a stopped
            // io_context drops its handlers; a reservation row already written is charged at the next start.
            outbox_.clear();
        }
        outbox_waiters_.clear();
    }

    net::io_context::executor_type executor_;
    store::LedgerWriter& writer_;
    LedgerPorts& ports_;
    const std::thread::id owner_;
    std::vector<store::LedgerWriter::Item> outbox_;              // worker thread only
    std::vector<std::unique_ptr<CommitWaiter>> outbox_waiters_;  // worker thread only
    std::vector<std::unique_ptr<CommitWaiter>> notices_;         // writer thread only
};

class LedgerPorts {
  public:
    // The port of the worker that runs `executor`'s io_context, made at its first use.
    LedgerPort& port_for(const net::io_context::executor_type& executor, store::LedgerWriter& writer) {
        const net::io_context* context = &net::query(executor, net::execution::context);
        // Each worker asks for its own port again and again: a per-thread cache saves the lock. The serial
        // tells this LedgerPorts from an earlier one at the same address.
        thread_local struct {
            std::uint64_t serial = 0;
            const net::io_context* context = nullptr;
            LedgerPort* port = nullptr;
        } cache;
        if (cache.serial == serial_ && cache.context == context) return *cache.port;
        std::lock_guard lock(mutex_);
        auto it =
            std::find_if(ports_.begin(), ports_.end(), [&](const auto& p) { return p.first == context; });
        if (it == ports_.end()) {
            ports_.emplace_back(context, std::make_unique<LedgerPort>(executor, writer, *this));
            it = std::prev(ports_.end());
        }
        cache = {serial_, context, it->second.get()};
        return *it->second;
    }

    // On the writer thread.
    void touched(LedgerPort& port) { touched_.push_back(&port); }
    void after_batch() {
        for (LedgerPort* port : touched_) port->deliver();
        touched_.clear();
    }

  private:
    static std::uint64_t next_serial() {
        static std::atomic<std::uint64_t> serial{0};
        return ++serial;
    }

    const std::uint64_t serial_ = next_serial();
    std::mutex mutex_;
    std::vector<std::pair<const net::io_context*, std::unique_ptr<LedgerPort>>> ports_;
    std::vector<LedgerPort*> touched_;  // writer thread only: ports with notices to deliver
};

void LedgerPort::committed(CommitWaiter* waiter) {
    if (notices_.empty()) ports_.touched(*this);
    notices_.emplace_back(waiter);
}

Ledger::Ledger() = default;
Ledger::~Ledger() = default;

namespace {

// Opens a file kept beside the ledger and runs its recovery. Without the file (another gateway process holds
// it, or it cannot be mapped) the gateway goes on through the writer; a failed recovery stops the start, as
// starting on a ledger that misses spend would be worse.
template <class File, class Recover>
std::unique_ptr<File> open_beside(const std::string& path, const char* what, Recover&& recover) {
    std::unique_ptr<File> file;
    try {
        file = std::make_unique<File>(path);
        recover(*file);
    } catch (const store::StoreError& e) {
        if (file) throw;
        spdlog::warn("ledger: {} go through the ledger writer: {}", what, e.what());
    }
    return file;
}

store::BudgetRecord record_of(const config::BudgetConfig& b) {
    store::BudgetRecord r;
    r.name = b.name;
    r.scope_kind = b.scope_kind;
    r.scope_value = b.scope_value;
    r.scope_model = b.scope_model;
    r.period = b.period;
    r.limit =
        budget::nano_usd_per_mtok(b.limit_usd);  // a price per million tokens converts as USD to nano-USD
    r.hard = b.hard;
    r.alert_thresholds = b.alert_at;
    r.utc_offset_minutes = b.utc_offset_minutes;
    return r;
}

}  // namespace

std::unique_ptr<Ledger> open_ledger(const config::Config& config, const budget::WallClock& clock,
                                    std::function<void(const budget::BudgetAlert&)> on_alert) {
    auto ledger = std::make_unique<Ledger>();
    store::SqliteOptions options;
    options.path = config.ledger.path;
    options.durability =
        config.ledger.durability == "normal" ? store::Durability::normal : store::Durability::full;
    ledger->database = std::make_unique<store::SqliteDatabase>(options);
    ledger->ledger_store = std::make_unique<store::SqliteLedgerStore>(*ledger->database);
    ledger->key_store = std::make_unique<store::SqliteKeyStore>(*ledger->database);
    ledger->budget_store = std::make_unique<store::SqliteBudgetStore>(*ledger->database);

    store::RecoveryResult recovered = ledger->ledger_store->recover();
    // The files beside the ledger are read at every start, whatever the durability now: the last run may have
    // used them. The journal first: its rows are the requests that ended, which the slots' recovery skips.
    std::size_t journal_rows = 0;
    ledger->journal = open_beside<store::RequestJournal>(
        config.ledger.path + "-requests", "request rows", [&](store::RequestJournal& journal) {
            const store::JournalMark imported = ledger->ledger_store->journal_mark();
            store::JournalMark after;
            const std::vector<store::RequestRowView> rows = journal.left_behind(imported, after);
            if (!rows.empty()) ledger->ledger_store->import_journal(rows, after);
            journal_rows = rows.size();
            journal.restart(std::max(imported.epoch, journal.epoch()) + 1);
        });
    // The slots: charged first, emptied after, so a crash in between charges nothing twice (a slot whose
    // request has a row is skipped).
    ledger->slots = open_beside<store::ReservationSlots>(
        config.ledger.path + "-reservations", "reservations", [&](store::ReservationSlots& slots) {
            const store::RecoveryResult from_slots =
                ledger->ledger_store->charge_left_behind(slots.left_behind());
            recovered.reservations += from_slots.reservations;
            recovered.charged += from_slots.charged;
            slots.clear_all();
        });
    // durability: full promises that what is on record survives a power cut: reservations and rows are
    // committed (and synced) by the writer. normal promises survival of a killed process, as the files do.
    if (options.durability == store::Durability::full) {
        ledger->slots.reset();
        ledger->journal.reset();
    }
    if (journal_rows > 0) {
        spdlog::info("ledger: moved {} request row(s) the last run left in the journal into the ledger",
                     journal_rows);
    }
    if (recovered.reservations > 0) {
        spdlog::warn(
            "ledger: charged {} request(s) left in flight by the last run at their reserved maximum "
            "(${} in all)",
            recovered.reservations, store::format_usd(recovered.charged));
    }
    // The config owns the budgets it names; the admin API's live beside them.
    for (const auto& b : config.budgets) ledger->budget_store->put_budget(record_of(b));
    ledger->budgets = std::make_unique<budget::BudgetEnforcer>(clock, std::move(on_alert));
    reload_budgets(*ledger);
    ledger->ports = std::make_unique<LedgerPorts>();
    store::LedgerWriterOptions writer_options;
    writer_options.on_error = [](const std::string& error) {
        spdlog::error("ledger: a write failed and is being retried: {}", error);
    };
    writer_options.after_batch = [ports = ledger->ports.get()] { ports->after_batch(); };
    writer_options.journal = ledger->journal.get();
    ledger->writer = std::make_unique<store::LedgerWriter>(*ledger->ledger_store, std::move(writer_options));
    return ledger;
}

void reload_budgets(Ledger& ledger) {
    bring_up_to_date(ledger);  // the totals are summed from the rows
    std::vector<budget::BudgetSpec> specs;
    for (const auto& record : ledger.budget_store->budgets())
        specs.push_back(budget::budget_from_record(record));
    ledger.budgets->load_totals(std::move(specs), *ledger.ledger_store);
    for (const budget::BudgetStatus& status : ledger.budgets->statuses()) {
        if (status.spent == store::kMaxNanoUsd) {
            spdlog::warn(
                "ledger: budget '{}' sums past the largest amount: a row of the ledger records an impossible "
                "cost; the budget stays exhausted until its window ends",
                status.spec.name);
        }
    }
}

void bring_up_to_date(const Ledger& ledger) {
    if (ledger.writer) ledger.writer->flush();  // none yet at startup, when the journal has been imported
}

awaitable<void> commit_to_ledger(Ledger& ledger, store::LedgerEntry entry) {
    auto executor = co_await net::this_coro::executor;
    const auto* worker = executor.target<net::io_context::executor_type>();
    LedgerPort* port = worker != nullptr ? &ledger.ports->port_for(*worker, *ledger.writer) : nullptr;
    if (port == nullptr || port->owner() != std::this_thread::get_id()) {
        // Not a worker's own io_context: one hand-over and one post for this entry alone.
        co_await await_callback([&ledger, &entry](std::function<void()> done) {
            std::vector<store::LedgerWriter::Item> items;
            items.push_back({std::move(entry), std::move(done)});
            ledger.writer->enqueue(items);
        });
        co_return;
    }
    co_await net::async_initiate<decltype(net::use_awaitable), void()>(
        [port, &entry, worker](auto handler) {
            auto work = net::prefer(*worker, net::execution::outstanding_work.tracked);
            port->queue(std::move(entry), std::make_unique<HandlerWaiter<decltype(handler), decltype(work)>>(
                                              std::move(handler), std::move(work)));
        },
        net::use_awaitable);
}

awaitable<void> await_callback(std::function<void(std::function<void()> done)> submit) {
    auto executor = co_await net::this_coro::executor;
    co_await net::async_initiate<decltype(net::use_awaitable), void()>(
        [&submit, executor](auto handler) {
            // Handlers are move-only and std::function wants copies: the handler waits in a shared slot.
            auto slot = std::make_shared<decltype(handler)>(std::move(handler));
            auto guard =
                std::make_shared<decltype(net::make_work_guard(executor))>(net::make_work_guard(executor));
            submit([slot, guard, executor]() mutable {
                net::post(executor, [slot, guard]() mutable { (*slot)(); });
            });
        },
        net::use_awaitable);
}

}  // namespace gaterouter::api
