#include "gaterouter/store/ledger_writer.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <utility>

#include <pthread.h>
#include <sched.h>

#include "gaterouter/store/sqlite_database.hpp"

namespace gaterouter::store {

namespace {

constexpr std::chrono::milliseconds kFirstRetryDelay{50};
constexpr std::chrono::milliseconds kMaxRetryDelay{5000};
constexpr int kRetriesWhenStopping = 3;

// Sets the calling thread's scheduling class and its name (what top -H and /proc show).
void become(int policy, const char* name) {
#ifdef __linux__
    const sched_param priority{};
    pthread_setschedparam(pthread_self(), policy, &priority);
    pthread_setname_np(pthread_self(), name);
#endif
}

}  // namespace

LedgerWriter::LedgerWriter(LedgerStore& store, LedgerWriterOptions options)
    : store_(store),
      options_(std::move(options)),
      journal_wake_every_(
          options_.journal != nullptr ? std::max<std::uint64_t>(options_.journal->records() / 4, 1) : 1),
      thread_([this] { run(); }) {
    if (options_.journal != nullptr) importer_ = std::thread([this] { run_importer(); });
}

LedgerWriter::~LedgerWriter() {
    stop();
}

void LedgerWriter::record(RequestRow row, std::function<void()> on_committed) {
    enqueue({std::move(row), std::move(on_committed)});
}

void LedgerWriter::reserve(ReservationRow row, std::function<void()> on_committed) {
    enqueue({std::move(row), std::move(on_committed)});
}

void LedgerWriter::enqueue(Item item) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) throw std::logic_error("ledger writer stopped");
        queue_.push_back(std::move(item));
        ++enqueued_total_;
    }
    work_ready_.notify_all();
}

void LedgerWriter::enqueue(std::vector<Item>& items) {
    if (items.empty()) return;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) throw std::logic_error("ledger writer stopped");
        queue_.insert(queue_.end(), std::make_move_iterator(items.begin()),
                      std::make_move_iterator(items.end()));
        enqueued_total_ += items.size();
    }
    items.clear();
    work_ready_.notify_all();
}

bool LedgerWriter::append_to_journal(const RequestRowView& row) {
    RequestJournal* journal = options_.journal;
    if (journal == nullptr) return false;
    const std::optional<std::uint64_t> position = journal->append(row);
    if (!position) return false;
    // At a high rate the interval would let the ring fill (and rows fall back to awaited commits): every
    // quarter of the ring wakes the importer, one lock in thousands of rows.
    if ((*position + 1) % journal_wake_every_ == 0) {
        {
            std::lock_guard lock(mutex_);
            import_nudged_ = true;
        }
        import_ready_.notify_one();
    }
    return true;
}

void LedgerWriter::flush() {
    std::unique_lock lock(mutex_);
    const std::uint64_t target = enqueued_total_;
    const std::uint64_t journal_target = options_.journal != nullptr ? options_.journal->head() : 0;
    if (journal_target > journal_done_) {
        journal_wanted_ = std::max(journal_wanted_, journal_target);
        work_ready_.notify_all();
    }
    committed_.wait(lock, [&] { return done_total_ >= target && journal_done_ >= journal_target; });
}

void LedgerWriter::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    // Both threads wait on work_ready_ (the importer in a commit's back-off), so wake-ups there go to all.
    import_ready_.notify_all();
    work_ready_.notify_all();
    if (importer_.joinable()) importer_.join();
    if (thread_.joinable()) thread_.join();  // the writer drains the journal last
}

std::size_t LedgerWriter::queued() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
}

void LedgerWriter::run() {
    // Batch work: its wake-ups should not preempt a worker's event loop, which requests wait on. (Not the
    // idle class: requests do wait on this thread's commits.)
    become(SCHED_BATCH, "gr-ledger");
    std::vector<Item> batch;
    std::vector<LedgerEntry> entries;
    std::vector<std::function<void()>> callbacks;
    RequestJournal* journal = options_.journal;
    for (;;) {
        bool last = false;
        bool drain_journal = false;
        {
            std::unique_lock lock(mutex_);
            const auto ready = [&] {
                return stopping_ || !queue_.empty() || journal_wanted_ > journal_done_;
            };
            work_ready_.wait(lock, ready);
            last = stopping_ && queue_.empty();
            drain_journal = journal != nullptr && (stopping_ || journal_wanted_ > journal_done_);
            if (queue_.size() <= options_.max_batch) {
                // The queue goes on in the last batch's buffer: no allocation either side.
                batch.swap(queue_);
            } else {
                const auto end = queue_.begin() + static_cast<std::ptrdiff_t>(options_.max_batch);
                batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
                queue_.erase(queue_.begin(), end);
            }
        }
        if (!batch.empty()) write_queued(batch, entries, callbacks);
        if (drain_journal) import_journal(true);
        if (last) return;
    }
}

void LedgerWriter::run_importer() {
    // The idle class: see the header. Any process may lower its own threads to it, no privilege needed.
    become(SCHED_IDLE, "gr-ledger-idle");
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            import_ready_.wait_for(lock, options_.journal_interval,
                                   [&] { return stopping_ || import_nudged_; });
            if (stopping_) return;
            import_nudged_ = false;
        }
        import_journal(false);
    }
}

void LedgerWriter::write_queued(std::vector<Item>& batch, std::vector<LedgerEntry>& entries,
                                std::vector<std::function<void()>>& callbacks) {
    for (Item& item : batch) {
        entries.push_back(std::move(item.entry));
        callbacks.push_back(std::move(item.on_committed));
    }
    batch.clear();
    if (commit([&] { store_.write_batch(entries); }, entries.size())) {
        for (const auto& callback : callbacks) {
            if (callback) callback();
        }
        if (options_.after_batch) options_.after_batch();
    }
    {
        std::lock_guard lock(mutex_);
        done_total_ += entries.size();
    }
    committed_.notify_all();
    entries.clear();
    callbacks.clear();
}

void LedgerWriter::import_journal(bool drain) {
    std::lock_guard importing(import_mutex_);
    RequestJournal& journal = *options_.journal;
    const std::uint64_t until = drain ? journal.head() : 0;
    for (;;) {
        journal_rows_.clear();
        const std::size_t taken = journal.take(journal_rows_, options_.max_journal_batch);
        if (taken == 0) {
            if (journal.released() >= until) return;
            std::this_thread::yield();  // a row still being appended: a memcpy away
            continue;
        }
        const JournalMark mark = journal.taken_mark();
        const bool committed = commit([&] { store_.import_journal(journal_rows_, mark); }, taken);
        if (committed) journal.release(taken);
        {
            std::lock_guard lock(mutex_);
            // Given up on (stopping, the database failing): the rows stay in the journal for the next start.
            journal_done_ = committed ? journal.released() : journal.head();
        }
        committed_.notify_all();
        if (!committed) return;
    }
}

template <class Write>
bool LedgerWriter::commit(Write&& write, std::size_t rows) {
    auto delay = kFirstRetryDelay;
    int retries_left = kRetriesWhenStopping;
    for (;;) {
        try {
            write();
            return true;
        } catch (const StoreError& e) {
            if (options_.on_error) options_.on_error(e.what());
        }
        std::unique_lock lock(mutex_);
        if (stopping_ && retries_left-- == 0) {
            if (options_.on_error) {
                options_.on_error("ledger writer stopped with " + std::to_string(rows) +
                                  " entries unwritten");
            }
            return false;
        }
        if (stopping_) {
            lock.unlock();
            std::this_thread::sleep_for(kFirstRetryDelay);
            continue;
        }
        // Wakes early on stop(), so shutdown does not wait out a long back-off.
        work_ready_.wait_for(lock, delay, [&] { return stopping_; });
        delay = std::min(delay * 2, kMaxRetryDelay);
    }
}

}  // namespace gaterouter::store
