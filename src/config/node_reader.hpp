#pragma once
// Reading YAML into typed values without stopping at the first mistake: every read that finds something wrong
// records a problem (YAML path, line, message) and carries on, so one pass reports everything wrong with a
// file. Private to the config area.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gaterouter/config/config.hpp"

namespace gaterouter::config::detail {

// Edits (insertions, deletions, substitutions, swaps of neighbours) that turn `a` into `b`.
std::size_t typo_distance(std::string_view a, std::string_view b);

template <class Names>
bool is_one_of(std::string_view value, const Names& names) {
    for (std::string_view name : names) {
        if (name == value) return true;
    }
    return false;
}

// The name `word` was most likely meant to be, or "" when none is close enough to be a typo of it.
template <class Names>
std::string closest(std::string_view word, const Names& names) {
    std::string best;
    std::size_t best_distance = std::max<std::size_t>(1, word.size() / 3) + 1;
    for (std::string_view name : names) {
        if (const std::size_t d = typo_distance(word, name); d < best_distance) {
            best = name;
            best_distance = d;
        }
    }
    return best;
}

// "unknown kind 'opneai', did you mean 'openai'?"
template <class Names>
std::string unknown_name(std::string_view what, std::string_view value, const Names& names) {
    std::string message = "unknown " + std::string(what) + " '" + std::string(value) + "'";
    if (const std::string guess = closest(value, names); !guess.empty()) {
        message += ", did you mean '" + guess + "'?";
    }
    return message;
}

template <class Names>
std::string joined(const Names& names) {
    std::string out;
    for (std::string_view name : names) out.append(out.empty() ? "" : ", ").append(name);
    return out;
}

// The same, listing what is accepted: "unknown kind 'smoke' (known: openai, anthropic)".
template <class Names>
std::string unknown_choice(std::string_view what, std::string_view value, const Names& names) {
    return unknown_name(what, value, names) + " (known: " + joined(names) + ")";
}

// A node and where it is: its YAML path ("providers[1].base_url") and 1-based line. An absent child keeps its
// parent's line, so "missing required key" points at the mapping that lacks the key.
class Located {
  public:
    Located(YAML::Node node, std::string path, int line)
        : node_(std::move(node)), path_(std::move(path)), line_(line) {}

    Located operator[](std::string_view key) const;  // a mapping's value; absent if it has no such key
    Located item(std::size_t index) const;           // a list's item
    // The value of one entry of this mapping, located at its key (a null value's own mark is unreliable).
    Located entry(const YAML::Node& key, const YAML::Node& value) const;

    // Null counts as absent: `key:` with nothing after it keeps the default.
    bool present() const { return node_.IsDefined() && !node_.IsNull(); }
    const YAML::Node& node() const { return node_; }
    const std::string& path() const { return path_; }
    int line() const { return line_; }

  private:
    YAML::Node node_;
    std::string path_;
    int line_;
};

// The line of `node`, or `fallback` when the node carries no position.
int line_of(const YAML::Node& node, int fallback);

enum class Presence { optional, required };

// The longest duration read (a day): long enough for any timeout a person means; short enough that no
// conversion overflows.
inline constexpr long long kMaxMillis = 24LL * 3600 * 1000;

// Converts the values of one file and collects the problems found on the way.
class Reader {
  public:
    explicit Reader(std::string file) : file_(std::move(file)) {}

    const std::string& file() const { return file_; }
    const std::vector<ConfigProblem>& problems() const { return problems_; }
    std::vector<ConfigProblem> take_problems();  // in line order

    void problem(const Located& at, std::string message);
    void problem(ConfigProblem problem) { problems_.push_back(std::move(problem)); }

    // Shapes. Each is false when `at` is absent (nothing to read) or of another shape (a problem).
    // A mapping whose keys are all among `keys`: a typo must not silently fall back to a default.
    bool map(const Located& at, std::span<const std::string_view> keys);
    bool map(const Located& at, std::initializer_list<std::string_view> keys) {
        return map(at, std::span(keys.begin(), keys.size()));
    }
    bool list(const Located& at);
    // Present; else a problem.
    bool require(const Located& at);

    // Calls f(item) for each item of a list.
    template <class F>
    void for_each_item(const Located& at, F&& f) {
        if (!list(at)) return;
        for (std::size_t i = 0; i < at.node().size(); ++i) f(at.item(i));
    }

    // Calls f(key, value) for each entry of a mapping with free-form keys; a repeated key is a problem.
    template <class F>
    void for_each_entry(const Located& at, F&& f) {
        if (!shape(at, YAML::NodeType::Map, "a mapping of keys to values")) return;
        std::set<std::string> seen;
        for (const auto& kv : at.node()) {
            const std::string key = kv.first.Scalar();
            const Located value = at.entry(kv.first, kv.second);
            if (seen.insert(key).second) {
                f(key, value);
            } else {
                problem(value, "duplicate key '" + key + "'");
            }
        }
    }

    // Scalars: true when a value was stored in `out`. An absent value leaves `out` as it was (the struct's
    // default); a bad one is a problem. Numbers and booleans must be plain YAML scalars: "3" is a string.
    bool read(const Located& at, std::string& out, Presence presence = Presence::optional);
    bool read(const Located& at, bool& out);
    bool read(const Located& at, double& out, double min, double max);
    bool read(const Located& at, Millis& out);  // a positive number of milliseconds

    template <std::integral Int>
    bool read(const Located& at, Int& out, long long min, long long max) {
        const std::optional<long long> n = integer(at, min, max);
        if (n) out = static_cast<Int>(*n);
        return n.has_value();
    }

    // A string that must be one of `names` (`what` names it in the message).
    template <class Names>
    bool read_one_of(const Located& at, std::string& out, const Names& names, std::string_view what,
                     Presence presence = Presence::optional) {
        std::string value;
        if (!read(at, value, presence)) return false;
        if (!is_one_of(value, names)) {
            problem(at, unknown_choice(what, value, names));
            return false;
        }
        out = std::move(value);
        return true;
    }

  private:
    bool shape(const Located& at, YAML::NodeType::value type, std::string_view expected);
    // The text of a scalar, or nothing when absent or not a scalar (a problem then). `typed`: a quoted scalar
    // is a string, so it is a problem too.
    std::optional<std::string> scalar(const Located& at, std::string_view expected, bool typed);
    std::optional<long long> integer(const Located& at, long long min, long long max);

    std::string file_;
    std::vector<ConfigProblem> problems_;
};

}  // namespace gaterouter::config::detail
