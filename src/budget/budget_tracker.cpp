#include "budget_tracker.hpp"

#include <cmath>
#include <limits>
#include <utility>

namespace gaterouter::budget {

BudgetTracker::BudgetTracker(BudgetSpec spec, NanoUsd spent, std::int64_t now_unix_ms)
    : spec_(std::move(spec)),
      window_(window_containing(spec_.period, spec_.utc_offset_minutes, now_unix_ms)),
      spent_(spent) {
    for (const double threshold : spec_.alert_thresholds) {
        const double amount = std::ceil(threshold * static_cast<double>(spec_.limit));
        threshold_amounts_.push_back(amount >= 9.2e18 ? std::numeric_limits<NanoUsd>::max()
                                                      : static_cast<NanoUsd>(amount));
    }
    // Alerts sent before a restart are not recorded; sending them again would repeat them.
    alerted_ = thresholds_reached();
}

void BudgetTracker::roll_to(std::int64_t now_unix_ms) {
    if (now_unix_ms < window_.end_unix_ms) return;
    window_ = window_containing(spec_.period, spec_.utc_offset_minutes, now_unix_ms);
    spent_ = 0;
    alerted_ = 0;
}

bool BudgetTracker::fits(NanoUsd amount) const {
    if (!spec_.hard) return true;
    const NanoUsd committed = this->committed();
    return committed <= spec_.limit && amount <= spec_.limit - committed;
}

std::uint64_t BudgetTracker::thresholds_reached() const {
    std::uint64_t reached = 0;
    for (std::size_t i = 0; i < threshold_amounts_.size(); ++i) {
        if (spent_ > 0 && spent_ >= threshold_amounts_[i]) reached |= std::uint64_t{1} << i;
    }
    return reached;
}

void BudgetTracker::charge(NanoUsd cost, std::vector<BudgetAlert>& alerts) {
    spent_ = store::saturating_add(spent_, std::max<NanoUsd>(cost, 0));
    const std::uint64_t reached = thresholds_reached();
    const std::uint64_t fresh = reached & ~alerted_;
    alerted_ |= reached;
    for (std::size_t i = 0; i < threshold_amounts_.size(); ++i) {
        if ((fresh >> i) & 1u) {
            alerts.push_back(
                {spec_.name, spec_.hard, spec_.alert_thresholds[i], spent_, spec_.limit, window_});
        }
    }
}

BudgetRefusal BudgetTracker::refusal(NanoUsd requested) const {
    BudgetRefusal refusal;
    refusal.budget = spec_.name;
    refusal.period = spec_.period;
    refusal.limit = spec_.limit;
    refusal.spent = spent_;
    refusal.held = reserved_;
    refusal.requested = requested;
    if (window_.ends()) refusal.resets_at_unix_ms = window_.end_unix_ms;
    refusal.utc_offset_minutes = spec_.utc_offset_minutes;
    return refusal;
}

}  // namespace gaterouter::budget
