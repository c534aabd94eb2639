#pragma once
// One request's bookkeeping from arrival to the access-log line: its id, the clock, the time spent waiting on
// upstreams (so the gateway's own overhead can be told apart), and the headers every response carries.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "gaterouter/admit/key_limits.hpp"
#include "gaterouter/catalog/catalog.hpp"
#include "gaterouter/http/response_writer.hpp"
#include "gaterouter/obs/access_log.hpp"
#include "gaterouter/obs/request_metrics.hpp"
#include "gaterouter/openai/completion.hpp"
#include "gaterouter/openai/error.hpp"

namespace gaterouter::api {

class RequestScope {
  public:
    using Clock = std::chrono::steady_clock;

    // With `metrics`, the request is also counted there (chat and embeddings requests).
    RequestScope(const http::Request& request, http::ResponseWriter& out, const obs::AccessLog& log,
                 obs::RequestMetrics* metrics = nullptr);
    ~RequestScope();  // writes the access-log line
    RequestScope(const RequestScope&) = delete;
    RequestScope& operator=(const RequestScope&) = delete;

    const std::string& id() const { return id_; }
    void set_model(std::string model) { model_ = std::move(model); }
    void set_upstream(std::string upstream) { upstream_ = std::move(upstream); }
    // A new try at a provider (the first, or a failover).
    void begin_attempt(std::string upstream) {
        upstream_ = std::move(upstream);
        ++attempts_;
    }
    int attempts() const { return attempts_; }
    // The model that answered (names from the catalog, which outlives every request).
    void served_by(const catalog::Model& model) {
        served_ = &model;
        served_model_ = model.id;
        served_provider_ = model.provider->name;
    }
    // What the answer used, as the upstream reported it, and its cost at the catalog's prices.
    void set_usage(const openai::Usage& usage, double cost_usd) {
        usage_ = usage;
        cost_usd_ = cost_usd;
    }
    const openai::Usage& usage() const { return usage_; }
    const catalog::Model* served() const { return served_; }
    void set_streaming() { streaming_ = true; }
    // The caller's key limits, whose x-ratelimit-* headers every response carries.
    void set_limits(const admit::KeyLimiter* limits) { limits_ = limits; }
    // A refusal's Retry-After.
    void set_retry_after(std::chrono::milliseconds after) { retry_after_ = after; }
    // The task type and weight class the classifier gave the request.
    void set_task(std::string_view task, std::string_view weight) {
        task_ = task;
        weight_ = weight;
    }

    // Awaits an upstream operation, counting the time as upstream wait rather than gateway overhead.
    template <class T>
    awaitable<T> upstream(awaitable<T> op) {
        const auto start = Clock::now();
        T result = co_await std::move(op);
        upstream_wait_ += Clock::now() - start;
        co_return result;
    }

    // The id and overhead headers every response carries (overhead as of now).
    template <class Fields>
    void stamp(Fields& headers) {
        headers.set("x-request-id", id_);
        headers.set("x-gaterouter-overhead-us", std::to_string(overhead_us()));
        if (attempts_ > 0) headers.set("x-gaterouter-attempts", std::to_string(attempts_));
        if (limits_ != nullptr) limits_->stamp(headers);
        if (retry_after_.count() > 0) {
            headers.set("retry-after", std::to_string((retry_after_.count() + 999) / 1000));
            headers.set("retry-after-ms", std::to_string(retry_after_.count()));
        }
        if (should_retry_) headers.set("x-should-retry", *should_retry_ ? "true" : "false");
        if (!task_.empty()) {
            headers.set("x-gaterouter-task", task_);
            headers.set("x-gaterouter-weight", weight_);
        }
    }

    awaitable<void> send_json(http::Status status, std::string body);
    // By value: coroutine arguments that refer to a caller's temporaries are fragile across suspension.
    awaitable<void> fail(openai::ApiError error);
    // Records the moment the first response byte goes out.
    void first_byte() {
        if (ttfb_ == Clock::time_point{}) ttfb_ = Clock::now();
    }
    void note_error(std::string code) { error_code_ = std::move(code); }

    std::int64_t overhead_us() const;
    http::ResponseWriter& out() { return out_; }

  private:
    const http::Request& request_;
    http::ResponseWriter& out_;
    const obs::AccessLog& log_;
    obs::RequestMetrics* metrics_;
    const catalog::Model* served_ = nullptr;
    std::string_view served_model_;
    std::string_view served_provider_;
    openai::Usage usage_;
    double cost_usd_ = 0;
    bool streaming_ = false;
    const admit::KeyLimiter* limits_ = nullptr;
    std::chrono::milliseconds retry_after_{0};
    std::optional<bool> should_retry_;  // x-should-retry, when fail() knows (OpenAI's SDKs obey it)
    std::string id_;
    std::string model_;
    std::string upstream_;
    std::string error_code_;
    int attempts_ = 0;
    std::string_view task_;  // names from classify: static strings
    std::string_view weight_;
    std::uint64_t bytes_in_;  // taken at the start: the body may be moved on to the upstream
    Clock::time_point start_ = Clock::now();
    Clock::time_point ttfb_{};
    Clock::duration upstream_wait_{};
};

}  // namespace gaterouter::api
