#pragma once
// Where the ledger lives. SQLite is the embedded implementation (sqlite_stores.hpp); a shared store for
// several gateways (Redis) would be another.

#include <span>

#include "gaterouter/store/ledger_rows.hpp"
#include "gaterouter/store/spend_report.hpp"

namespace gaterouter::store {

class LedgerStore {
  public:
    virtual ~LedgerStore() = default;

    // Writes every entry in one transaction, or none of them; throws StoreError.
    virtual void write_batch(std::span<const LedgerEntry> entries) = 0;
    // Writes request rows taken from the request journal and the mark after them in one transaction, or none
    // of it; throws StoreError.
    virtual void import_journal(std::span<const RequestRowView> rows, const JournalMark& mark) = 0;
    // The mark of the last import (zeros before any).
    virtual JournalMark journal_mark() const = 0;
    // Charges every reservation left behind by a crash at its reserved amount, as a request row flagged
    // kChargedReservationFlag at the reservation's time, and clears them. Run at startup, before the writer.
    virtual RecoveryResult recover() = 0;
    // The same for reservations kept outside the ledger (reservation_slots.hpp) and left behind by a crash:
    // each is charged as such a row, unless its request already has a row (the crash came after the row's
    // commit, before its reservation was let go). Request ids are taken as unique, as everywhere in the
    // ledger.
    virtual RecoveryResult charge_left_behind(std::span<const ReservationRow> reservations) = 0;
    // Total cost of the request rows the filter covers.
    virtual NanoUsd sum_cost(const SpendFilter& filter) const = 0;
    virtual SpendReport spend_report(const SpendQuery& query) const = 0;
};

}  // namespace gaterouter::store
