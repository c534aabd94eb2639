#include "gaterouter/admit/admission_queue.hpp"

#include <algorithm>
#include <vector>

namespace gaterouter::admit {

const char* outcome_name(WaitOutcome outcome) {
    switch (outcome) {
        case WaitOutcome::handed_over:
            return "admitted";
        case WaitOutcome::look_again:
            return "polled";
        case WaitOutcome::key_full:
            return "key_queue_full";
        case WaitOutcome::gateway_full:
            return "gateway_queue_full";
        case WaitOutcome::would_wait_too_long:
            return "would_wait_too_long";
        case WaitOutcome::timed_out:
            return "timed_out";
    }
    return "unknown";
}

// Lives as long as its ticket or a hand-over posted to it, whichever is last: the hand-over cancels the
// timer on the waiting request's own thread.
struct QueuedRequest {
    explicit QueuedRequest(const net::any_io_executor& executor) : timer(executor) {}
    net::steady_timer timer;
    std::vector<std::uint32_t> models;
    bool granted = false;  // under the queue's lock
    std::uint32_t granted_model = 0;
    bool wants(std::uint32_t model) const {
        return std::find(models.begin(), models.end(), model) != models.end();
    }
};

AdmissionQueue::AdmissionQueue(AdmissionOptions options, const route::Clock& clock)
    : options_(options), clock_(clock) {}

std::optional<WaitOutcome> AdmissionQueue::refusal(const KeyQueuePolicy& key,
                                                   route::Clock::time_point now) const {
    if (queue_.size(key.flow) >= key.max_depth) return WaitOutcome::key_full;
    if (queue_.size() >= options_.max_depth) return WaitOutcome::gateway_full;
    const double rate = admission_rate(now);
    if (rate <= 0) return std::nullopt;
    const double ahead = static_cast<double>(queue_.ahead_of_new(key.flow, key.share)) + 1.0;
    // With a margin: places free up in bursts, so the rate is only an estimate, and a request that waits its
    // maximum for nothing is worse off than one refused at once.
    const double seconds_left = std::chrono::duration<double>(key.max_wait).count();
    if (ahead / rate > 0.8 * seconds_left) return WaitOutcome::would_wait_too_long;
    return std::nullopt;
}

double AdmissionQueue::admission_rate(route::Clock::time_point now) const {
    constexpr std::size_t kEnough = 4;
    if (admitted_count_ < kEnough) return 0;
    const std::size_t n = std::min(admitted_count_, admitted_at_.size());
    // Over the last admissions, or since the queue formed when there were fewer.
    const route::Clock::time_point start =
        admitted_count_ > admitted_at_.size() ? admitted_at_[admitted_next_] : busy_since_;
    const double span = std::chrono::duration<double>(now - start).count();
    return span > 0 ? static_cast<double>(n) / span : 0;
}

void AdmissionQueue::note_joining(route::Clock::time_point now) {
    if (depth_.load(std::memory_order_relaxed) != 0) return;
    // A queue forming again soon after the last one drained goes on with its rate; a later one starts afresh.
    const auto newest = admitted_at_[(admitted_next_ + admitted_at_.size() - 1) % admitted_at_.size()];
    if (admitted_count_ != 0 && now - newest < std::chrono::seconds(1)) return;
    admitted_count_ = 0;
    busy_since_ = now;
}

void AdmissionQueue::note_left(const KeyQueuePolicy& key, const WaitTicket& ticket,
                               route::Clock::time_point now, WaitOutcome how) {
    waits_[key.flow].observe(std::chrono::duration<double, std::milli>(now - ticket.first_queued).count(),
                             kWaitBucketsMs);
    count(how);
    if (how != WaitOutcome::handed_over) return;
    admitted_at_[admitted_next_] = now;  // for the service rate
    admitted_next_ = (admitted_next_ + 1) % admitted_at_.size();
    ++admitted_count_;
}

awaitable<WaitOutcome> AdmissionQueue::wait(const KeyQueuePolicy& key, std::span<const std::uint32_t> models,
                                            WaitTicket& ticket, bool poll, std::uint32_t& granted_model) {
    const auto executor = co_await net::this_coro::executor;
    const auto now = clock_.now();
    {
        const std::lock_guard lock(mutex_);
        if (!ticket.entry) {
            note_joining(now);
            if (!ticket.waited) {
                ticket.first_queued = now;
                ticket.deadline = now + key.max_wait;
                if (const auto no = refusal(key, now)) {
                    count(*no);
                    co_return *no;
                }
            }
            ticket.entry = std::make_shared<QueuedRequest>(executor);
            ticket.entry->models.assign(models.begin(), models.end());
            // Back at its flow's head when a place handed to it could not be used after all.
            if (ticket.waited) {
                queue_.push_front(key.flow, key.share, ticket.entry);
            } else {
                queue_.push_back(key.flow, key.share, ticket.entry);
            }
            ticket.waited = true;
            depth_.fetch_add(1, std::memory_order_relaxed);
        }
    }
    const WaiterPtr entry = ticket.entry;
    const auto left = std::max(ticket.deadline - now, route::Clock::duration::zero());
    entry->timer.expires_after(poll ? std::min<route::Clock::duration>(left, options_.poll) : left);
    error_code ec;
    co_await entry->timer.async_wait(with_ec(ec));

    const auto after = clock_.now();
    const std::lock_guard lock(mutex_);
    if (entry->granted) {
        ticket.entry.reset();
        granted_model = entry->granted_model;
        note_left(key, ticket, after, WaitOutcome::handed_over);
        co_return WaitOutcome::handed_over;
    }
    if (after < ticket.deadline) co_return WaitOutcome::look_again;
    queue_.remove(key.flow, entry);
    ticket.entry.reset();
    depth_.fetch_sub(1, std::memory_order_relaxed);
    note_left(key, ticket, after, WaitOutcome::timed_out);
    co_return WaitOutcome::timed_out;
}

std::optional<std::uint32_t> AdmissionQueue::leave(const KeyQueuePolicy& key, WaitTicket& ticket,
                                                   bool served) {
    if (!ticket.entry) return std::nullopt;
    const WaiterPtr entry = std::move(ticket.entry);
    const auto now = clock_.now();
    const std::lock_guard lock(mutex_);
    if (served) {
        note_left(key, ticket, now, WaitOutcome::handed_over);
    }
    if (entry->granted) return entry->granted_model;
    queue_.remove(key.flow, entry);
    depth_.fetch_sub(1, std::memory_order_relaxed);
    return std::nullopt;
}

bool AdmissionQueue::hand_over(std::uint32_t model) {
    if (depth_.load(std::memory_order_relaxed) == 0) return false;
    WaiterPtr waiter;
    {
        const std::lock_guard lock(mutex_);
        auto next = queue_.pop([model](const WaiterPtr& w) { return w->wants(model); });
        if (!next) return false;
        waiter = std::move(*next);
        waiter->granted = true;
        waiter->granted_model = model;
        depth_.fetch_sub(1, std::memory_order_relaxed);
    }
    net::post(waiter->timer.get_executor(), [waiter] { waiter->timer.cancel(); });
    return true;
}

std::unordered_map<std::string, AdmissionQueue::WaitHistogram> AdmissionQueue::wait_histograms() const {
    const std::lock_guard lock(mutex_);
    return waits_;
}

}  // namespace gaterouter::admit
