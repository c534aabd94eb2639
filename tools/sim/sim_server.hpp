#pragma once
// The simulator's endpoints: the three chat protocols, the model list, and the control and statistics
// endpoints tests and benchmarks use to set knobs and see what reached the "provider".

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "correctness.hpp"
#include "dialect.hpp"
#include "gaterouter/http/router.hpp"
#include "knobs.hpp"

namespace gaterouter::sim {

// What one worker counted and the last chat request it saw. Each worker writes only its own shard, so the
// request path never waits on another thread; GET /_sim/stats and /_sim/last_request merge the shards, and
// only they ever contend for a shard's mutex.
struct alignas(64) StatsShard {
    std::atomic<std::uint64_t> requests_total{0};
    std::atomic<std::uint64_t> errors_injected{0};
    std::atomic<std::uint64_t> rate_limited{0};
    std::atomic<std::int64_t> active_streams{0};
    std::atomic<std::uint64_t> streams_completed{0};
    std::atomic<std::uint64_t> streams_aborted{0};

    std::mutex mutex;  // guards what follows; never held across I/O
    std::map<std::string, std::uint64_t, std::less<>> requests_by_model;
    struct LastRequest {
        std::chrono::steady_clock::time_point at{};  // the epoch: none yet
        std::string path, body;
        std::vector<std::pair<std::string, std::string>> headers;  // reused, so recording seldom allocates
        std::size_t header_count = 0;
    } last;
};

class SimServer {
  public:
    // `connections` reports {open, accepted} client connections summed over all workers. `correctness` is
    // null when the feature is not configured.
    SimServer(KnobStore& knobs, Correctness* correctness,
              std::function<std::pair<std::size_t, std::uint64_t>()> connections);

    void add_routes(http::Router& router);
    nlohmann::json stats_json();

  private:
    awaitable<void> serve_chat(StatsShard& stats, const Dialect& dialect, http::Request& request,
                               http::ResponseWriter& out);
    // OpenAI's /v1/embeddings, or Gemini's :batchEmbedContents / :embedContent.
    awaitable<void> serve_embeddings(StatsShard& stats, http::Request& request, http::ResponseWriter& out,
                                     bool gemini);
    awaitable<void> stream_answer(StatsShard& stats, const Dialect& dialect, const Answer& answer,
                                  const Knobs& knobs, http::ResponseWriter& out);
    // rpm_limit: one window per model across all workers (a test knob, so a shared lock is fine).
    bool admit(const std::string& model, int rpm_limit);
    void record(StatsShard& stats, const http::Request& request, std::string_view model);
    void reset_stats();
    std::string last_request_json();

    KnobStore& knobs_;
    Correctness* correctness_;
    std::function<std::pair<std::size_t, std::uint64_t>()> connections_;
    std::mutex shards_mutex_;  // guards the list; each shard guards itself
    std::vector<std::unique_ptr<StatsShard>> shards_;
    std::mutex rpm_mutex_;
    std::map<std::string, std::deque<std::chrono::steady_clock::time_point>> recent_by_model_;
    std::unique_ptr<Dialect> openai_, anthropic_, gemini_;
};

}  // namespace gaterouter::sim
