#include "knobs.hpp"

#include <yaml-cpp/yaml.h>

#include <stdexcept>

namespace gaterouter::sim {

namespace {

int as_int(const nlohmann::json& v, const std::string& name, int min) {
    if (!v.is_number_integer() || v.get<long long>() < min || v.get<long long>() > 100'000'000) {
        throw std::invalid_argument("knob '" + name + "' must be an integer >= " + std::to_string(min));
    }
    return v.get<int>();
}

[[noreturn]] void fail_at(const std::string& path, const YAML::Node& at, const std::string& what) {
    throw std::runtime_error(path + ":" + std::to_string(at.Mark().line + 1) + ": " + what);
}

// A YAML value as JSON, so the file and the control endpoint both go through Knobs::merge. Quoted scalars
// stay strings; a map or list becomes an array, which no knob accepts.
nlohmann::json yaml_value(const YAML::Node& node) {
    if (!node.IsScalar()) return node.IsNull() ? nlohmann::json() : nlohmann::json::array();
    const std::string& s = node.Scalar();
    if (node.Tag() == "!") return s;
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    nlohmann::json number = nlohmann::json::parse(s, nullptr, false);
    return number.is_number() ? number : nlohmann::json(s);
}

// Merges one YAML map of knobs into `into`; an error names the line of the knob at fault.
void merge_yaml(Knobs& into, const YAML::Node& map, const std::string& path) {
    if (map.IsNull()) return;
    if (!map.IsMap()) fail_at(path, map, "expected a map of knobs");
    for (const auto& kv : map) {
        try {
            into.merge(nlohmann::json{{kv.first.Scalar(), yaml_value(kv.second)}});
        } catch (const std::invalid_argument& e) {
            fail_at(path, kv.first, e.what());
        }
    }
}

}  // namespace

void Knobs::merge(const nlohmann::json& j) {
    if (!j.is_object()) throw std::invalid_argument("knobs must be a JSON object");
    for (const auto& [name, v] : j.items()) {
        if (name == "latency_ms") {
            latency_ms = as_int(v, name, 0);
        } else if (name == "ttft_ms") {
            ttft_ms = as_int(v, name, 0);
        } else if (name == "token_interval_ms") {
            token_interval_ms = as_int(v, name, 0);
        } else if (name == "tokens") {
            tokens = as_int(v, name, 1);
        } else if (name == "error_rate") {
            if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1) {
                throw std::invalid_argument("knob 'error_rate' must be a number in [0, 1]");
            }
            error_rate = v.get<double>();
        } else if (name == "error_status") {
            error_status = as_int(v, name, 400);
            if (error_status > 599) throw std::invalid_argument("knob 'error_status' must be 400..599");
        } else if (name == "hang") {
            if (!v.is_boolean()) throw std::invalid_argument("knob 'hang' must be true or false");
            hang = v.get<bool>();
        } else if (name == "stall_rate") {
            if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1) {
                throw std::invalid_argument("knob 'stall_rate' must be a number in [0, 1]");
            }
            stall_rate = v.get<double>();
        } else if (name == "stall_ms") {
            stall_ms = as_int(v, name, 0);
        } else if (name == "reset_after_chunks") {
            reset_after_chunks = as_int(v, name, -1);
        } else if (name == "rpm_limit") {
            rpm_limit = as_int(v, name, 0);
        } else {
            throw std::invalid_argument("unknown knob '" + name + "'");
        }
    }
}

nlohmann::json Knobs::to_json() const {
    return {{"latency_ms", latency_ms},
            {"ttft_ms", ttft_ms},
            {"token_interval_ms", token_interval_ms},
            {"tokens", tokens},
            {"error_rate", error_rate},
            {"error_status", error_status},
            {"hang", hang},
            {"stall_rate", stall_rate},
            {"stall_ms", stall_ms},
            {"reset_after_chunks", reset_after_chunks},
            {"rpm_limit", rpm_limit}};
}

const Knobs& KnobStore::Snapshot::of(const std::string& model) const {
    const auto it = models.find(model);
    return it == models.end() ? defaults : it->second;
}

KnobStore::KnobStore() : current_(std::make_shared<const Snapshot>()) {}

void KnobStore::load_file(const std::string& path) {
    YAML::Node root;
    try {
        root = YAML::LoadFile(path);
    } catch (const YAML::Exception& e) {
        if (e.mark.is_null()) throw std::runtime_error(path + ": " + e.msg);
        throw std::runtime_error(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
    Snapshot s;
    if (root.IsNull()) return publish_file(std::move(s));
    if (!root.IsMap()) fail_at(path, root, "expected a map with defaults: and models:");
    for (const auto& kv : root) {
        const std::string key = kv.first.Scalar();
        // correctness: is read by correctness.cpp.
        if (key != "defaults" && key != "models" && key != "correctness") {
            fail_at(path, kv.first, "unknown key '" + key + "' (expected defaults, models or correctness)");
        }
    }
    // Defaults first, wherever they stand in the file: every model starts from them.
    const YAML::Node& file = root;  // const: operator[] must not add the keys it looks up
    if (file["defaults"]) merge_yaml(s.defaults, file["defaults"], path);
    if (const YAML::Node models = file["models"]; models && !models.IsNull()) {
        if (!models.IsMap()) fail_at(path, models, "models: expected a map of model name to knobs");
        for (const auto& m : models) {
            Knobs k = s.defaults;
            merge_yaml(k, m.second, path);
            s.models[m.first.Scalar()] = k;
        }
    }
    publish_file(std::move(s));
}

void KnobStore::publish_file(Snapshot s) {
    std::lock_guard lock(write_);
    from_file_ = s;
    publish(std::move(s));
}

void KnobStore::publish(Snapshot next) {
    current_.store(std::make_shared<const Snapshot>(std::move(next)));
}

void KnobStore::set_model(const std::string& model, const nlohmann::json& knobs) {
    std::lock_guard lock(write_);
    Snapshot next = *current_.load();
    Knobs k = next.of(model);
    k.merge(knobs);
    next.models[model] = k;
    publish(std::move(next));
}

void KnobStore::reset_model(const std::string& model) {
    std::lock_guard lock(write_);
    Snapshot next = *current_.load();
    const auto it = from_file_.models.find(model);
    if (it == from_file_.models.end()) {
        next.models.erase(model);
    } else {
        next.models[model] = it->second;
    }
    publish(std::move(next));
}

void KnobStore::reset_all() {
    std::lock_guard lock(write_);
    publish(from_file_);
}

}  // namespace gaterouter::sim
