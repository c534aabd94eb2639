#pragma once
// The simulator's per-model behaviour ("knobs"), from its YAML file and changed at run time over the control
// endpoint. Readers take an immutable snapshot without locking; writers publish a new one.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace gaterouter::sim {

struct Knobs {
    int latency_ms = 0;         // non-streaming: delay before the whole answer
    int ttft_ms = 0;            // streaming: delay before the first content chunk
    int token_interval_ms = 0;  // streaming: gap between content chunks
    int tokens = 16;            // completion tokens per answer
    double error_rate = 0.0;    // share of requests answered with error_status
    int error_status = 500;
    bool hang = false;        // accept and never answer
    double stall_rate = 0.0;  // share of requests whose answer (head included) is held back stall_ms
    int stall_ms = 0;
    int reset_after_chunks = -1;  // streaming: reset the connection after K content chunks
    int rpm_limit = 0;            // requests per minute before 429; 0: none

    // Sets the knobs named in `j`; throws std::invalid_argument naming an unknown knob or a bad value.
    void merge(const nlohmann::json& j);
    nlohmann::json to_json() const;
};

class KnobStore {
  public:
    struct Snapshot {
        Knobs defaults;
        std::map<std::string, Knobs> models;
        const Knobs& of(const std::string& model) const;
    };

    KnobStore();
    // Loads `defaults:` and `models:` from a YAML file; throws std::runtime_error with the line on bad input.
    void load_file(const std::string& path);
    std::shared_ptr<const Snapshot> snapshot() const { return current_.load(); }

    void set_model(const std::string& model, const nlohmann::json& knobs);  // merged over what it has now
    void reset_model(const std::string& model);
    void reset_all();  // back to what the file said

  private:
    void publish(Snapshot next);
    void publish_file(Snapshot s);
    std::mutex write_;
    Snapshot from_file_;
    std::atomic<std::shared_ptr<const Snapshot>> current_;
};

}  // namespace gaterouter::sim
