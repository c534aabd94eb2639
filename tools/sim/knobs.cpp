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

// YAML scalars to JSON values, so both sources go through Knobs::merge.
nlohmann::json yaml_to_json(const YAML::Node& node) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& kv : node) {
        const std::string s = kv.second.Scalar();
        if (s == "true" || s == "false") {
            j[kv.first.Scalar()] = s == "true";
        } else {
            j[kv.first.Scalar()] = nlohmann::json::parse(s, nullptr, false);
            if (j[kv.first.Scalar()].is_discarded()) j[kv.first.Scalar()] = s;
        }
    }
    return j;
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
    return {{"latency_ms", latency_ms},   {"ttft_ms", ttft_ms},       {"token_interval_ms", token_interval_ms},
            {"tokens", tokens},           {"error_rate", error_rate}, {"error_status", error_status},
            {"hang", hang},               {"reset_after_chunks", reset_after_chunks},
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
        throw std::runtime_error(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
    Snapshot s;
    const auto fail = [&](const YAML::Node& at, const std::string& what) {
        throw std::runtime_error(path + ":" + std::to_string(at.Mark().line + 1) + ": " + what);
    };
    for (const auto& kv : root) {
        const std::string key = kv.first.Scalar();
        try {
            if (key == "defaults") {
                s.defaults.merge(yaml_to_json(kv.second));
            } else if (key == "models") {
                for (const auto& m : kv.second) {
                    Knobs k = s.defaults;
                    k.merge(yaml_to_json(m.second));
                    s.models[m.first.Scalar()] = k;
                }
            } else {
                fail(kv.first, "unknown key '" + key + "' (expected defaults or models)");
            }
        } catch (const std::invalid_argument& e) {
            fail(kv.second, e.what());
        }
    }
    std::lock_guard lock(write_);
    from_file_ = s;
    publish(std::move(s));
}

void KnobStore::publish(Snapshot next) { current_.store(std::make_shared<const Snapshot>(std::move(next))); }

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
