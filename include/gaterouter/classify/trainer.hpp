#pragma once
// Training and evaluation of the task classifier's softmax model, for tools/train-classifier and the tests.
// Deterministic: the same examples, options and seed give the same model, to the bit.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "gaterouter/classify/features.hpp"
#include "gaterouter/classify/task_classifier.hpp"

namespace gaterouter::classify {

struct TrainingExample {
    TaskType task = TaskType::chat;
    std::vector<Feature> features;  // from extract_features
};

struct TrainingOptions {
    int epochs = 15;
    float learning_rate = 0.2f;  // AdaGrad's base step
    float l2 = 1e-4f;            // L2 penalty, applied to the weights each example touches
    std::uint64_t seed = 1;      // shuffles the examples before each epoch
    float prune_below = 0.1f;    // weights of smaller magnitude (once centred) are left out of the model
};

// Multinomial logistic regression by AdaGrad over the examples, one at a time.
TaskClassifier train(std::span<const TrainingExample> examples, const TrainingOptions& options);

struct Evaluation {
    std::array<std::array<std::size_t, kTaskCount>, kTaskCount> confusion{};  // [true task][predicted task]

    std::size_t total() const;
    std::size_t correct() const;
    double accuracy() const;
    double precision(TaskType task) const;  // 0 when the task was never predicted
    double recall(TaskType task) const;     // 0 when the task never occurs
    std::size_t support(TaskType task) const;
};

Evaluation evaluate(const TaskClassifier& model, std::span<const TrainingExample> examples);

}  // namespace gaterouter::classify
