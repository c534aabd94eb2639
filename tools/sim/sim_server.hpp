#pragma once
// The simulator's endpoints: the three chat protocols, the model list, and the control and statistics endpoints
// tests and benchmarks use to set knobs and see what reached the "provider".

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "dialect.hpp"
#include "gaterouter/http/router.hpp"
#include "knobs.hpp"

namespace gaterouter::sim {

struct Stats {
    std::atomic<std::uint64_t> requests_total{0};
    std::atomic<std::uint64_t> errors_injected{0};
    std::atomic<std::uint64_t> rate_limited{0};
    std::atomic<std::int64_t> active_streams{0};
    std::atomic<std::uint64_t> streams_completed{0};
    std::atomic<std::uint64_t> streams_aborted{0};

    std::mutex mutex;  // guards what follows: control and bookkeeping, never held across I/O
    std::map<std::string, std::uint64_t> requests_by_model;
    std::map<std::string, std::deque<std::chrono::steady_clock::time_point>> recent_by_model;  // for rpm_limit
    nlohmann::json last_request = nlohmann::json::object();
};

class SimServer {
public:
    // `connections` reports {open, accepted} client connections summed over all workers.
    SimServer(KnobStore& knobs, std::function<std::pair<std::size_t, std::uint64_t>()> connections);

    void add_routes(http::Router& router);
    nlohmann::json stats_json();

private:
    awaitable<void> serve_chat(const Dialect& dialect, http::Request& request, http::ResponseWriter& out);
    // OpenAI's /v1/embeddings, or Gemini's :batchEmbedContents / :embedContent.
    awaitable<void> serve_embeddings(http::Request& request, http::ResponseWriter& out, bool gemini);
    awaitable<void> stream_answer(const Dialect& dialect, const Answer& answer, const Knobs& knobs,
                                  http::ResponseWriter& out);
    bool admit(const std::string& model, int rpm_limit);
    void record(const http::Request& request, const std::string& model);

    KnobStore& knobs_;
    std::function<std::pair<std::size_t, std::uint64_t>()> connections_;
    Stats stats_;
    std::unique_ptr<Dialect> openai_, anthropic_, gemini_;
};

}  // namespace gaterouter::sim
