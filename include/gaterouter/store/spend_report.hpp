#pragma once
// Spend reports: request rows over a time range, grouped by any of key, team, model, provider, task and day.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gaterouter/store/nano_usd.hpp"

namespace gaterouter::store {

enum class GroupField { key, team, model, provider, task, day };

std::string_view group_field_name(GroupField field);
std::optional<GroupField> parse_group_field(std::string_view name);

struct SpendQuery {
    std::int64_t from_unix_ms = 0;  // inclusive
    std::int64_t to_unix_ms = 0;    // exclusive
    std::vector<GroupField> group_by;
    int day_utc_offset_minutes = 0;  // where a `day` group starts: a fixed offset from UTC
};

struct SpendReportRow {
    std::vector<std::string> groups;  // one value per SpendQuery::group_by field, in that order
    std::int64_t requests = 0;
    std::int64_t prompt_tokens = 0;
    std::int64_t completion_tokens = 0;
    std::int64_t cached_tokens = 0;
    std::int64_t reasoning_tokens = 0;
    NanoUsd cost = 0;
};

struct SpendReport {
    std::vector<GroupField> group_by;
    std::vector<SpendReportRow> rows;  // ordered by the group values
};

// RFC 4180 CSV with a header line: the group fields, then requests, the token counts, cost_usd (exact
// decimal) and cost_nano_usd. Lines end with CRLF.
std::string to_csv(const SpendReport& report);

}  // namespace gaterouter::store
