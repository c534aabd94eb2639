#pragma once
// Enforces budgets on requests in flight, from several worker threads at once, without overshooting a limit.
//
// Before a request is sent, reserve() holds its maximum possible cost against every budget whose scope covers
// it, and refuses when a hard budget's spent + reserved + this amount would exceed its limit. When it
// finishes, settle() adds the real cost to the budgets covering it and gives the reservation back. Each
// budget has its own small lock, held for a few additions and never across I/O; a reservation takes the locks
// of its budgets in one global order (by address), so it checks and holds all of them at once: two concurrent
// requests can never both fit into the same remaining room, and no other request is refused for a hold that
// is then rolled back.
//
// Spend is counted per calendar window (calendar_window.hpp). A window rolls over on the first use after it
// ended; money reserved before the rollover stays held until settled, and a settled cost counts in the window
// of the settle time, which is why settle() returns that time for the request's ledger row: the totals that
// load_totals() reads back from the ledger after a restart then match the ones counted here.

#include <boost/container/small_vector.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "gaterouter/budget/budget_spec.hpp"
#include "gaterouter/budget/wall_clock.hpp"
#include "gaterouter/store/ledger_store.hpp"

namespace gaterouter::budget {

class BudgetTracker;  // one budget's live totals (src/budget/budget_tracker.hpp)

// The budgets one request falls under: a handful, kept inline (a request allocates nothing for them).
using TrackerList = boost::container::small_vector<std::shared_ptr<BudgetTracker>, 6>;

// Money held for a request in flight. Move-only; given back when destroyed unless settled, so a request that
// ends any other way (refused later, cancelled, an exception) never leaves money held.
class Reservation {
  public:
    Reservation() = default;
    ~Reservation() { release(); }
    Reservation(Reservation&& other) noexcept;
    Reservation& operator=(Reservation&& other) noexcept;
    Reservation(const Reservation&) = delete;
    Reservation& operator=(const Reservation&) = delete;

    // What is held against each budget covering the request; 0 when none covers it.
    NanoUsd amount() const { return amount_; }
    // Gives the held amount back without charging anything; does nothing the second time.
    void release();

  private:
    friend class BudgetEnforcer;
    TrackerList budgets_;
    NanoUsd amount_ = 0;
};

// Why a request was refused: for the client's HTTP 429 with code `budget_exceeded`.
struct BudgetRefusal {
    std::string budget;
    Period period = Period::day;
    NanoUsd limit = 0;
    NanoUsd spent = 0;  // in the current window
    NanoUsd held = 0;   // reserved for requests in flight
    NanoUsd requested = 0;
    std::optional<std::int64_t> resets_at_unix_ms;  // none for a total budget
    int utc_offset_minutes = 0;

    // "Budget 'team-a' ($10.00 per day) has no room for this request: $9.90 spent, $0.09 held for requests
    // in flight, and this request may cost up to $0.05. It resets at 2025-01-02T00:00:00Z." ("is exhausted"
    // once the spend alone reaches the limit.)
    std::string message() const;
};

// A budget's spend reached a threshold for the first time in the window.
struct BudgetAlert {
    std::string budget;
    bool hard = true;
    double threshold = 0;  // fraction of the limit
    NanoUsd spent = 0;
    NanoUsd limit = 0;
    TimeWindow window;
};

struct BudgetStatus {
    BudgetSpec spec;
    TimeWindow window;
    NanoUsd spent = 0;
    NanoUsd reserved = 0;
};

class BudgetEnforcer {
  public:
    // on_alert runs on the thread that settled the request, after every budget lock is released; it must be
    // quick (hand the alert to a queue or a log).
    BudgetEnforcer(const WallClock& clock, std::function<void(const BudgetAlert&)> on_alert);
    ~BudgetEnforcer();
    BudgetEnforcer(const BudgetEnforcer&) = delete;
    BudgetEnforcer& operator=(const BudgetEnforcer&) = delete;

    // Makes `budgets` the enforced set. A budget whose id and spec are unchanged keeps its live totals; any
    // other starts from the ledger's total for its current window, with the alert thresholds already passed
    // counted as sent. Safe while requests are in flight: their reservations hold their budgets' trackers
    // until released. Throws what the store throws.
    void load_totals(std::vector<BudgetSpec> budgets, const store::LedgerStore& ledger);

    // Holds `max_cost` against every budget covering `tags`, or says which hard budget refuses it.
    std::variant<Reservation, BudgetRefusal> reserve(const SpendTags& tags, NanoUsd max_cost);
    // Charges `cost` to the budgets covering `actual` (the model may differ from the one reserved for, after
    // a failover) and releases the reservation. Returns the time charged at, for the request's ledger row.
    std::int64_t settle(Reservation reservation, const SpendTags& actual, NanoUsd cost);

    std::vector<BudgetStatus> statuses() const;
    const WallClock& clock() const { return clock_; }

  private:
    struct Snapshot;

    // The budgets in force, as this thread last saw them: valid until the thread's next call. Checking that
    // they are current is one atomic load; copying the shared pointer on every request took four atomic
    // read-modify-writes.
    const Snapshot& snapshot() const;

    const WallClock& clock_;
    std::function<void(const BudgetAlert&)> on_alert_;
    // Copy-on-write: load_totals() publishes a new snapshot, then a new generation (unique in the process),
    // and requests read the current one without a lock.
    std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
    std::atomic<std::uint64_t> generation_;
};

}  // namespace gaterouter::budget
