#include "gaterouter/store/reservation_slots.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string_view>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gaterouter/store/sqlite_database.hpp"

namespace gaterouter::store {

namespace {

// The file starts with one slot-sized header: the magic names the layout below.
constexpr char kMagic[16] = "gaterouter-rsv1";

enum SlotState : std::uint32_t { kFree = 0, kWriting = 1, kValid = 2 };

}  // namespace

struct ReservationSlots::Slot {
    std::atomic<std::uint32_t> state;  // SlotState
    std::uint16_t lengths[5];          // request_id, key_name, team, model, task: their bytes in text, in order
    std::uint16_t unused;
    std::int64_t time_unix_ms;
    std::int64_t amount;
    char text[kSlotBytes - 32];
};

ReservationSlots::Slot* ReservationSlots::slot(std::uint32_t index) const {
    static_assert(sizeof(Slot) == kSlotBytes);
    static_assert(std::atomic<std::uint32_t>::is_always_lock_free);  // shared with the file, not a lock
    return reinterpret_cast<Slot*>(map_ + (std::size_t{index} + 1) * kSlotBytes);
}

namespace {

[[noreturn]] void fail(const std::string& path, const char* what) {
    throw StoreError(path + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

ReservationSlots::ReservationSlots(const std::string& path, std::uint32_t slots) : path_(path), slots_(slots) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) fail(path, "cannot open");
    try {
        if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK) throw StoreError(path + ": in use by another gateway process");
            fail(path, "cannot lock");
        }
        struct stat st {};
        if (::fstat(fd_, &st) != 0) fail(path, "cannot stat");
        const auto existing = static_cast<std::size_t>(st.st_size);
        if (existing > 0) {
            char magic[sizeof kMagic] = {};
            if (existing < kSlotBytes || ::pread(fd_, magic, sizeof magic, 0) != sizeof magic ||
                std::memcmp(magic, kMagic, sizeof kMagic) != 0) {
                throw StoreError(path + ": not a reservation file of this version; move it away to start");
            }
            // A file from a run with more slots keeps them all, so recovery sees every one.
            const auto found = static_cast<std::uint32_t>(existing / kSlotBytes - 1);
            if (found > slots_) slots_ = found;
        }
        map_bytes_ = (std::size_t{slots_} + 1) * kSlotBytes;
        if (existing < map_bytes_ && ::ftruncate(fd_, static_cast<off_t>(map_bytes_)) != 0) {
            fail(path, "cannot size");
        }
        if (existing == 0 && ::pwrite(fd_, kMagic, sizeof kMagic, 0) != sizeof kMagic) {
            fail(path, "cannot write");
        }
        void* map = ::mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
        if (map == MAP_FAILED) fail(path, "cannot map");
        map_ = static_cast<unsigned char*>(map);
    } catch (...) {
        ::close(fd_);
        throw;
    }
}

ReservationSlots::~ReservationSlots() {
    ::munmap(map_, map_bytes_);
    ::close(fd_);  // and with it the lock
}

std::vector<ReservationRow> ReservationSlots::left_behind() const {
    std::vector<ReservationRow> rows;
    for (std::uint32_t i = 0; i < slots_; ++i) {
        const Slot* s = slot(i);
        if (s->state.load(std::memory_order_acquire) != kValid) continue;
        std::size_t total = 0;
        for (std::uint16_t n : s->lengths) total += n;
        if (total > sizeof s->text) continue;  // not written by this code: nothing to trust
        ReservationRow row;
        row.time_unix_ms = s->time_unix_ms;
        row.amount = s->amount;
        std::string* fields[] = {&row.request_id, &row.key_name, &row.team, &row.model, &row.task};
        const char* at = s->text;
        for (int f = 0; f < 5; ++f) {
            fields[f]->assign(at, s->lengths[f]);
            at += s->lengths[f];
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

void ReservationSlots::clear_all() {
    // Cutting the file back to its header and growing it again zeroes every slot without touching (and so
    // allocating) the pages of the slots never used. Nothing reads the mapping in between.
    if (::ftruncate(fd_, static_cast<off_t>(kSlotBytes)) != 0 ||
        ::ftruncate(fd_, static_cast<off_t>(map_bytes_)) != 0) {
        fail(path_, "cannot clear");
    }
}

std::optional<std::uint32_t> ReservationSlots::claim(const ReservationRow& row, std::uint32_t& hint) {
    const std::string_view fields[] = {row.request_id, row.key_name, row.team, row.model, row.task};
    std::size_t total = 0;
    for (std::string_view f : fields) total += f.size();
    if (total > sizeof(Slot::text)) return std::nullopt;
    if (hint >= slots_) hint = 0;
    // From the caller's hint on: with a few hundred requests in flight the first free slot is near.
    for (std::uint32_t tried = 0, i = hint; tried < slots_; ++tried, i = i + 1 == slots_ ? 0 : i + 1) {
        Slot* s = slot(i);
        if (s->state.load(std::memory_order_relaxed) != kFree) continue;
        std::uint32_t expected = kFree;
        if (!s->state.compare_exchange_strong(expected, kWriting, std::memory_order_acquire)) continue;
        char* at = s->text;
        for (int f = 0; f < 5; ++f) {
            s->lengths[f] = static_cast<std::uint16_t>(fields[f].size());
            std::memcpy(at, fields[f].data(), fields[f].size());
            at += fields[f].size();
        }
        s->time_unix_ms = row.time_unix_ms;
        s->amount = row.amount;
        // Valid only once complete: a crash before this store leaves a slot recovery ignores, and the request
        // has not gone upstream yet.
        s->state.store(kValid, std::memory_order_release);
        return i;
    }
    return std::nullopt;
}

void ReservationSlots::release(std::uint32_t index) {
    slot(index)->state.store(kFree, std::memory_order_release);
}

}  // namespace gaterouter::store
