#include "gaterouter/budget/budget_spec.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <utility>

namespace gaterouter::budget {

namespace {

constexpr std::array<std::pair<ScopeKind, std::string_view>, 6> kScopeKindNames{{
    {ScopeKind::global, "global"},
    {ScopeKind::team, "team"},
    {ScopeKind::key, "key"},
    {ScopeKind::model, "model"},
    {ScopeKind::task, "task"},
    {ScopeKind::key_model, "key_model"},
}};

// Real offsets run from UTC-12:00 to UTC+14:00.
constexpr int kMaxUtcOffsetMinutes = 14 * 60;
// Thresholds passed are kept as bits of one word.
constexpr std::size_t kMaxAlertThresholds = 64;

[[noreturn]] void invalid(const std::string& budget, const std::string& why) {
    throw std::invalid_argument("budget '" + budget + "': " + why);
}

}  // namespace

std::string_view scope_kind_name(ScopeKind kind) {
    for (const auto& [value, name] : kScopeKindNames) {
        if (value == kind) return name;
    }
    return "";
}

std::optional<ScopeKind> parse_scope_kind(std::string_view name) {
    for (const auto& [value, kind_name] : kScopeKindNames) {
        if (kind_name == name) return value;
    }
    return std::nullopt;
}

BudgetSpec budget_from_record(const store::BudgetRecord& record) {
    BudgetSpec spec;
    spec.id = record.id;
    spec.name = record.name;
    const auto kind = parse_scope_kind(record.scope_kind);
    if (!kind) invalid(record.name, "unknown scope '" + record.scope_kind + "'");
    spec.scope = {*kind, record.scope_value, record.scope_model};
    if (*kind != ScopeKind::global && record.scope_value.empty()) {
        invalid(record.name, "a " + record.scope_kind + " scope needs a value");
    }
    if (*kind == ScopeKind::key_model && record.scope_model.empty()) {
        invalid(record.name, "a key_model scope needs a model");
    }
    const auto period = parse_period(record.period);
    if (!period) invalid(record.name, "unknown period '" + record.period + "'");
    spec.period = *period;
    if (record.limit < 0) invalid(record.name, "the limit is negative");
    spec.limit = record.limit;
    spec.hard = record.hard;
    spec.alert_thresholds = record.alert_thresholds;
    if (spec.alert_thresholds.size() > kMaxAlertThresholds)
        invalid(record.name, "more than 64 alert thresholds");
    for (const double threshold : spec.alert_thresholds) {
        if (!(threshold > 0)) invalid(record.name, "alert thresholds are fractions of the limit above 0");
    }
    std::sort(spec.alert_thresholds.begin(), spec.alert_thresholds.end());
    if (record.utc_offset_minutes < -kMaxUtcOffsetMinutes ||
        record.utc_offset_minutes > kMaxUtcOffsetMinutes) {
        invalid(record.name, "the UTC offset is outside -12:00..+14:00");
    }
    spec.utc_offset_minutes = record.utc_offset_minutes;
    return spec;
}

store::BudgetRecord budget_to_record(const BudgetSpec& spec) {
    store::BudgetRecord record;
    record.id = spec.id;
    record.name = spec.name;
    record.scope_kind = scope_kind_name(spec.scope.kind);
    record.scope_value = spec.scope.value;
    record.scope_model = spec.scope.model;
    record.period = period_name(spec.period);
    record.limit = spec.limit;
    record.hard = spec.hard;
    record.alert_thresholds = spec.alert_thresholds;
    record.utc_offset_minutes = spec.utc_offset_minutes;
    return record;
}

store::SpendFilter spend_filter(const Scope& scope, const TimeWindow& window) {
    store::SpendFilter filter;
    filter.from_unix_ms = window.start_unix_ms;
    filter.to_unix_ms = window.end_unix_ms;
    switch (scope.kind) {
        case ScopeKind::global:
            break;
        case ScopeKind::team:
            filter.team = scope.value;
            break;
        case ScopeKind::key:
            filter.key_name = scope.value;
            break;
        case ScopeKind::model:
            filter.model = scope.value;
            break;
        case ScopeKind::task:
            filter.task = scope.value;
            break;
        case ScopeKind::key_model:
            filter.key_name = scope.value;
            filter.model = scope.model;
            break;
    }
    return filter;
}

}  // namespace gaterouter::budget
