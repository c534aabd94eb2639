#pragma once
// The admission queue: where a request waits when every candidate deployment is saturated (at its
// concurrency limit or out of its provider's rate), instead of failing at once. Shared by all workers.
//
// Waiting requests are kept per key in a FairQueue (deficit round robin by the key's share). When a request
// ends on a deployment, its place goes straight to the next waiting request, in fair order, that can use
// that deployment (hand_over): no newcomer can take it in between, so a key that floods the gateway waits
// behind its own requests, not in front of a quiet key's. Waiters also look again every `poll` for capacity
// that frees up without a request ending (a provider's rate bucket refilling, a breaker closing).
//
// A request is refused at once, never after a pointless wait: when its key already has its maximum waiting
// (429), when the gateway has its maximum waiting in all (503), or when, at the rate places have been
// freeing up, the requests ahead of it would not be served within its maximum wait (503). One that waited its
// maximum without a place gets 503 too.
//
// The hot path pays nothing while nothing waits: hand_over() checks an atomic count before taking the lock.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>

#include "gaterouter/admit/fair_queue.hpp"
#include "gaterouter/http/net.hpp"
#include "gaterouter/obs/prometheus.hpp"
#include "gaterouter/route/clock.hpp"

namespace gaterouter::admit {

// How one key waits.
struct KeyQueuePolicy {
    std::string flow;    // the key's name ("" for requests without a key)
    unsigned share = 1;  // places per round of the fair queue
    std::size_t max_depth = 256;
    std::chrono::milliseconds max_wait{2'000};
};

struct AdmissionOptions {
    std::size_t max_depth = 2'048;  // requests waiting in all
    std::chrono::milliseconds poll{20};
};

enum class WaitOutcome {
    handed_over,  // a place on `granted_model` is the request's: the deployment's in-flight count includes it
    look_again,   // polled: capacity may have freed up without a request ending; still in the queue
    key_full,     // refused: the key has its maximum waiting
    gateway_full,         // refused: the gateway has its maximum waiting
    would_wait_too_long,  // refused: the requests ahead would not be served within the key's maximum wait
    timed_out,            // waited the key's maximum wait without a place
};
inline constexpr std::size_t kWaitOutcomes = 6;
const char* outcome_name(WaitOutcome outcome);
inline bool refused(WaitOutcome outcome) {
    return outcome != WaitOutcome::handed_over && outcome != WaitOutcome::look_again;
}

struct QueuedRequest;  // a request's entry in the queue

// A request's state in the queue, across polls. A request that stops waiting without a place handed over
// must leave() (the owner of the ticket makes sure of it).
struct WaitTicket {
    std::shared_ptr<QueuedRequest> entry;  // while it is in the queue
    bool waited = false;                   // it joined once: it is never refused again, and rejoins at its
                                           // flow's head
    route::Clock::time_point deadline{};   // set when it first joins
    route::Clock::time_point first_queued{};
};

class AdmissionQueue {
  public:
    AdmissionQueue(AdmissionOptions options, const route::Clock& clock);

    // Waits for a place on one of `models` (catalog indexes, the request's candidates), until a request
    // ending on one of them hands its place over, the key's maximum wait, or, with `poll`, the next poll (for
    // capacity that frees up by time: rate buckets, breakers). On handed_over, `granted_model` says where.
    // Refusals come back at once, without waiting.
    awaitable<WaitOutcome> wait(const KeyQueuePolicy& key, std::span<const std::uint32_t> models,
                                WaitTicket& ticket, bool poll, std::uint32_t& granted_model);

    // The request stops waiting: it found a place by itself after a poll (`served`), or it ends. Returns the
    // model of a place handed to it in the meantime, which the caller must pass on.
    std::optional<std::uint32_t> leave(const KeyQueuePolicy& key, WaitTicket& ticket, bool served);

    // A request ending on deployment `model` offers its place: true when a waiting request took it (the
    // deployment's in-flight count then stays as it is); false when no one waiting can use it.
    bool hand_over(std::uint32_t model);

    // Waiting now, in all and per key; admissions out of the queue and refusals by outcome; waits by key.
    std::size_t depth() const { return depth_.load(std::memory_order_relaxed); }
    template <class Fn>
    void for_each_depth(Fn&& fn) const {
        const std::lock_guard lock(mutex_);
        queue_.for_each_flow(fn);
    }
    std::uint64_t outcomes(WaitOutcome outcome) const {
        return outcome_counts_[static_cast<std::size_t>(outcome)].load(std::memory_order_relaxed);
    }
    // Wait histogram (ms) of the requests that left the queue (served or timed out), per key.
    static constexpr std::array<double, 9> kWaitBucketsMs = {1, 5, 10, 25, 50, 100, 250, 1000, 5000};
    using WaitHistogram = obs::Histogram<kWaitBucketsMs.size()>;
    std::unordered_map<std::string, WaitHistogram> wait_histograms() const;

  private:
    using WaiterPtr = std::shared_ptr<QueuedRequest>;

    // What refuses a request about to join, if anything (under the lock).
    std::optional<WaitOutcome> refusal(const KeyQueuePolicy& key, route::Clock::time_point now) const;
    // Places handed out per second lately; 0 when too few to tell.
    double admission_rate(route::Clock::time_point now) const;
    void note_joining(route::Clock::time_point now);
    // A request left the queue (under the lock): its wait, its outcome, and, when served, the service rate.
    void note_left(const KeyQueuePolicy& key, const WaitTicket& ticket, route::Clock::time_point now,
                   WaitOutcome how);
    void count(WaitOutcome outcome) {
        outcome_counts_[static_cast<std::size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
    }

    AdmissionOptions options_;
    const route::Clock& clock_;
    mutable std::mutex mutex_;
    FairQueue<WaiterPtr> queue_;
    std::atomic<std::size_t> depth_{0};
    // The times of the last admissions out of the queue, for its service rate.
    std::array<route::Clock::time_point, 64> admitted_at_{};
    std::size_t admitted_next_ = 0;
    std::size_t admitted_count_ = 0;
    route::Clock::time_point busy_since_{};  // when the queue last formed after a quiet spell
    std::unordered_map<std::string, WaitHistogram> waits_;
    std::array<std::atomic<std::uint64_t>, kWaitOutcomes> outcome_counts_{};
};

}  // namespace gaterouter::admit
