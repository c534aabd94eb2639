#pragma once
// What the ledger records: one row per finished request, and one reservation per request in flight.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "gaterouter/store/nano_usd.hpp"

namespace gaterouter::store {

// Written once a request has finished (or been refused, or recovered after a crash).
struct RequestRow {
    std::int64_t time_unix_ms = 0;
    std::string request_id;
    std::string key_name;
    std::string team;
    std::string model;
    std::string provider;
    std::string task;
    std::int64_t prompt_tokens = 0;
    std::int64_t completion_tokens = 0;
    std::int64_t cached_tokens = 0;
    std::int64_t reasoning_tokens = 0;
    NanoUsd cost = 0;
    int status = 0;  // the HTTP status the client got; 0 when it never got one (recovered after a crash)
    int attempts = 0;
    std::string flags;  // comma-separated, e.g. "charged_reservation"
    // False when no ReservationRow was written for this request: there is none to delete with the row.
    bool has_reservation_row = true;
};

// Flag of a request row written by recovery for a reservation left behind by a crash.
inline constexpr const char* kChargedReservationFlag = "charged_reservation";

// The maximum cost held for a request in flight. Deleted in the same transaction that writes the request's
// row, so one left behind after a crash is a request whose cost is unknown.
struct ReservationRow {
    std::int64_t time_unix_ms = 0;
    std::string request_id;
    std::string key_name;
    std::string team;
    std::string model;
    std::string task;
    NanoUsd amount = 0;
};

// One write of a batch. Writing a RequestRow also deletes the reservation with the same request id.
using LedgerEntry = std::variant<ReservationRow, RequestRow>;

// How far the ledger has imported the request journal (request_journal.hpp): every position below
// next_position of that epoch. Committed with the rows it covers.
struct JournalMark {
    std::uint64_t epoch = 0;
    std::uint64_t next_position = 0;
};

struct RecoveryResult {
    std::int64_t reservations = 0;  // leftover reservations charged
    NanoUsd charged = 0;
};

// Which request rows a sum covers: time in [from, to), and each given column equal to its value.
struct SpendFilter {
    std::int64_t from_unix_ms = 0;
    std::int64_t to_unix_ms = 0;
    std::optional<std::string> key_name;
    std::optional<std::string> team;
    std::optional<std::string> model;
    std::optional<std::string> task;
};

}  // namespace gaterouter::store
