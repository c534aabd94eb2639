#pragma once
// Per-request metrics for /metrics (Prometheus text format): counts, latency, time-to-first-token and
// gateway-overhead histograms, tokens and cost, labelled by model, provider, task type and status.
//
// Every worker thread records into a shard of its own (found through a thread-local, locked only by that
// thread and by a scrape), and a scrape merges the shards, so requests never contend on shared counters.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "gaterouter/obs/prometheus.hpp"

namespace gaterouter::obs {

struct RequestSample {
    std::string_view model;     // the model that served it; empty when none did
    std::string_view provider;  // its provider
    std::string_view task;      // the classifier's task type; empty when not classified
    unsigned status = 0;
    double duration_s = 0;
    double ttft_s =
        -1;  // streams: first byte to the client; negative when not a stream (or nothing was sent)
    double overhead_s = 0;
    std::int64_t prompt_tokens = 0;
    std::int64_t completion_tokens = 0;
    std::int64_t cached_tokens = 0;
    std::int64_t reasoning_tokens = 0;
    double cost_usd = 0;
};

class RequestMetrics {
  public:
    RequestMetrics();
    ~RequestMetrics();
    RequestMetrics(const RequestMetrics&) = delete;
    RequestMetrics& operator=(const RequestMetrics&) = delete;

    void record(const RequestSample& sample);
    // Appends the metric families in Prometheus text format.
    void render(std::string& out) const;

    static constexpr std::array<double, 14> kDurationBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                                1,     2.5,  5,     10,   30,  60,   120};
    static constexpr std::array<double, 10> kOverheadBuckets = {0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                                                0.0025,  0.005,  0.01,    0.025,  0.05};

    template <std::size_t N>
    using Histogram = obs::Histogram<N>;

    struct Series {
        std::uint64_t requests = 0;
        Histogram<kDurationBuckets.size()> duration;
        Histogram<kDurationBuckets.size()> ttft;
        Histogram<kOverheadBuckets.size()> overhead;
        std::int64_t prompt_tokens = 0, completion_tokens = 0, cached_tokens = 0, reasoning_tokens = 0;
        double cost_usd = 0;
        void merge(const Series& other);
    };

  private:
    struct Shard {
        std::mutex mutex;
        std::map<std::string, Series, std::less<>> series;  // by label key (the label text, rendered)
    };
    Shard& shard();

    const std::uint64_t id_;  // tells this registry's thread-local shards from another's (tests make several)
    mutable std::mutex shards_mutex_;
    std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace gaterouter::obs
