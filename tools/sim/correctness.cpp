#include "correctness.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace gaterouter::sim {
namespace {

[[noreturn]] void fail_at(const std::string& path, const YAML::Node& at, const std::string& what) {
    throw std::runtime_error(path + ":" + std::to_string(at.Mark().line + 1) + ": " + what);
}

YAML::Node load_yaml(const std::string& path) {
    try {
        return YAML::LoadFile(path);
    } catch (const YAML::Exception& e) {
        if (e.mark.is_null()) throw std::runtime_error(path + ": " + e.msg);
        throw std::runtime_error(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
}

std::optional<std::size_t> task_index(std::string_view name) {
    const auto it = std::find(kTasks.begin(), kTasks.end(), name);
    if (it == kTasks.end()) return std::nullopt;
    return static_cast<std::size_t>(it - kTasks.begin());
}

// A file named in the YAML file: relative paths start from the YAML file's folder.
std::string beside(const std::string& yaml_path, const std::string& name) {
    const std::filesystem::path p(name);
    return p.is_absolute() ? name : (std::filesystem::path(yaml_path).parent_path() / p).string();
}

// A TSV field with its escapes undone (\n, \t, \\), so prompts can span lines.
std::string unescape(std::string_view field) {
    std::string out;
    out.reserve(field.size());
    for (std::size_t i = 0; i < field.size(); ++i) {
        if (field[i] != '\\' || i + 1 == field.size()) {
            out += field[i];
            continue;
        }
        const char next = field[++i];
        if (next == 'n') {
            out += '\n';
        } else if (next == 't') {
            out += '\t';
        } else if (next == '\\') {
            out += '\\';
        } else {
            out.append({'\\', next});
        }
    }
    return out;
}

// splitmix64: spreads a seed and a key hash into a well-mixed 64-bit value.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 1469598103934665603ULL;
    for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    return h;
}

}  // namespace

std::unique_ptr<Correctness> Correctness::load(const std::string& path) {
    const YAML::Node root = load_yaml(path);
    if (!root.IsMap() || !root["correctness"]) return nullptr;
    const YAML::Node node = root["correctness"];
    if (!node.IsMap())
        fail_at(path, node, "correctness: expected a map with seed, workload and probabilities");
    auto c = std::make_unique<Correctness>();
    for (const auto& kv : node) {
        const std::string key = kv.first.Scalar();
        if (key != "seed" && key != "workload" && key != "probabilities") {
            fail_at(path, kv.first,
                    "correctness: unknown key '" + key + "' (expected seed, workload, probabilities)");
        }
    }
    if (const YAML::Node seed = node["seed"]) {
        try {
            c->seed_ = seed.as<std::uint64_t>();
        } catch (const YAML::Exception&) {
            fail_at(path, seed, "correctness.seed: expected a non-negative integer");
        }
    }

    const YAML::Node workload = node["workload"];
    if (!workload || !workload.IsScalar())
        fail_at(path, node, "correctness.workload: expected the path of a TSV file");
    const std::string tsv = beside(path, workload.Scalar());
    std::ifstream in(tsv);
    if (!in) fail_at(path, workload, "correctness.workload: cannot read " + tsv);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line.starts_with('#') || line.starts_with("task\t")) continue;
        const auto fail = [&](const std::string& what) {
            throw std::runtime_error(tsv + ":" + std::to_string(n) + ": " + what);
        };
        std::array<std::string_view, 4> cols;
        std::string_view rest = line;
        for (std::size_t i = 0; i < 3; ++i) {
            const auto tab = rest.find('\t');
            if (tab == std::string_view::npos)
                fail("expected task<TAB>weight<TAB>expected_output_tokens<TAB>prompt");
            cols[i] = rest.substr(0, tab);
            rest.remove_prefix(tab + 1);
        }
        cols[3] = rest;
        WorkloadPrompt p;
        const auto task = task_index(cols[0]);
        if (!task) fail("unknown task '" + std::string(cols[0]) + "'");
        p.task = *task;
        if (cols[1] != "light" && cols[1] != "standard" && cols[1] != "heavy") {
            fail("weight must be light, standard or heavy");
        }
        const auto [end, ec] =
            std::from_chars(cols[2].data(), cols[2].data() + cols[2].size(), p.output_tokens);
        if (ec != std::errc{} || end != cols[2].data() + cols[2].size() || p.output_tokens < 1) {
            fail("expected_output_tokens must be a positive integer");
        }
        std::string prompt = unescape(cols[3]);
        if (prompt.empty()) fail("empty prompt");
        if (!c->prompts_.emplace(std::move(prompt), p).second) fail("the same prompt is listed twice");
    }

    YAML::Node probabilities = node["probabilities"];
    std::string where = path;
    if (probabilities && probabilities.IsScalar()) {
        where = beside(path, probabilities.Scalar());
        probabilities = load_yaml(where);
    }
    if (!probabilities || !probabilities.IsMap()) {
        fail_at(
            where, probabilities ? probabilities : node,
            "correctness.probabilities: expected a map of model to {task: probability}, or the path of one");
    }
    for (const auto& model : probabilities) {
        if (!model.second.IsMap()) fail_at(where, model.first, "expected a map of task to probability");
        std::array<double, kTasks.size()> p;
        p.fill(-1.0);
        for (const auto& t : model.second) {
            const auto task = task_index(t.first.Scalar());
            if (!task) fail_at(where, t.first, "unknown task '" + t.first.Scalar() + "'");
            double value = -1;
            try {
                value = t.second.as<double>();
            } catch (const YAML::Exception&) {
            }
            if (value < 0 || value > 1) fail_at(where, t.second, "a probability must be a number in [0, 1]");
            p[*task] = value;
        }
        c->probabilities_[model.first.Scalar()] = p;
    }
    return c;
}

const WorkloadPrompt* Correctness::find(std::string_view prompt) const {
    const auto it = prompts_.find(prompt);
    return it == prompts_.end() ? nullptr : &it->second;
}

std::optional<bool> Correctness::judge(std::string_view request_id, const std::string& model,
                                       const WorkloadPrompt& prompt) {
    const auto it = probabilities_.find(model);
    if (it == probabilities_.end() || it->second[prompt.task] < 0) return std::nullopt;
    // The draw depends on the request id after its first ':' only, not on the model: requests that share that
    // part (the same prompt sent through different routes) share one uniform number, so a better model is
    // right whenever a worse one is, and comparisons of routes carry less sampling noise.
    std::uint64_t key;
    if (request_id.empty()) {
        key = mix(anonymous_draws_.fetch_add(1, std::memory_order_relaxed));
    } else {
        const auto colon = request_id.find(':');
        key = fnv1a(colon == std::string_view::npos ? request_id : request_id.substr(colon + 1));
    }
    const double u = static_cast<double>(mix(seed_ ^ key) >> 11) / 9007199254740992.0;  // [0, 1)
    const bool correct = u < it->second[prompt.task];
    if (request_id.empty()) return correct;

    std::lock_guard lock(mutex_);
    const auto [at, added] = verdicts_.try_emplace(std::string(request_id));
    at->second = Verdict{model, kTasks[prompt.task], correct};
    if (added) {
        order_.push_back(at->first);
        if (order_.size() > kMaxVerdicts) {
            verdicts_.erase(order_.front());
            order_.pop_front();
        }
    }
    return correct;
}

std::optional<Verdict> Correctness::verdict(std::string_view request_id) const {
    std::lock_guard lock(mutex_);
    const auto it = verdicts_.find(std::string(request_id));
    if (it == verdicts_.end()) return std::nullopt;
    return it->second;
}

void Correctness::clear_verdicts() {
    std::lock_guard lock(mutex_);
    verdicts_.clear();
    order_.clear();
}

}  // namespace gaterouter::sim
