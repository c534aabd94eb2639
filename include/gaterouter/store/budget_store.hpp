#pragma once
// Budget definitions kept in the store, as plain values; gaterouter::budget gives them their meaning.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gaterouter/store/nano_usd.hpp"

namespace gaterouter::store {

struct BudgetRecord {
    std::int64_t id = 0;  // assigned by the store
    std::string name;
    std::string scope_kind;   // global, team, key, model, task or key_model
    std::string scope_value;  // the team, key, model or task; the key of a key_model scope
    std::string scope_model;  // the model of a key_model scope
    std::string period;       // day, month or total
    NanoUsd limit = 0;
    bool hard = true;
    std::vector<double> alert_thresholds;  // fractions of the limit, e.g. 0.5, 0.8, 1.0
    int utc_offset_minutes = 0;
};

class BudgetStore {
  public:
    virtual ~BudgetStore() = default;
    // Inserts the budget, or replaces the one with the same name; returns its id. Throws StoreError.
    virtual std::int64_t put_budget(const BudgetRecord& budget) = 0;
    virtual std::vector<BudgetRecord> budgets() const = 0;
    // False when there is no budget of that name.
    virtual bool delete_budget(std::string_view name) = 0;
};

}  // namespace gaterouter::store
