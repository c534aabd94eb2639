#pragma once
// Reservations of requests in flight, kept in a file mapped into memory (`<ledger>-reservations`, beside the
// ledger's -wal and -shm files) instead of committed to the ledger through the writer thread.
//
// Why: a budget-covered request must have its reservation on record before it goes upstream, so that a crash
// charges it. Through the writer that is a cross-thread round trip and a transaction per request before any
// upstream byte is sent. A store into a shared file mapping is in the kernel's page cache the moment it is
// made: it survives the process being killed exactly as a SQLite commit with synchronous=NORMAL does (neither
// survives a power cut), and costs a few hundred bytes of memcpy on the worker, no system call.
//
// The file (a MappedFile) is an array of fixed-size slots. A worker claims a free slot (compare-and-swap on
// its state), writes the reservation, then marks it valid (release store); the request's row, once committed,
// lets the slot go. At start, before any request, recovery charges every valid slot whose request has no row
// yet (the crash may have come between a row's commit and its slot's release) and empties the file.
//
// A reservation whose text does not fit a slot, or one made when every slot is taken, is refused (claim()
// returns no slot) and the caller goes through the writer instead. Only one process uses the file at a time
// (an exclusive flock); a second one opening the same ledger gets none and uses the writer.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gaterouter/store/ledger_rows.hpp"
#include "gaterouter/store/mapped_file.hpp"

namespace gaterouter::store {

class ReservationSlots {
  public:
    static constexpr std::size_t kSlotBytes = 512;
    static constexpr std::uint32_t kDefaultSlots = 16384;  // 8 MiB, sparse: only slots used take disk
    static constexpr std::uint32_t kWindowSlots = 256;     // a caller's own slots, searched first

    // Opens or creates the file; throws StoreError when it cannot be mapped or another process holds it.
    explicit ReservationSlots(const std::string& path, std::uint32_t slots = kDefaultSlots);
    ReservationSlots(const ReservationSlots&) = delete;
    ReservationSlots& operator=(const ReservationSlots&) = delete;

    // The reservations a crash left: every valid slot. For recovery, before any claim().
    std::vector<ReservationRow> left_behind() const;
    // Empties every slot (after recovery has committed what left_behind() returned).
    void clear_all();

    // Writes `row` into a free slot and returns its index, or nothing when it does not fit or none is free.
    // Thread-safe; `hint` (per caller, e.g. per worker, each with its own multiple of kWindowSlots) is where
    // the search for a free slot starts, in the caller's window of kWindowSlots slots first; it moves on.
    std::optional<std::uint32_t> claim(const ReservationRow& row, std::uint32_t& hint);
    // Frees a slot claimed before. Thread-safe.
    void release(std::uint32_t slot);

    std::uint32_t capacity() const { return file_.records(); }

  private:
    struct Slot;
    Slot* slot(std::uint32_t index) const;
    // A row's text fields in the order a slot keeps them: request id, key, team, model, task.
    using SlotText = std::array<std::string_view, 5>;
    bool try_claim(std::uint32_t index, const SlotText& text, const ReservationRow& row);

    MappedFile file_;
    const std::uint64_t
        serial_;  // tells this object's slots, in a thread's recently freed list, from another's
};

}  // namespace gaterouter::store
