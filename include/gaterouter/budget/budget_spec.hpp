#pragma once
// What a budget is: a USD limit on the spend of a scope (the gateway, a team, a key, a model, a task type, or
// one key's use of one model) over a calendar window, either hard (requests that could exceed it are refused)
// or soft (it only alerts).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gaterouter/budget/calendar_window.hpp"
#include "gaterouter/store/budget_store.hpp"
#include "gaterouter/store/ledger_rows.hpp"

namespace gaterouter::budget {

using store::NanoUsd;

// Who spends: the request's attributes that budgets are scoped by. Views, so tagging a request copies
// nothing.
struct SpendTags {
    std::string_view key;
    std::string_view team;
    std::string_view model;
    std::string_view task;
};

enum class ScopeKind { global, team, key, model, task, key_model };

std::string_view scope_kind_name(ScopeKind kind);
std::optional<ScopeKind> parse_scope_kind(std::string_view name);

struct Scope {
    ScopeKind kind = ScopeKind::global;
    std::string value;  // the team, key, model or task; the key of a key_model scope
    std::string model;  // the model of a key_model scope

    bool operator==(const Scope&) const = default;
};

struct BudgetSpec {
    std::int64_t id = 0;
    std::string name;
    Scope scope;
    Period period = Period::day;
    NanoUsd limit = 0;
    bool hard = true;
    std::vector<double> alert_thresholds;  // fractions of the limit, ascending, e.g. 0.5, 0.8, 1.0
    int utc_offset_minutes = 0;

    bool operator==(const BudgetSpec&) const = default;
};

// Throws std::invalid_argument naming the budget when a record's scope, period or thresholds make no sense.
BudgetSpec budget_from_record(const store::BudgetRecord& record);
store::BudgetRecord budget_to_record(const BudgetSpec& spec);

// The ledger rows a budget counts in a window: its scope's columns, over the window.
store::SpendFilter spend_filter(const Scope& scope, const TimeWindow& window);

}  // namespace gaterouter::budget
