#include "gaterouter/budget/budget_enforcer.hpp"

#include <algorithm>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "budget_tracker.hpp"

namespace gaterouter::budget {

namespace {

using TrackerPtr = std::shared_ptr<BudgetTracker>;
using Trackers = std::vector<TrackerPtr>;

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

template <typename V>
const V* find(const StringMap<V>& map, std::string_view key) {
    if (map.empty()) return nullptr;  // most scopes have no budget: no hash to compute on every request
    const auto it = map.find(key);
    return it == map.end() ? nullptr : &it->second;
}

std::string_view period_phrase(Period period) {
    switch (period) {
        case Period::day:
            return "per day";
        case Period::month:
            return "per month";
        case Period::total:
            return "in total";
    }
    return "";
}

}  // namespace

// The budgets in force, indexed by what their scope names: finding a request's budgets takes a few hash
// lookups, however many budgets there are.
struct BudgetEnforcer::Snapshot {
    Trackers all;
    Trackers global;
    StringMap<Trackers> by_team;
    StringMap<Trackers> by_key;
    StringMap<Trackers> by_model;
    StringMap<Trackers> by_task;
    StringMap<StringMap<Trackers>> by_key_then_model;

    void add(const TrackerPtr& tracker) {
        all.push_back(tracker);
        const Scope& scope = tracker->spec().scope;
        switch (scope.kind) {
            case ScopeKind::global:
                global.push_back(tracker);
                break;
            case ScopeKind::team:
                by_team[scope.value].push_back(tracker);
                break;
            case ScopeKind::key:
                by_key[scope.value].push_back(tracker);
                break;
            case ScopeKind::model:
                by_model[scope.value].push_back(tracker);
                break;
            case ScopeKind::task:
                by_task[scope.value].push_back(tracker);
                break;
            case ScopeKind::key_model:
                by_key_then_model[scope.value][scope.model].push_back(tracker);
                break;
        }
    }

    void covering(const SpendTags& tags, TrackerList& out) const {
        const auto append = [&out](const Trackers* trackers) {
            if (trackers) out.insert(out.end(), trackers->begin(), trackers->end());
        };
        append(&global);
        append(find(by_team, tags.team));
        append(find(by_key, tags.key));
        append(find(by_model, tags.model));
        append(find(by_task, tags.task));
        if (const auto* models = find(by_key_then_model, tags.key)) append(find(*models, tags.model));
    }
};

Reservation::Reservation(Reservation&& other) noexcept
    : budgets_(std::move(other.budgets_)), amount_(std::exchange(other.amount_, 0)) {
    other.budgets_.clear();
}

Reservation& Reservation::operator=(Reservation&& other) noexcept {
    if (this != &other) {
        release();
        budgets_ = std::move(other.budgets_);
        other.budgets_.clear();
        amount_ = std::exchange(other.amount_, 0);
    }
    return *this;
}

void Reservation::release() {
    if (amount_ != 0) {
        for (const auto& budget : budgets_) {
            std::lock_guard lock(budget->mutex());
            budget->unhold(amount_);
        }
    }
    budgets_.clear();
    amount_ = 0;
}

std::string BudgetRefusal::message() const {
    std::string text = "Budget '" + budget + "' ($" + store::format_usd(limit) + " " +
                       std::string(period_phrase(period)) + ") " +
                       (spent >= limit ? "is exhausted" : "has no room for this request") + ": $" +
                       store::format_usd(spent) + " spent, $" + store::format_usd(held) +
                       " held for requests in flight, and this request may cost up to $" +
                       store::format_usd(requested) + ".";
    if (resets_at_unix_ms) {
        text += " It resets at " + format_local_time(*resets_at_unix_ms, utc_offset_minutes) + ".";
    } else {
        text += " It does not reset.";
    }
    return text;
}

namespace {

// Generations are drawn from one counter for every enforcer, so a thread's cached snapshot can never be
// mistaken for another enforcer's (one destroyed and another made at the same address, in tests).
std::uint64_t next_generation() {
    static std::atomic<std::uint64_t> counter{0};
    return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

}  // namespace

BudgetEnforcer::BudgetEnforcer(const WallClock& clock, std::function<void(const BudgetAlert&)> on_alert)
    : clock_(clock),
      on_alert_(std::move(on_alert)),
      snapshot_(std::make_shared<const Snapshot>()),
      generation_(next_generation()) {}

BudgetEnforcer::~BudgetEnforcer() = default;

const BudgetEnforcer::Snapshot& BudgetEnforcer::snapshot() const {
    struct Cached {
        std::uint64_t generation = 0;
        std::shared_ptr<const Snapshot> snapshot;
    };
    thread_local Cached cached;
    // Acquire: a generation seen is never older than the snapshot load_totals() stored before it.
    const std::uint64_t generation = generation_.load(std::memory_order_acquire);
    if (cached.generation != generation) {
        cached.snapshot = snapshot_.load(std::memory_order_acquire);
        cached.generation = generation;
    }
    return *cached.snapshot;
}

void BudgetEnforcer::load_totals(std::vector<BudgetSpec> budgets, const store::LedgerStore& ledger) {
    const std::shared_ptr<const Snapshot> current = snapshot_.load(std::memory_order_acquire);
    const std::int64_t now = clock_.now_unix_ms();
    auto next = std::make_shared<Snapshot>();
    for (BudgetSpec& spec : budgets) {
        const auto same = std::find_if(current->all.begin(), current->all.end(),
                                       [&spec](const TrackerPtr& t) { return t->spec() == spec; });
        if (same != current->all.end()) {
            next->add(*same);
            continue;
        }
        const TimeWindow window = window_containing(spec.period, spec.utc_offset_minutes, now);
        const NanoUsd spent = ledger.sum_cost(spend_filter(spec.scope, window));
        next->add(std::make_shared<BudgetTracker>(std::move(spec), spent, now));
    }
    snapshot_.store(std::move(next), std::memory_order_release);
    generation_.store(next_generation(), std::memory_order_release);
}

std::variant<Reservation, BudgetRefusal> BudgetEnforcer::reserve(const SpendTags& tags, NanoUsd max_cost) {
    const Snapshot& budgets = snapshot();
    // No budget at all (a ledger kept for its records): nothing to hold, no clock to read.
    if (budgets.all.empty()) return Reservation{};
    const NanoUsd amount = std::max<NanoUsd>(max_cost, 0);
    Reservation reservation;
    budgets.covering(tags, reservation.budgets_);
    // One global lock order (by address) for every request, so two requests never wait on each other in a
    // cycle.
    std::sort(reservation.budgets_.begin(), reservation.budgets_.end());
    const std::int64_t now = clock_.now_unix_ms();
    boost::container::small_vector<std::unique_lock<std::mutex>, 6> locks;
    for (const auto& budget : reservation.budgets_) {
        locks.emplace_back(budget->mutex());
        budget->roll_to(now);
    }
    const auto refusing = std::find_if(reservation.budgets_.begin(), reservation.budgets_.end(),
                                       [amount](const TrackerPtr& budget) { return !budget->fits(amount); });
    // The reservation holds nothing yet (amount 0), so dropping it takes no lock.
    if (refusing != reservation.budgets_.end()) return (*refusing)->refusal(amount);
    for (const auto& budget : reservation.budgets_) budget->hold(amount);
    // Held against no budget, it holds nothing: the caller has no reservation to put on record.
    reservation.amount_ = reservation.budgets_.empty() ? 0 : amount;
    locks.clear();
    return reservation;
}

std::int64_t BudgetEnforcer::settle(Reservation reservation, const SpendTags& actual, NanoUsd cost) {
    const std::int64_t now = clock_.now_unix_ms();
    TrackerList charged;
    snapshot().covering(actual, charged);
    std::vector<BudgetAlert> alerts;
    for (const auto& budget : charged) {
        std::lock_guard lock(budget->mutex());
        budget->roll_to(now);
        budget->charge(cost, alerts);
    }
    // Only now: had the hold gone first, another request could have fitted into room this cost then fills.
    reservation.release();
    for (const BudgetAlert& alert : alerts) {
        if (on_alert_) on_alert_(alert);
    }
    return now;
}

std::vector<BudgetStatus> BudgetEnforcer::statuses() const {
    const std::int64_t now = clock_.now_unix_ms();
    std::vector<BudgetStatus> result;
    for (const auto& budget : snapshot().all) {
        std::lock_guard lock(budget->mutex());
        budget->roll_to(now);
        result.push_back(budget->status());
    }
    return result;
}

}  // namespace gaterouter::budget
