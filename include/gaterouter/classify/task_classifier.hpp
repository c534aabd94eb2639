#pragma once
// The task classifier: tags a chat request, before routing, with a task type and a weight class. The task
// comes from a multinomial logistic regression (softmax) over hashed n-gram features of the prompt
// (features.hpp), trained offline by tools/train-classifier on data/classifier/prompts.tsv; the weight class
// comes from a small rule on top of the task and the request's size (weight_class below).

#include <array>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gaterouter/catalog/task.hpp"
#include "gaterouter/classify/features.hpp"

namespace gaterouter::classify {

// The task types and weight classes are the catalog's (its quality priors are per task type).
using catalog::index_of;
using catalog::kTaskCount;
using catalog::parse_task;
using catalog::parse_weight;
using catalog::task_name;
using catalog::TaskType;
using catalog::Weight;
using catalog::weight_name;

// What the classifier looks at in a request. The caller extracts it (request_text.hpp does it for a Chat
// Completions body).
struct ClassifierInput {
    std::string_view text;                   // system, developer and user text, bounded in bytes
    bool has_tools = false;                  // a non-empty `tools` list
    bool json_output = false;                // response_format asks for JSON
    std::optional<std::int64_t> max_tokens;  // the requested output limit, if given
    std::uint32_t prompt_tokens = 0;         // the estimated prompt tokens of the whole request
};

struct Classification {
    TaskType task = TaskType::chat;
    float confidence = 0;  // the model's probability for `task`, in (0, 1]
    Weight weight = Weight::standard;
};

using TaskScores = std::array<float, kTaskCount>;

// One weight of the model: feature bucket × task.
struct ModelWeight {
    std::uint32_t bucket = 0;
    TaskType task = TaskType::chat;
    float value = 0;
};

// Immutable once built; classify() is safe to call from any number of threads at once.
class TaskClassifier {
  public:
    // A model with no weights: every prompt scores the same (chat, at 1/kTaskCount).
    TaskClassifier();
    // Zero weights are dropped; a (bucket, task) given twice is summed.
    TaskClassifier(const TaskScores& bias, std::span<const ModelWeight> weights);

    // Reads a model file (format below); throws std::runtime_error naming the file and line on any problem.
    static TaskClassifier load(const std::string& path);
    static TaskClassifier read(std::istream& in, const std::string& source_name);

    // The model file, text:
    //   gaterouter-task-classifier <format version> features <feature version> buckets <n> classes <a,b,...>
    //   bias <class index> <value>          (one per class)
    //   <bucket> <class index> <value>      (one per non-zero weight, by bucket)
    // Class indexes refer to the header's list, which must name every task type once.
    void write(std::ostream& out) const;
    void save(const std::string& path) const;  // throws std::runtime_error when the file cannot be written

    Classification classify(const ClassifierInput& input) const;
    // Softmax probabilities per task (indexed by TaskType) for already extracted features.
    TaskScores probabilities(std::span<const Feature> features) const;

    std::size_t weight_count() const;
    const TaskScores& bias() const { return bias_; }

  private:
    TaskScores bias_{};
    // Only buckets with some non-zero weight get a row, so the rows a prompt touches stay few and close.
    std::vector<std::uint32_t>
        row_of_bucket_;  // kFeatureBuckets entries: the bucket's row, 0 (all zero) if none
    std::vector<std::uint32_t> row_bucket_;  // the bucket of rows 1, 2, ...: ascending
    std::vector<float> rows_;                // kTaskCount weights per row
};

// True when the text asks for deliberate work: "step by step", "prove", "derive", "design", "analyze", ...
// (English cues, matched at word starts, case-insensitively, within the same byte budget as the features).
bool has_reasoning_cue(std::string_view text);

// The weight class of a request of the given task; the rule is documented at its definition.
Weight weight_class(TaskType task, const ClassifierInput& input);

}  // namespace gaterouter::classify
