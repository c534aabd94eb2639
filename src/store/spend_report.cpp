#include "gaterouter/store/spend_report.hpp"

#include <array>
#include <string>
#include <utility>

namespace gaterouter::store {

namespace {

constexpr std::array<std::pair<GroupField, std::string_view>, 6> kGroupFieldNames{{
    {GroupField::key, "key"},
    {GroupField::team, "team"},
    {GroupField::model, "model"},
    {GroupField::provider, "provider"},
    {GroupField::task, "task"},
    {GroupField::day, "day"},
}};

void append_csv_field(std::string& out, std::string_view field) {
    if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
        out += field;
        return;
    }
    out += '"';
    for (const char c : field) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

}  // namespace

std::string_view group_field_name(GroupField field) {
    for (const auto& [value, name] : kGroupFieldNames) {
        if (value == field) return name;
    }
    return "";
}

std::optional<GroupField> parse_group_field(std::string_view name) {
    for (const auto& [value, field_name] : kGroupFieldNames) {
        if (field_name == name) return value;
    }
    return std::nullopt;
}

std::string to_csv(const SpendReport& report) {
    std::string out;
    for (const GroupField field : report.group_by) {
        out += group_field_name(field);
        out += ',';
    }
    out +=
        "requests,prompt_tokens,completion_tokens,cached_tokens,reasoning_tokens,cost_usd,cost_nano_usd\r\n";
    for (const SpendReportRow& row : report.rows) {
        for (const std::string& group : row.groups) {
            append_csv_field(out, group);
            out += ',';
        }
        for (const std::int64_t count : {row.requests, row.prompt_tokens, row.completion_tokens,
                                         row.cached_tokens, row.reasoning_tokens}) {
            out += std::to_string(count);
            out += ',';
        }
        out += format_usd(row.cost);
        out += ',';
        out += std::to_string(row.cost);
        out += "\r\n";
    }
    return out;
}

}  // namespace gaterouter::store
