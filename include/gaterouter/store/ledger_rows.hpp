#pragma once
// What the ledger records: one row per finished request, and one reservation per request in flight.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "gaterouter/store/nano_usd.hpp"

namespace gaterouter::store {

// Written once a request has finished (or been refused, or recovered after a crash). `Text` is std::string
// for a row that owns its text (RequestRow), std::string_view for one that views it where it lies
// (RequestRowView: in the request journal's mapping, or in the objects of a request still running).
template <class Text>
struct BasicRequestRow {
    std::int64_t time_unix_ms = 0;
    Text request_id;
    Text key_name;
    Text team;
    Text model;
    Text provider;
    Text task;
    std::int64_t prompt_tokens = 0;
    std::int64_t completion_tokens = 0;
    std::int64_t cached_tokens = 0;
    std::int64_t reasoning_tokens = 0;
    NanoUsd cost = 0;
    int status = 0;  // the HTTP status the client got; 0 when it never got one (recovered after a crash)
    int attempts = 0;
    Text flags;  // comma-separated, e.g. "charged_reservation"
    // False when no ReservationRow was written for this request: there is none to delete with the row.
    bool has_reservation_row = true;

    // The same row with its text as `To`: a view of this row's text (valid as long as it is), or a copy.
    template <class To>
    BasicRequestRow<To> as() const {
        return {time_unix_ms,       To(request_id), To(key_name),  To(team),          To(model),
                To(provider),       To(task),       prompt_tokens, completion_tokens, cached_tokens,
                reasoning_tokens,   cost,           status,        attempts,          To(flags),
                has_reservation_row};
    }
};

using RequestRow = BasicRequestRow<std::string>;
using RequestRowView = BasicRequestRow<std::string_view>;

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
