#include "gaterouter/obs/request_metrics.hpp"

#include <atomic>
#include <utility>

#include <fmt/format.h>

namespace gaterouter::obs {
namespace {

std::atomic<std::uint64_t> next_registry_id{1};

std::string label_key(const RequestSample& s) {
    std::string key;
    key.reserve(80);
    key.append("model=\"");
    append_label_value(key, s.model);
    key.append("\",provider=\"");
    append_label_value(key, s.provider);
    key.append("\",task=\"");
    append_label_value(key, s.task);
    key.append("\",status=\"").append(std::to_string(s.status)).append("\"");
    return key;
}

}  // namespace

void RequestMetrics::Series::merge(const Series& o) {
    requests += o.requests;
    duration.merge(o.duration);
    ttft.merge(o.ttft);
    overhead.merge(o.overhead);
    prompt_tokens += o.prompt_tokens;
    completion_tokens += o.completion_tokens;
    cached_tokens += o.cached_tokens;
    reasoning_tokens += o.reasoning_tokens;
    cost_usd += o.cost_usd;
}

RequestMetrics::RequestMetrics() : id_(next_registry_id.fetch_add(1)) {}
RequestMetrics::~RequestMetrics() = default;

RequestMetrics::Shard& RequestMetrics::shard() {
    // Shards outlive nothing they point at: a registry owns its shards, and a thread only looks up its own
    // registry's entry (ids are never reused).
    thread_local std::vector<std::pair<std::uint64_t, Shard*>> mine;
    for (const auto& [id, s] : mine) {
        if (id == id_) return *s;
    }
    std::lock_guard lock(shards_mutex_);
    Shard* s = shards_.emplace_back(std::make_unique<Shard>()).get();
    mine.emplace_back(id_, s);
    return *s;
}

void RequestMetrics::record(const RequestSample& sample) {
    const std::string key = label_key(sample);
    Shard& s = shard();
    std::lock_guard lock(s.mutex);
    auto it = s.series.find(key);
    if (it == s.series.end()) it = s.series.emplace(key, Series{}).first;
    Series& series = it->second;
    ++series.requests;
    series.duration.observe(sample.duration_s, kDurationBuckets);
    if (sample.ttft_s >= 0) series.ttft.observe(sample.ttft_s, kDurationBuckets);
    series.overhead.observe(sample.overhead_s, kOverheadBuckets);
    series.prompt_tokens += sample.prompt_tokens;
    series.completion_tokens += sample.completion_tokens;
    series.cached_tokens += sample.cached_tokens;
    series.reasoning_tokens += sample.reasoning_tokens;
    series.cost_usd += sample.cost_usd;
}

void RequestMetrics::render(std::string& out) const {
    std::map<std::string, Series, std::less<>> merged;
    {
        std::lock_guard lock(shards_mutex_);
        for (const auto& shard : shards_) {
            std::lock_guard shard_lock(shard->mutex);
            for (const auto& [key, series] : shard->series) merged[key].merge(series);
        }
    }
    family(out, "gaterouter_requests_total", "counter",
           "Chat and embeddings requests, by served model and status.");
    for (const auto& [labels, s] : merged)
        out.append(fmt::format("gaterouter_requests_total{{{}}} {}\n", labels, s.requests));
    family(out, "gaterouter_request_duration_seconds", "histogram",
           "Time from request to the end of the answer.");
    for (const auto& [labels, s] : merged)
        render_histogram(out, "gaterouter_request_duration_seconds", labels, s.duration, kDurationBuckets);
    family(out, "gaterouter_time_to_first_token_seconds", "histogram",
           "Streams: time from request to the first byte of the answer.");
    for (const auto& [labels, s] : merged) {
        if (s.ttft.count > 0)
            render_histogram(out, "gaterouter_time_to_first_token_seconds", labels, s.ttft, kDurationBuckets);
    }
    family(out, "gaterouter_overhead_seconds", "histogram",
           "The gateway's own time per request: the total minus the time spent waiting on upstreams.");
    for (const auto& [labels, s] : merged)
        render_histogram(out, "gaterouter_overhead_seconds", labels, s.overhead, kOverheadBuckets);
    family(out, "gaterouter_tokens_total", "counter", "Tokens as the upstreams reported them, by kind.");
    for (const auto& [labels, s] : merged) {
        const std::pair<const char*, std::int64_t> kinds[] = {{"prompt", s.prompt_tokens},
                                                              {"completion", s.completion_tokens},
                                                              {"cached", s.cached_tokens},
                                                              {"reasoning", s.reasoning_tokens}};
        for (const auto& [kind, n] : kinds)
            out.append(fmt::format("gaterouter_tokens_total{{{},kind=\"{}\"}} {}\n", labels, kind, n));
    }
    family(out, "gaterouter_cost_usd_total", "counter",
           "Spend at the catalog's prices, from the reported usage.");
    for (const auto& [labels, s] : merged)
        out.append(fmt::format("gaterouter_cost_usd_total{{{}}} {}\n", labels, s.cost_usd));
}

}  // namespace gaterouter::obs
