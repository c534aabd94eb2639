#include "gaterouter/classify/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace gaterouter::classify {
namespace {

constexpr float kAdaGradEpsilon = 1e-8f;

TaskScores softmax(TaskScores scores) {
    const float top = *std::max_element(scores.begin(), scores.end());
    float sum = 0;
    for (float& s : scores) sum += (s = std::exp(s - top));
    for (float& s : scores) s /= sum;
    return scores;
}

std::size_t argmax(const TaskScores& scores) {
    return static_cast<std::size_t>(std::max_element(scores.begin(), scores.end()) - scores.begin());
}

}  // namespace

TaskClassifier train(std::span<const TrainingExample> examples, const TrainingOptions& options) {
    // Dense during training (2 x 9.4 MB); the shipped model keeps only what survives pruning.
    std::vector<float> weights(std::size_t{kFeatureBuckets} * kTaskCount, 0.0f);
    std::vector<float> squared(weights.size(), 0.0f);  // AdaGrad's sums of squared gradients
    TaskScores bias{}, bias_squared{};

    std::vector<std::size_t> order(examples.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    // mt19937_64's output is fixed by the standard; the shuffle is written out, since std::shuffle's is not.
    std::mt19937_64 rng(options.seed);
    const float rate = options.learning_rate;

    for (int epoch = 0; epoch < options.epochs; ++epoch) {
        for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
        for (const std::size_t index : order) {
            const TrainingExample& ex = examples[index];
            TaskScores scores = bias;
            for (const Feature& f : ex.features) {
                const float* w = &weights[std::size_t{f.bucket} * kTaskCount];
                for (std::size_t c = 0; c < kTaskCount; ++c) scores[c] += w[c] * f.value;
            }
            TaskScores gradient = softmax(scores);  // d(cross-entropy)/d(score) = p - y
            gradient[static_cast<std::size_t>(ex.task)] -= 1.0f;
            for (std::size_t c = 0; c < kTaskCount; ++c) {
                bias_squared[c] += gradient[c] * gradient[c];
                bias[c] -= rate * gradient[c] / (std::sqrt(bias_squared[c]) + kAdaGradEpsilon);
            }
            for (const Feature& f : ex.features) {
                const std::size_t row = std::size_t{f.bucket} * kTaskCount;
                for (std::size_t c = 0; c < kTaskCount; ++c) {
                    float& w = weights[row + c];
                    const float g = gradient[c] * f.value + options.l2 * w;
                    squared[row + c] += g * g;
                    w -= rate * g / (std::sqrt(squared[row + c]) + kAdaGradEpsilon);
                }
            }
        }
    }

    // Softmax is unchanged when one feature's weights all move by the same amount, so each bucket's are
    // centred on their median: a bucket seen in a few prompts of one task then keeps a weight or two, the
    // rest falling to about zero (AdaGrad moves every class by the same step at first), and pruning leaves a
    // small model.
    std::vector<ModelWeight> kept;
    for (std::uint32_t bucket = 0; bucket < kFeatureBuckets; ++bucket) {
        float* w = &weights[std::size_t{bucket} * kTaskCount];
        TaskScores sorted;
        std::copy(w, w + kTaskCount, sorted.begin());
        std::nth_element(sorted.begin(), sorted.begin() + kTaskCount / 2, sorted.end());
        const float median = sorted[kTaskCount / 2];
        for (std::size_t c = 0; c < kTaskCount; ++c) {
            const float centred = w[c] - median;
            if (std::fabs(centred) >= options.prune_below && centred != 0) {
                kept.push_back({bucket, static_cast<TaskType>(c), centred});
            }
        }
    }
    return TaskClassifier(bias, kept);
}

std::size_t Evaluation::total() const {
    std::size_t n = 0;
    for (const auto& row : confusion) {
        for (const std::size_t v : row) n += v;
    }
    return n;
}

std::size_t Evaluation::correct() const {
    std::size_t n = 0;
    for (std::size_t c = 0; c < kTaskCount; ++c) n += confusion[c][c];
    return n;
}

double Evaluation::accuracy() const {
    const std::size_t n = total();
    return n == 0 ? 0.0 : static_cast<double>(correct()) / static_cast<double>(n);
}

double Evaluation::precision(TaskType task) const {
    const auto t = static_cast<std::size_t>(task);
    std::size_t predicted = 0;
    for (std::size_t c = 0; c < kTaskCount; ++c) predicted += confusion[c][t];
    return predicted == 0 ? 0.0 : static_cast<double>(confusion[t][t]) / static_cast<double>(predicted);
}

double Evaluation::recall(TaskType task) const {
    const auto t = static_cast<std::size_t>(task);
    const std::size_t n = support(task);
    return n == 0 ? 0.0 : static_cast<double>(confusion[t][t]) / static_cast<double>(n);
}

std::size_t Evaluation::support(TaskType task) const {
    std::size_t n = 0;
    for (const std::size_t v : confusion[static_cast<std::size_t>(task)]) n += v;
    return n;
}

Evaluation evaluate(const TaskClassifier& model, std::span<const TrainingExample> examples) {
    Evaluation e;
    for (const TrainingExample& ex : examples) {
        const std::size_t predicted = argmax(model.probabilities(ex.features));
        ++e.confusion[static_cast<std::size_t>(ex.task)][predicted];
    }
    return e;
}

}  // namespace gaterouter::classify
