// The admin API's budgets, spend reports and test clock. A budget change is written to the store and then
// the enforcer re-reads every budget (reload_budgets): budgets whose definition is unchanged keep their live
// totals, a new or changed one starts from the ledger's total for its current window.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "gaterouter/api/admin_handlers.hpp"

namespace gaterouter::api::admin {
namespace {

std::string source_of(const Context& c, std::string_view name) {
    for (const auto& b : c.config.budgets) {
        if (b.name == name) return "config";
    }
    return "admin";
}

std::optional<store::BudgetRecord> stored_budget(Ledger& ledger, std::string_view name) {
    for (auto& r : ledger.budget_store->budgets()) {
        if (r.name == name) return std::move(r);
    }
    return std::nullopt;
}

std::optional<nlohmann::json> status_json(const Context& c, Ledger& ledger, std::string_view name) {
    for (const auto& s : ledger.budgets->statuses()) {
        if (s.spec.name == name) return budget_json(s, source_of(c, name));
    }
    return std::nullopt;
}

Reply budget_reply(const Context& c, Ledger& ledger, http::Status status, std::string_view name) {
    std::optional<nlohmann::json> j = status_json(c, ledger, name);
    if (!j) not_found("There is no budget named '" + std::string(name) + "'.", "budget_not_found");
    return json_reply(status, *j);
}

}  // namespace

Reply create_budget(const Context& c, const http::Request& request) {
    Ledger& ledger = ledger_of(c);
    const nlohmann::json body = parse_object(request.body());
    const store::BudgetRecord record = budget_record_from_json(body, nullptr);
    if (stored_budget(ledger, record.name))
        conflict("A budget named '" + record.name + "' exists already; change it with PATCH.",
                 "budget_exists");
    ledger.budget_store->put_budget(record);
    reload_budgets(ledger);
    spdlog::info("admin: created budget '{}'", record.name);
    return budget_reply(c, ledger, http::Status::created, record.name);
}

Reply list_budgets(const Context& c) {
    Ledger& ledger = ledger_of(c);
    std::vector<budget::BudgetStatus> statuses = ledger.budgets->statuses();
    std::sort(statuses.begin(), statuses.end(),
              [](const auto& a, const auto& b) { return a.spec.name < b.spec.name; });
    nlohmann::json data = nlohmann::json::array();
    for (const auto& s : statuses) data.push_back(budget_json(s, source_of(c, s.spec.name)));
    return json_reply(http::Status::ok, {{"object", "list"}, {"data", std::move(data)}});
}

Reply show_budget(const Context& c, std::string_view name) {
    Ledger& ledger = ledger_of(c);
    return budget_reply(c, ledger, http::Status::ok, name);
}

Reply update_budget(const Context& c, const http::Request& request, std::string_view name) {
    Ledger& ledger = ledger_of(c);
    const nlohmann::json body = parse_object(request.body());
    const std::optional<store::BudgetRecord> base = stored_budget(ledger, name);
    if (!base) not_found("There is no budget named '" + std::string(name) + "'.", "budget_not_found");
    const store::BudgetRecord record = budget_record_from_json(body, &*base);
    ledger.budget_store->put_budget(record);
    reload_budgets(ledger);
    spdlog::info("admin: changed budget '{}'", record.name);
    return budget_reply(c, ledger, http::Status::ok, record.name);
}

Reply delete_budget(const Context& c, std::string_view name) {
    Ledger& ledger = ledger_of(c);
    if (!ledger.budget_store->delete_budget(name))
        not_found("There is no budget named '" + std::string(name) + "'.", "budget_not_found");
    reload_budgets(ledger);
    spdlog::info("admin: deleted budget '{}'", name);
    return json_reply(http::Status::ok, {{"name", name}, {"object", "budget"}, {"deleted", true}});
}

Reply spend_report(const Context& c, const http::Request& request) {
    Ledger& ledger = ledger_of(c);
    const auto params = parse_query(request.target());
    const store::SpendQuery query = spend_query_from(params);
    const auto format = params.find("format");
    const std::string wanted = format == params.end() ? "json" : format->second;
    if (wanted != "json" && wanted != "csv") bad_field("format", "format must be json or csv.");
    bring_up_to_date(ledger);
    const store::SpendReport report = ledger.ledger_store->spend_report(query);
    if (wanted == "csv") return {http::Status::ok, store::to_csv(report), "text/csv; charset=utf-8"};
    return json_reply(http::Status::ok, spend_report_json(report, query));
}

Reply move_clock(const Context& c, const http::Request& request) {
    budget::ManualWallClock* clock = c.services.fake_clock;
    if (clock == nullptr) throw AdminFailure(openai::route_not_found("POST", "/admin/v1/clock"));
    const nlohmann::json body = parse_object(request.body());
    if (body.contains("now_ms")) {
        const nlohmann::json& v = body["now_ms"];
        if (!v.is_number_integer() || v.get<std::int64_t>() <= 0)
            bad_field("now_ms", "now_ms must be a positive whole number of Unix milliseconds.");
        clock->set(v.get<std::int64_t>());
    } else if (body.contains("advance_ms")) {
        const nlohmann::json& v = body["advance_ms"];
        if (!v.is_number_integer() || v.get<std::int64_t>() < 0)
            bad_field("advance_ms", "advance_ms must be a whole number of milliseconds, 0 or more.");
        clock->advance(std::chrono::milliseconds(v.get<std::int64_t>()));
    } else {
        bad_field("advance_ms", "Give advance_ms or now_ms.");
    }
    const std::int64_t now = clock->now_unix_ms();
    return json_reply(http::Status::ok, {{"now_ms", now}, {"now", format_utc(now)}});
}

}  // namespace gaterouter::api::admin
