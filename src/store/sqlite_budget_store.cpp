#include "gaterouter/store/sqlite_stores.hpp"
#include "sqlite_connection.hpp"
#include "text_list.hpp"

namespace gaterouter::store {

std::int64_t SqliteBudgetStore::put_budget(const BudgetRecord& budget) {
    SqliteConnection& connection = database_.writer();
    std::lock_guard lock(connection.mutex());
    Statement upsert(
        connection,
        "INSERT INTO budgets (name, scope_kind, scope_value, scope_model, period, limit_nano_usd, "
        "hard, alert_thresholds, utc_offset_minutes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
        "ON CONFLICT (name) DO UPDATE SET scope_kind = ?2, scope_value = ?3, scope_model = ?4, "
        "period = ?5, limit_nano_usd = ?6, hard = ?7, alert_thresholds = ?8, "
        "utc_offset_minutes = ?9 RETURNING id");
    upsert.bind(1, budget.name);
    upsert.bind(2, budget.scope_kind);
    upsert.bind(3, budget.scope_value);
    upsert.bind(4, budget.scope_model);
    upsert.bind(5, budget.period);
    upsert.bind(6, budget.limit);
    upsert.bind(7, std::int64_t{budget.hard ? 1 : 0});
    upsert.bind(8, join_fractions(budget.alert_thresholds));
    upsert.bind(9, std::int64_t{budget.utc_offset_minutes});
    upsert.step();
    const std::int64_t id = upsert.int64_at(0);
    return id;
}

std::vector<BudgetRecord> SqliteBudgetStore::budgets() const {
    SqliteConnection& connection = database_.reader();
    std::lock_guard lock(connection.mutex());
    Statement select(connection,
                     "SELECT id, name, scope_kind, scope_value, scope_model, period, limit_nano_usd, hard, "
                     "alert_thresholds, utc_offset_minutes FROM budgets ORDER BY id");
    std::vector<BudgetRecord> budgets;
    while (select.step()) {
        BudgetRecord budget;
        budget.id = select.int64_at(0);
        budget.name = select.text_at(1);
        budget.scope_kind = select.text_at(2);
        budget.scope_value = select.text_at(3);
        budget.scope_model = select.text_at(4);
        budget.period = select.text_at(5);
        budget.limit = select.int64_at(6);
        budget.hard = select.int64_at(7) != 0;
        budget.alert_thresholds = split_fractions(select.text_at(8));
        budget.utc_offset_minutes = static_cast<int>(select.int64_at(9));
        budgets.push_back(std::move(budget));
    }
    return budgets;
}

bool SqliteBudgetStore::delete_budget(std::string_view name) {
    SqliteConnection& connection = database_.writer();
    std::lock_guard lock(connection.mutex());
    Statement remove(connection, "DELETE FROM budgets WHERE name = ?1");
    remove.bind(1, name);
    remove.step();
    return sqlite3_changes(connection.handle()) > 0;
}

}  // namespace gaterouter::store
