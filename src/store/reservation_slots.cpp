#include "gaterouter/store/reservation_slots.hpp"

#include <algorithm>
#include <atomic>
#include <string_view>

#include "packed_text.hpp"

namespace gaterouter::store {

namespace {

// The magic names the layout below.
constexpr char kMagic[MappedFile::kMagicBytes] = "gaterouter-rsv1";

enum SlotState : std::uint32_t { kFree = 0, kWriting = 1, kValid = 2 };

}  // namespace

namespace {

// The slots a thread let go last, newest on top: a thread's next claims take them again first, while their
// memory is still in its core's cache. A hint only: a slot is claimed by its state's compare-and-swap either
// way.
struct RecentlyFreed {
    static constexpr std::uint32_t kCapacity = 32;
    std::uint64_t owner = 0;  // the serial of the ReservationSlots the slots belong to
    std::uint32_t count = 0;
    std::uint32_t slots[kCapacity];
};

RecentlyFreed& recently_freed(std::uint64_t owner) {
    thread_local RecentlyFreed freed;
    if (freed.owner != owner) {
        freed.owner = owner;
        freed.count = 0;
    }
    return freed;
}

std::uint64_t next_serial() {
    static std::atomic<std::uint64_t> serial{0};
    return ++serial;
}

}  // namespace

struct ReservationSlots::Slot {
    std::atomic<std::uint32_t> state;  // SlotState
    std::uint16_t lengths[5];  // request_id, key_name, team, model, task: their bytes in text, in order
    std::uint16_t unused;
    std::int64_t time_unix_ms;
    std::int64_t amount;
    char text[kSlotBytes - 32];
};

ReservationSlots::Slot* ReservationSlots::slot(std::uint32_t index) const {
    static_assert(sizeof(Slot) == kSlotBytes);
    static_assert(std::atomic<std::uint32_t>::is_always_lock_free);  // shared with the file, not a lock
    return reinterpret_cast<Slot*>(file_.record(index));
}

ReservationSlots::ReservationSlots(const std::string& path, std::uint32_t slots)
    : file_(path, kMagic, "reservation file", kSlotBytes, slots), serial_(next_serial()) {}

std::vector<ReservationRow> ReservationSlots::left_behind() const {
    std::vector<ReservationRow> rows;
    for (std::uint32_t i = 0; i < file_.records(); ++i) {
        const Slot* s = slot(i);
        if (s->state.load(std::memory_order_acquire) != kValid) continue;
        ReservationRow row;
        const std::array<std::string*, 5> fields{&row.request_id, &row.key_name, &row.team, &row.model,
                                                 &row.task};
        if (!unpack_text(s->lengths, s->text, sizeof s->text, fields)) {
            continue;  // not written by this code: nothing to trust
        }
        row.time_unix_ms = s->time_unix_ms;
        row.amount = s->amount;
        rows.push_back(std::move(row));
    }
    return rows;
}

void ReservationSlots::clear_all() {
    file_.clear_records();
}

bool ReservationSlots::try_claim(std::uint32_t index, const SlotText& text, const ReservationRow& row) {
    Slot* s = slot(index);
    if (s->state.load(std::memory_order_relaxed) != kFree) return false;
    std::uint32_t expected = kFree;
    if (!s->state.compare_exchange_strong(expected, kWriting, std::memory_order_acquire)) return false;
    pack_text(text, s->lengths, s->text);
    s->time_unix_ms = row.time_unix_ms;
    s->amount = row.amount;
    // Valid only once complete: a crash before this store leaves a slot recovery ignores, and the request has
    // not gone upstream yet.
    s->state.store(kValid, std::memory_order_release);
    return true;
}

std::optional<std::uint32_t> ReservationSlots::claim(const ReservationRow& row, std::uint32_t& hint) {
    const SlotText text{row.request_id, row.key_name, row.team, row.model, row.task};
    if (packed_size(text) > sizeof(Slot::text)) return std::nullopt;
    const std::uint32_t slots = file_.records();
    RecentlyFreed& freed = recently_freed(serial_);
    while (freed.count > 0) {
        const std::uint32_t i = freed.slots[--freed.count];
        if (i < slots && try_claim(i, text, row)) return i;
    }
    if (hint >= slots) hint = 0;
    // Then round the caller's own window of slots, from its hint on: the slots past the hint were let go
    // longest ago. Only when all of the window is held does the search go on over the whole file.
    const std::uint32_t base = hint - hint % kWindowSlots;
    const std::uint32_t window = std::min(kWindowSlots, slots - base);
    for (std::uint32_t tried = 0; tried < window; ++tried) {
        const std::uint32_t i = base + (hint - base + tried) % window;
        if (!try_claim(i, text, row)) continue;
        hint = base + (i - base + 1) % window;
        return i;
    }
    for (std::uint32_t tried = 0, i = (base + window) % slots; tried < slots;
         ++tried, i = i + 1 == slots ? 0 : i + 1) {
        if (try_claim(i, text, row)) return i;
    }
    return std::nullopt;
}

void ReservationSlots::release(std::uint32_t index) {
    slot(index)->state.store(kFree, std::memory_order_release);
    RecentlyFreed& freed = recently_freed(serial_);
    if (freed.count == RecentlyFreed::kCapacity) {
        // Full (a thread that lets go and never claims, as the writer's): the oldest makes room.
        std::copy(freed.slots + 1, freed.slots + freed.count, freed.slots);
        --freed.count;
    }
    freed.slots[freed.count++] = index;
}

}  // namespace gaterouter::store
