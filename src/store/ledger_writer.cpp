#include "gaterouter/store/ledger_writer.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <stdexcept>
#include <utility>

#include "gaterouter/store/sqlite_database.hpp"

namespace gaterouter::store {

namespace {

constexpr std::chrono::milliseconds kFirstRetryDelay{50};
constexpr std::chrono::milliseconds kMaxRetryDelay{5000};
constexpr int kRetriesWhenStopping = 3;

}  // namespace

LedgerWriter::LedgerWriter(LedgerStore& store, LedgerWriterOptions options)
    : store_(store), options_(std::move(options)), thread_([this] { run(); }) {}

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
    work_ready_.notify_one();
}

void LedgerWriter::enqueue(std::vector<Item>& items) {
    if (items.empty()) return;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) throw std::logic_error("ledger writer stopped");
        queue_.insert(queue_.end(), std::make_move_iterator(items.begin()), std::make_move_iterator(items.end()));
        enqueued_total_ += items.size();
    }
    items.clear();
    work_ready_.notify_one();
}

void LedgerWriter::flush() {
    std::unique_lock lock(mutex_);
    const std::uint64_t target = enqueued_total_;
    committed_.wait(lock, [&] { return done_total_ >= target; });
}

void LedgerWriter::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    work_ready_.notify_one();
    if (thread_.joinable()) thread_.join();
}

std::size_t LedgerWriter::queued() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
}

void LedgerWriter::run() {
    std::vector<Item> batch;
    std::vector<LedgerEntry> entries;
    std::vector<std::function<void()>> callbacks;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;
            if (queue_.size() <= options_.max_batch) {
                batch.swap(queue_);  // the queue goes on in the last batch's buffer: no allocation either side
            } else {
                const auto end = queue_.begin() + static_cast<std::ptrdiff_t>(options_.max_batch);
                batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
                queue_.erase(queue_.begin(), end);
            }
        }
        for (Item& item : batch) {
            entries.push_back(std::move(item.entry));
            callbacks.push_back(std::move(item.on_committed));
        }
        batch.clear();
        if (commit(entries)) {
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
}

bool LedgerWriter::commit(const std::vector<LedgerEntry>& entries) {
    auto delay = kFirstRetryDelay;
    int retries_left = kRetriesWhenStopping;
    for (;;) {
        try {
            store_.write_batch(entries);
            return true;
        } catch (const StoreError& e) {
            if (options_.on_error) options_.on_error(e.what());
        }
        std::unique_lock lock(mutex_);
        if (stopping_ && retries_left-- == 0) {
            if (options_.on_error) {
                options_.on_error("ledger writer stopped with " + std::to_string(entries.size()) +
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
