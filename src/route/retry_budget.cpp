#include "gaterouter/route/retry_budget.hpp"

#include <chrono>

namespace gaterouter::route {

RetryBudget::RetryBudget(const config::RetryBudgetConfig& config, const Clock& clock)
    : ratio_(config.ratio), floor_(config.min_per_second), clock_(clock) {}

std::int64_t RetryBudget::now_second() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
}

RetryBudget::Slot& RetryBudget::current(std::int64_t second) {
    Slot& slot = slots_[static_cast<std::size_t>(second & 1)];
    std::int64_t seen = slot.second.load(std::memory_order_acquire);
    if (seen != second && slot.second.compare_exchange_strong(seen, second, std::memory_order_acq_rel)) {
        slot.requests.store(0, std::memory_order_relaxed);
        slot.retries.store(0, std::memory_order_relaxed);
    }
    return slot;
}

void RetryBudget::on_request() {
    current(now_second()).requests.fetch_add(1, std::memory_order_relaxed);
}

bool RetryBudget::try_spend() {
    const std::int64_t second = now_second();
    Slot& now = current(second);
    const Slot& before = slots_[static_cast<std::size_t>((second - 1) & 1)];
    std::int64_t requests = now.requests.load(std::memory_order_relaxed);
    std::int64_t retries = now.retries.load(std::memory_order_relaxed);
    if (before.second.load(std::memory_order_acquire) == second - 1) {
        requests += before.requests.load(std::memory_order_relaxed);
        retries += before.retries.load(std::memory_order_relaxed);
    }
    if (static_cast<double>(retries) >= static_cast<double>(floor_) + ratio_ * static_cast<double>(requests))
        return false;
    now.retries.fetch_add(1, std::memory_order_relaxed);
    return true;
}

}  // namespace gaterouter::route
