#pragma once
// The correctness feature: for the prompts of a known workload, the simulator draws whether a model's answer
// is correct, with a per-model, per-task probability that the gateway never sees. Benchmarks of automatic
// model choice read the verdicts (x-sim-correct, GET /_sim/verdicts/<request-id>) to score the gateway's
// picks.

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace gaterouter::sim {

// The gateway's task types, in the catalog's order.
inline constexpr std::array<std::string_view, 9> kTasks = {"chat",       "classification", "summarization",
                                                           "extraction", "translation",    "code",
                                                           "math",       "reasoning",      "creative"};

struct WorkloadPrompt {
    std::size_t task = 0;  // index into kTasks
    int output_tokens = 1;
};

struct Verdict {
    std::string model;
    std::string_view task;
    bool correct = false;
};

class Correctness {
  public:
    // Verdicts kept for GET /_sim/verdicts; the oldest go first.
    static constexpr std::size_t kMaxVerdicts = 100'000;

    // The `correctness:` map of the simulator's YAML file, or null when it has none. Throws
    // std::runtime_error naming the file and line of a bad value.
    static std::unique_ptr<Correctness> load(const std::string& path);

    // The workload's entry for the text of a request's last user message; null when the prompt is unknown.
    const WorkloadPrompt* find(std::string_view prompt) const;
    // Draws whether `model` answers a prompt correctly and records it under `request_id` (when not empty);
    // nullopt when the model has no probability for the prompt's task.
    std::optional<bool> judge(std::string_view request_id, const std::string& model,
                              const WorkloadPrompt& prompt);
    std::optional<Verdict> verdict(std::string_view request_id) const;
    void clear_verdicts();

  private:
    std::uint64_t seed_ = 1;
    std::map<std::string, WorkloadPrompt, std::less<>> prompts_;
    // Per model, a probability per task; negative: not given (the model is not judged on that task).
    std::map<std::string, std::array<double, kTasks.size()>, std::less<>> probabilities_;
    std::atomic<std::uint64_t> anonymous_draws_{0};

    mutable std::mutex mutex_;  // guards the verdicts
    std::unordered_map<std::string, Verdict> verdicts_;
    std::deque<std::string> order_;  // request ids, oldest first
};

}  // namespace gaterouter::sim
