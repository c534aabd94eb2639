#include "gaterouter/api/request_scope.hpp"

#include "gaterouter/obs/request_id.hpp"

namespace gaterouter::api {

namespace {
std::int64_t micros(RequestScope::Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}
}  // namespace

RequestScope::RequestScope(const http::Request& request, http::ResponseWriter& out, const obs::AccessLog& log,
                           obs::RequestMetrics* metrics)
    : request_(request), out_(out), log_(log), metrics_(metrics), bytes_in_(request.body().size()) {
    const auto it = request.find("x-request-id");
    id_ = it == request.end() ? obs::new_request_id() : obs::request_id_from(it->value());
}

RequestScope::~RequestScope() {
    const auto end = Clock::now();
    obs::AccessRecord r;
    r.request_id = id_;
    r.method = request_.method_string();
    r.path = http::path_of(request_.target());
    r.status = static_cast<unsigned>(out_.status());
    r.model = model_;
    r.upstream = upstream_;
    r.latency_us = micros(end - start_);
    r.ttfb_us = ttfb_ == Clock::time_point{} ? -1 : micros(ttfb_ - start_);
    r.overhead_us = micros(end - start_ - upstream_wait_);
    r.bytes_in = bytes_in_;
    r.bytes_out = out_.bytes_sent();
    r.error_code = error_code_;
    r.task = task_;
    log_.write(r);
    if (metrics_ == nullptr) return;
    const auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
    obs::RequestSample sample;
    sample.model = served_model_;
    sample.provider = served_provider_;
    sample.task = task_;
    sample.status = r.status;
    sample.duration_s = seconds(end - start_);
    if (streaming_ && ttfb_ != Clock::time_point{}) sample.ttft_s = seconds(ttfb_ - start_);
    sample.overhead_s = seconds(end - start_ - upstream_wait_);
    sample.prompt_tokens = usage_.prompt_tokens;
    sample.completion_tokens = usage_.completion_tokens;
    sample.cached_tokens = usage_.cached_tokens;
    sample.reasoning_tokens = usage_.reasoning_tokens;
    sample.cost_usd = cost_usd_;
    metrics_->record(sample);
}

std::int64_t RequestScope::overhead_us() const {
    return micros(Clock::now() - start_ - upstream_wait_);
}

awaitable<void> RequestScope::send_json(http::Status status, std::string body) {
    http::Response res{status, 11};
    res.set(http::bhttp::field::content_type, "application/json");
    res.body() = std::move(body);
    stamp(res);
    first_byte();
    co_await out_.send(std::move(res));
}

awaitable<void> RequestScope::fail(openai::ApiError error) {
    note_error(error.code.empty() ? error.type : error.code);
    // An overloaded gateway always says when to come back, whichever way it found out.
    if (error.code == "gateway_overloaded" && retry_after_.count() == 0)
        retry_after_ = std::chrono::seconds(1);
    if (error.retry_after.count() > 0) retry_after_ = error.retry_after;
    // A spent budget refuses the same request again at once: OpenAI's SDKs obey x-should-retry over their
    // own rule of retrying every 429.
    if (error.code == "budget_exceeded") should_retry_ = false;
    http::Response res{static_cast<http::Status>(error.status), 11};
    res.set(http::bhttp::field::content_type, "application/json");
    if (error.status == 401) res.set(http::bhttp::field::www_authenticate, "Bearer");
    res.body() = error.body();
    stamp(res);
    first_byte();
    co_await out_.send(std::move(res));
}

}  // namespace gaterouter::api
