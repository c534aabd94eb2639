#pragma once
// Request rows on their way into the ledger, kept in a file mapped into memory (`<ledger>-requests`, beside
// the reservation file), for durability `normal`.
//
// Why: a request's row must be on record before its client gets the end of the answer. Committed through the
// writer thread, that is a cross-thread round trip per request, and the transactions stay small because they
// must be quick. A store into a shared file mapping is in the kernel's page cache the moment it is made: it
// survives the process being killed exactly as a SQLite commit with synchronous=NORMAL does (neither survives
// a power cut), and costs the worker a few hundred bytes of memcpy, no system call and no wait. The writer
// thread then moves the rows into the ledger in large transactions (a few milliseconds' worth at a time),
// which also costs it less per row.
//
// The file is a ring of fixed-size records (a bounded multi-producer, single-consumer queue after D. Vyukov):
// a record's state says, per lap of the ring, whether it is free or holds the row at that position. Any
// thread may append(); only the writer take()s and then release()s what it has committed. Positions start at
// 0 with each epoch (a number in the file's header, new at every start); the ledger keeps, in the same
// transaction as the rows it imported, the epoch and the position it has imported up to (JournalMark), so
// recovery after a crash imports exactly the rows not yet in the ledger, even those a crash caught between
// the commit and release().
//
// A row whose text does not fit a record, or one appended when the ring is full (the writer is behind), is
// refused (append() returns false) and the caller commits it through the writer instead.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gaterouter/store/ledger_rows.hpp"
#include "gaterouter/store/mapped_file.hpp"

namespace gaterouter::store {

class RequestJournal {
  public:
    static constexpr std::size_t kRecordBytes = 256;
    static constexpr std::uint32_t kDefaultRecords = 32768;  // 8 MiB, sparse until a lap has used it all

    // Opens or creates the file; throws StoreError when it cannot be mapped or another process holds it.
    explicit RequestJournal(const std::string& path, std::uint32_t records = kDefaultRecords);
    RequestJournal(const RequestJournal&) = delete;
    RequestJournal& operator=(const RequestJournal&) = delete;

    // For recovery, before any append(): the rows the file holds that the ledger does not (by `imported`, the
    // ledger's mark), in order, and the mark to commit with them. Their text is viewed in the file: valid
    // until restart().
    std::vector<RequestRowView> left_behind(const JournalMark& imported, JournalMark& mark_after) const;
    // Empties the file and starts epoch `epoch` at position 0 (after recovery has committed what
    // left_behind() returned). `epoch` must differ from every epoch the ledger has a mark of.
    void restart(std::uint64_t epoch);
    std::uint64_t epoch() const;
    std::uint32_t records() const { return records_; }

    // Writes `row` at the next position and returns that. Thread-safe, lock-free; nothing when the row does
    // not fit or the ring is full.
    std::optional<std::uint64_t> append(const RequestRowView& row);

    // The writer's side (one thread). Appends to `out` the rows from the oldest not yet taken on, up to
    // `max`, stopping early at a record still being written; returns how many. Their text is viewed in the
    // file, without a copy: valid until they are released.
    std::size_t take(std::vector<RequestRowView>& out, std::size_t max);
    // Frees the oldest `count` rows taken (once committed).
    void release(std::size_t count);
    // The mark of everything taken so far: what to commit with the rows taken.
    JournalMark taken_mark() const { return {epoch(), taken_}; }
    // Rows appended (or being appended) and not yet released. Thread-safe.
    std::uint64_t pending() const {
        const std::uint64_t done = released_.load(std::memory_order_acquire);  // first: head only grows
        return head_.load(std::memory_order_acquire) - done;
    }
    // The position the next append() will take: every row appended before has a lower one.
    std::uint64_t head() const { return head_.load(std::memory_order_acquire); }
    // Every position below this is released.
    std::uint64_t released() const { return released_.load(std::memory_order_acquire); }

  private:
    struct Record;
    Record* record(std::uint64_t position) const;

    MappedFile file_;
    std::uint32_t records_;
    std::atomic<std::uint64_t> head_{0};
    std::uint64_t taken_ = 0;  // writer thread only
    std::atomic<std::uint64_t> released_{0};
};

}  // namespace gaterouter::store
