#pragma once
// Budget alerts POSTed to the operator's webhook (config alerts.webhook_url) as JSON:
// {"budget","threshold","spent_usd","limit_usd","window_start","window_end","hard"}.
//
// send() only queues: it runs on a worker right after a request settled, so it must never wait on the
// network. A thread of its own posts the queue in order, one synchronous HTTP(S) exchange at a time, and
// logs what fails; nothing is retried. The queue is bounded: when the receiver is down and alerts pile up,
// the oldest are dropped (and counted in the log).

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "gaterouter/budget/budget_enforcer.hpp"
#include "gaterouter/config/base_url.hpp"

namespace gaterouter::api {

// The webhook's JSON for an alert.
std::string alert_json(const budget::BudgetAlert& alert);

class AlertWebhook {
  public:
    // Throws std::invalid_argument when `url` is not an http:// or https:// URL.
    explicit AlertWebhook(const std::string& url, std::size_t max_queued = 1000);
    // Sends what is queued (each with its timeout), then stops.
    ~AlertWebhook();
    AlertWebhook(const AlertWebhook&) = delete;
    AlertWebhook& operator=(const AlertWebhook&) = delete;

    void send(const budget::BudgetAlert& alert);

    std::uint64_t sent() const;
    std::uint64_t failed() const;

  private:
    void run();
    // Empty on success, else why it failed.
    std::string post(const std::string& body) const;

    config::BaseUrl url_;
    std::string target_;
    std::size_t max_queued_;
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::string> queue_;
    std::uint64_t sent_ = 0;
    std::uint64_t failed_ = 0;
    std::uint64_t dropped_ = 0;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace gaterouter::api
