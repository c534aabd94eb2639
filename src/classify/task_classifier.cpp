#include "gaterouter/classify/task_classifier.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <istream>
#include <ostream>
#include <stdexcept>

namespace gaterouter::classify {
namespace {

constexpr std::string_view kMagic = "gaterouter-task-classifier";
constexpr int kFormatVersion = 1;

class ModelReader {
  public:
    ModelReader(std::istream& in, const std::string& source) : in_(in), source_(source) {}

    TaskClassifier read() {
        std::string line;
        if (!next(line)) fail("empty file, expected the header line");
        const auto class_of_index = header(line);
        TaskScores bias{};
        std::array<bool, kTaskCount> has_bias{};
        std::vector<ModelWeight> weights;
        while (next(line)) {
            if (line.empty()) continue;
            const auto fields = split(line);
            if (fields.size() != 3) fail("expected 'bucket class weight' or 'bias class weight'");
            const std::size_t cls = number<std::size_t>(fields[1], "class index");
            if (cls >= class_of_index.size()) fail("class index out of range");
            const float value = number<float>(fields[2], "weight");
            if (!std::isfinite(value)) fail("weight is not a finite number");
            const TaskType task = class_of_index[cls];
            if (fields[0] == "bias") {
                if (has_bias[index_of(task)]) fail("bias given twice for one class");
                has_bias[index_of(task)] = true;
                bias[index_of(task)] = value;
                continue;
            }
            const auto bucket = number<std::uint32_t>(fields[0], "bucket");
            if (bucket >= kFeatureBuckets) fail("bucket out of range");
            weights.push_back({bucket, task, value});
        }
        if (in_.bad()) fail("read error");
        std::sort(weights.begin(), weights.end(), [](const ModelWeight& a, const ModelWeight& b) {
            return a.bucket != b.bucket ? a.bucket < b.bucket : a.task < b.task;
        });
        for (std::size_t i = 1; i < weights.size(); ++i) {
            if (weights[i].bucket == weights[i - 1].bucket && weights[i].task == weights[i - 1].task) {
                line_ = 0;
                fail("weight for bucket " + std::to_string(weights[i].bucket) + " and class " +
                     std::string(task_name(weights[i].task)) + " given twice");
            }
        }
        return TaskClassifier(bias, weights);
    }

  private:
    bool next(std::string& line) {
        if (!std::getline(in_, line)) return false;
        ++line_;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return true;
    }

    [[noreturn]] void fail(const std::string& message) const {
        std::string where = source_;
        if (line_ > 0) where += ":" + std::to_string(line_);
        throw std::runtime_error("task classifier model " + where + ": " + message);
    }

    static std::vector<std::string_view> split(std::string_view line) {
        std::vector<std::string_view> fields;
        std::size_t pos = 0;
        while (pos < line.size()) {
            while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
            const std::size_t start = pos;
            while (pos < line.size() && line[pos] != ' ' && line[pos] != '\t') ++pos;
            if (pos > start) fields.push_back(line.substr(start, pos - start));
        }
        return fields;
    }

    template <class T>
    T number(std::string_view text, const char* what) const {
        T value{};
        const auto* end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, value);
        if (ec != std::errc{} || ptr != end)
            fail(std::string("bad ") + what + " '" + std::string(text) + "'");
        return value;
    }

    // The header: magic, versions, bucket count, class names. Returns the task of each class index.
    std::vector<TaskType> header(const std::string& line) const {
        const auto f = split(line);
        if (f.empty() || f[0] != kMagic)
            fail("not a task classifier model (the header must start with '" + std::string(kMagic) + "')");
        if (f.size() != 8 || f[2] != "features" || f[4] != "buckets" || f[6] != "classes") {
            fail("bad header, expected '" + std::string(kMagic) +
                 " <version> features <version> buckets <n> classes <names>'");
        }
        if (number<int>(f[1], "format version") != kFormatVersion) {
            fail("unsupported format version " + std::string(f[1]) + " (this build reads " +
                 std::to_string(kFormatVersion) + ")");
        }
        if (number<int>(f[3], "feature version") != kFeatureVersion) {
            fail("trained on feature version " + std::string(f[3]) + ", this build extracts version " +
                 std::to_string(kFeatureVersion) + ": retrain the model");
        }
        if (number<std::uint32_t>(f[5], "bucket count") != kFeatureBuckets) {
            fail("trained with " + std::string(f[5]) + " feature buckets, this build uses " +
                 std::to_string(kFeatureBuckets));
        }
        std::vector<TaskType> tasks;
        std::array<bool, kTaskCount> seen{};
        std::string_view names = f[7];
        while (!names.empty()) {
            const auto comma = names.find(',');
            const auto name = names.substr(0, comma);
            const auto task = parse_task(name);
            if (!task) fail("unknown class '" + std::string(name) + "'");
            if (seen[index_of(*task)]) fail("class '" + std::string(name) + "' listed twice");
            seen[index_of(*task)] = true;
            tasks.push_back(*task);
            names = comma == std::string_view::npos ? std::string_view{} : names.substr(comma + 1);
        }
        for (std::size_t i = 0; i < kTaskCount; ++i) {
            if (!seen[i])
                fail("class '" + std::string(task_name(static_cast<TaskType>(i))) +
                     "' missing from the header");
        }
        return tasks;
    }

    std::istream& in_;
    const std::string& source_;
    std::size_t line_ = 0;
};

void append_float(std::string& out, float value) {
    char buf[32];
    // Five significant digits: far below the noise of training, and it keeps the file small.
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::general, 5);
    out.append(buf, end);
}

}  // namespace

TaskClassifier::TaskClassifier() = default;

TaskClassifier::TaskClassifier(const TaskScores& bias, std::span<const ModelWeight> weights) : bias_(bias) {
    std::vector<ModelWeight> sorted;
    sorted.reserve(weights.size());
    for (const auto& w : weights) {
        if (w.value != 0 && w.bucket < kFeatureBuckets) sorted.push_back(w);
    }
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const ModelWeight& a, const ModelWeight& b) { return a.bucket < b.bucket; });
    row_of_bucket_.assign(kFeatureBuckets, 0);
    rows_.assign(kTaskCount, 0.0f);  // row 0: the zero row of every bucket without weights
    for (const auto& w : sorted) {
        if (row_of_bucket_[w.bucket] == 0) {
            row_bucket_.push_back(w.bucket);
            row_of_bucket_[w.bucket] = static_cast<std::uint32_t>(row_bucket_.size());
            rows_.resize(rows_.size() + kTaskCount, 0.0f);
        }
        rows_[row_of_bucket_[w.bucket] * kTaskCount + index_of(w.task)] += w.value;
    }
}

TaskClassifier TaskClassifier::load(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("task classifier model " + path + ": cannot open the file");
    return read(in, path);
}

TaskClassifier TaskClassifier::read(std::istream& in, const std::string& source_name) {
    return ModelReader(in, source_name).read();
}

void TaskClassifier::write(std::ostream& out) const {
    std::string text;
    text.append(kMagic).append(" ").append(std::to_string(kFormatVersion));
    text.append(" features ").append(std::to_string(kFeatureVersion));
    text.append(" buckets ").append(std::to_string(kFeatureBuckets)).append(" classes ");
    for (std::size_t c = 0; c < kTaskCount; ++c)
        text.append(c ? "," : "").append(task_name(static_cast<TaskType>(c)));
    text.push_back('\n');
    for (std::size_t c = 0; c < kTaskCount; ++c) {
        text.append("bias ").append(std::to_string(c)).push_back(' ');
        append_float(text, bias_[c]);
        text.push_back('\n');
    }
    for (std::size_t r = 0; r < row_bucket_.size(); ++r) {
        for (std::size_t c = 0; c < kTaskCount; ++c) {
            const float w = rows_[(r + 1) * kTaskCount + c];
            if (w == 0) continue;
            text.append(std::to_string(row_bucket_[r])).push_back(' ');
            text.append(std::to_string(c)).push_back(' ');
            append_float(text, w);
            text.push_back('\n');
        }
    }
    out << text;
}

void TaskClassifier::save(const std::string& path) const {
    std::ofstream out(path, std::ios::trunc);
    if (out) write(out);
    out.flush();
    if (!out) throw std::runtime_error("task classifier model " + path + ": cannot write the file");
}

TaskScores TaskClassifier::probabilities(std::span<const Feature> features) const {
    // Branch-free: a bucket without weights reads the zero row. Two sets of sums, for even and odd features,
    // halve the chain of dependent additions; they are local, since the result's own storage could alias the
    // weights and send every addition through memory.
    float even[kTaskCount] = {}, odd[kTaskCount] = {};
    if (!row_of_bucket_.empty()) {
        const std::uint32_t* row_of = row_of_bucket_.data();
        const float* rows = rows_.data();
        std::size_t i = 0;
        for (; i + 1 < features.size(); i += 2) {
            const float* a = rows + std::size_t{row_of[features[i].bucket]} * kTaskCount;
            const float* b = rows + std::size_t{row_of[features[i + 1].bucket]} * kTaskCount;
            const float va = features[i].value, vb = features[i + 1].value;
            // Unrolled, so that the sums stay in registers (-O2 leaves a nine-step loop rolled).
#pragma GCC unroll 9
            for (std::size_t c = 0; c < kTaskCount; ++c) even[c] += a[c] * va;
#pragma GCC unroll 9
            for (std::size_t c = 0; c < kTaskCount; ++c) odd[c] += b[c] * vb;
        }
        if (i < features.size()) {
            const float* a = rows + std::size_t{row_of[features[i].bucket]} * kTaskCount;
            for (std::size_t c = 0; c < kTaskCount; ++c) even[c] += a[c] * features[i].value;
        }
    }
    TaskScores scores;
    for (std::size_t c = 0; c < kTaskCount; ++c) scores[c] = bias_[c] + even[c] + odd[c];
    const float top = *std::max_element(scores.begin(), scores.end());
    float sum = 0;
    for (float& s : scores) sum += (s = std::exp(s - top));
    for (float& s : scores) s /= sum;
    return scores;
}

Classification TaskClassifier::classify(const ClassifierInput& input) const {
    // Per thread, so that extraction reuses its memory and classify() stays const and lock-free.
    thread_local FeatureExtractor extractor;
    const TaskScores p = probabilities(extractor.extract(input.text));
    const auto best = static_cast<std::size_t>(std::max_element(p.begin(), p.end()) - p.begin());
    Classification result;
    result.task = static_cast<TaskType>(best);
    result.confidence = p[best];
    result.weight = weight_class(result.task, input);
    return result;
}

std::size_t TaskClassifier::weight_count() const {
    return static_cast<std::size_t>(
        std::count_if(rows_.begin(), rows_.end(), [](float w) { return w != 0; }));
}

}  // namespace gaterouter::classify
