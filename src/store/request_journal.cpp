#include "gaterouter/store/request_journal.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <utility>

#include "packed_text.hpp"

namespace gaterouter::store {

namespace {

// The magic names the layout below; the epoch follows it in the header.
constexpr char kMagic[MappedFile::kMagicBytes] = "gaterouter-jnl1";
constexpr std::size_t kEpochOffset = MappedFile::kMagicBytes;

// The ring is larger than a core's cache and each record was last touched by the importer on another core,
// so the next append would wait for its lines from memory: fetched now, they arrive while the worker does
// other work.
void prefetch_for_write(const void* record) {
    const char* bytes = static_cast<const char*>(record);
    for (std::size_t offset = 0; offset < RequestJournal::kRecordBytes; offset += 64)
        __builtin_prefetch(bytes + offset, 1);
}

}  // namespace

struct RequestJournal::Record {
    // 2 × lap: free for the row of that lap (a zeroed file is free for lap 0); 2 × lap + 1: holds it.
    std::atomic<std::uint64_t> state;
    std::int64_t time_unix_ms;
    std::int64_t prompt_tokens;
    std::int64_t completion_tokens;
    std::int64_t cached_tokens;
    std::int64_t reasoning_tokens;
    std::int64_t cost;
    std::int32_t status;
    std::int32_t attempts;
    std::uint16_t lengths[7];  // request_id, key_name, team, model, provider, task, flags, in text in order
    std::uint8_t has_reservation_row;
    std::uint8_t unused;
    char text[kRecordBytes - 80];

    // Views of the row's text where it lies: valid until the record is released.
    bool read(RequestRowView& row) const {
        const std::array<std::string_view*, 7> fields{&row.request_id, &row.key_name, &row.team, &row.model,
                                                      &row.provider,   &row.task,     &row.flags};
        if (!unpack_text(lengths, text, sizeof text, fields)) return false;
        row.time_unix_ms = time_unix_ms;
        row.prompt_tokens = prompt_tokens;
        row.completion_tokens = completion_tokens;
        row.cached_tokens = cached_tokens;
        row.reasoning_tokens = reasoning_tokens;
        row.cost = cost;
        row.status = status;
        row.attempts = attempts;
        row.has_reservation_row = has_reservation_row != 0;
        return true;
    }
};

RequestJournal::RequestJournal(const std::string& path, std::uint32_t records)
    : file_(path, kMagic, "request journal", kRecordBytes, records), records_(file_.records()) {}

RequestJournal::Record* RequestJournal::record(std::uint64_t position) const {
    static_assert(sizeof(Record) == kRecordBytes);
    static_assert(std::atomic<std::uint64_t>::is_always_lock_free);  // shared with the file, not a lock
    return reinterpret_cast<Record*>(file_.record(static_cast<std::uint32_t>(position % records_)));
}

std::uint64_t RequestJournal::epoch() const {
    std::uint64_t epoch = 0;
    std::memcpy(&epoch, file_.header() + kEpochOffset, sizeof epoch);
    return epoch;
}

std::vector<RequestRowView> RequestJournal::left_behind(const JournalMark& imported,
                                                        JournalMark& mark_after) const {
    const std::uint64_t current = epoch();
    const std::uint64_t from = imported.epoch == current ? imported.next_position : 0;
    std::vector<std::pair<std::uint64_t, RequestRowView>> found;
    for (std::uint32_t i = 0; i < records_; ++i) {
        const Record* r = record(i);
        const std::uint64_t state = r->state.load(std::memory_order_acquire);
        if ((state & 1U) == 0) continue;
        const std::uint64_t position = state / 2 * records_ + i;
        if (position < from) continue;  // in the ledger already
        RequestRowView row;
        if (r->read(row)) found.emplace_back(position, row);
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    mark_after = {current, found.empty() ? from : std::max(from, found.back().first + 1)};
    std::vector<RequestRowView> rows;
    rows.reserve(found.size());
    for (const auto& [position, row] : found) rows.push_back(row);
    return rows;
}

void RequestJournal::restart(std::uint64_t epoch) {
    file_.clear_records();
    std::memcpy(file_.header() + kEpochOffset, &epoch, sizeof epoch);
    head_.store(0, std::memory_order_release);
    taken_ = 0;
    released_.store(0, std::memory_order_release);
}

std::optional<std::uint64_t> RequestJournal::append(const RequestRowView& row) {
    const std::array<std::string_view, 7> fields{row.request_id, row.key_name, row.team, row.model,
                                                 row.provider,   row.task,     row.flags};
    if (packed_size(fields) > sizeof(Record::text)) return std::nullopt;
    std::uint64_t position = head_.load(std::memory_order_relaxed);
    for (;;) {
        Record* r = record(position);
        const std::uint64_t free_state = 2 * (position / records_);
        const std::uint64_t state = r->state.load(std::memory_order_acquire);
        if (state == free_state) {
            if (head_.compare_exchange_weak(position, position + 1, std::memory_order_relaxed)) {
                pack_text(fields, r->lengths, r->text);
                r->time_unix_ms = row.time_unix_ms;
                r->prompt_tokens = row.prompt_tokens;
                r->completion_tokens = row.completion_tokens;
                r->cached_tokens = row.cached_tokens;
                r->reasoning_tokens = row.reasoning_tokens;
                r->cost = row.cost;
                r->status = row.status;
                r->attempts = row.attempts;
                r->has_reservation_row = row.has_reservation_row ? 1 : 0;
                // On record only once complete: a crash before this store loses a row whose answer has not
                // been sent.
                r->state.store(free_state + 1, std::memory_order_release);
                prefetch_for_write(record(position + 1));
                return position;
            }
        } else if (state < free_state) {
            return std::nullopt;  // the row of the lap before is still there: the ring is full
        } else {
            position = head_.load(std::memory_order_relaxed);  // another thread took this position
        }
    }
}

std::size_t RequestJournal::take(std::vector<RequestRowView>& out, std::size_t max) {
    std::size_t taken = 0;
    for (; taken < max; ++taken, ++taken_) {
        const Record* r = record(taken_);
        if (r->state.load(std::memory_order_acquire) != 2 * (taken_ / records_) + 1) break;
        RequestRowView& row = out.emplace_back();
        // Only this process writes records, and it checked the lengths: a row always reads back.
        (void)r->read(row);
    }
    return taken;
}

void RequestJournal::release(std::size_t count) {
    std::uint64_t position = released_.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < count; ++i, ++position) {
        record(position)->state.store(2 * (position / records_ + 1), std::memory_order_release);
    }
    released_.store(position, std::memory_order_release);
}

}  // namespace gaterouter::store
