#pragma once
// One budget's live totals in its current window: what has been spent, what is held for requests in flight,
// and which alert thresholds have been passed. The caller holds mutex() around every other call, so a request
// can take the locks of all its budgets before it checks any of them (budget_enforcer.hpp).

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <vector>

#include "gaterouter/budget/budget_enforcer.hpp"

namespace gaterouter::budget {

class BudgetTracker {
  public:
    // `spent` is the window's total so far (from the ledger); thresholds it has passed count as alerted.
    BudgetTracker(BudgetSpec spec, NanoUsd spent, std::int64_t now_unix_ms);

    const BudgetSpec& spec() const { return spec_; }
    std::mutex& mutex() { return mutex_; }

    // Starts the window that holds `now` if the current one has ended. Never goes back.
    void roll_to(std::int64_t now_unix_ms);
    // False when this is a hard budget and `amount` more would take spent + held over the limit.
    bool fits(NanoUsd amount) const;
    void hold(NanoUsd amount) { reserved_ = store::saturating_add(reserved_, amount); }
    void unhold(NanoUsd amount) { reserved_ = std::max<NanoUsd>(0, reserved_ - amount); }
    // Adds to the window's spend; appends an alert for each threshold passed for the first time.
    void charge(NanoUsd cost, std::vector<BudgetAlert>& alerts);

    BudgetRefusal refusal(NanoUsd requested) const;
    BudgetStatus status() const { return {spec_, window_, spent_, reserved_}; }
    NanoUsd committed() const { return store::saturating_add(spent_, reserved_); }

  private:
    std::uint64_t thresholds_reached() const;

    const BudgetSpec spec_;
    std::vector<NanoUsd> threshold_amounts_;  // alert_thresholds × limit, rounded up
    std::mutex mutex_;
    TimeWindow window_;
    NanoUsd spent_ = 0;
    NanoUsd reserved_ = 0;
    std::uint64_t alerted_ = 0;  // bit i: alert_thresholds[i] already sent in this window
};

}  // namespace gaterouter::budget
