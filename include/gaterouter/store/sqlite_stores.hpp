#pragma once
// The SQLite implementations of the store interfaces, all over one SqliteDatabase, which must outlive them.

#include <memory>

#include "gaterouter/store/budget_store.hpp"
#include "gaterouter/store/key_store.hpp"
#include "gaterouter/store/ledger_store.hpp"
#include "gaterouter/store/sqlite_database.hpp"

namespace gaterouter::store {

class SqliteLedgerStore final : public LedgerStore {
  public:
    explicit SqliteLedgerStore(const SqliteDatabase& database);
    ~SqliteLedgerStore() override;

    void write_batch(std::span<const LedgerEntry> entries) override;
    void import_journal(std::span<const RequestRowView> rows, const JournalMark& mark) override;
    JournalMark journal_mark() const override;
    RecoveryResult recover() override;
    RecoveryResult charge_left_behind(std::span<const ReservationRow> reservations) override;
    NanoUsd sum_cost(const SpendFilter& filter) const override;
    SpendReport spend_report(const SpendQuery& query) const override;

  private:
    struct BatchStatements;  // prepared once, reused by every batch
    // Runs write(BatchStatements&) in one transaction on the writer's connection; rolls back and rethrows
    // on failure.
    template <class Write>
    void in_transaction(Write&& write);

    const SqliteDatabase& database_;
    std::unique_ptr<BatchStatements> batch_;
};

class SqliteKeyStore final : public KeyStore {
  public:
    explicit SqliteKeyStore(const SqliteDatabase& database) : database_(database) {}

    std::int64_t put_api_key(const ApiKeyRecord& key) override;
    std::vector<ApiKeyRecord> api_keys() const override;
    bool revoke_api_key(std::string_view name, std::int64_t at_unix_ms) override;
    std::int64_t key_generation() const override;

  private:
    const SqliteDatabase& database_;
};

class SqliteBudgetStore final : public BudgetStore {
  public:
    explicit SqliteBudgetStore(const SqliteDatabase& database) : database_(database) {}

    std::int64_t put_budget(const BudgetRecord& budget) override;
    std::vector<BudgetRecord> budgets() const override;
    bool delete_budget(std::string_view name) override;

  private:
    const SqliteDatabase& database_;
};

}  // namespace gaterouter::store
