#include "node_reader.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>

namespace gaterouter::config::detail {

namespace {

std::string join_path(const std::string& parent, std::string_view key) {
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

// What a node is, for "expected X, got Y".
std::string describe(const YAML::Node& node) {
    if (node.IsMap()) return "a mapping";
    if (node.IsSequence()) return "a list";
    if (node.Tag() == "!") return "the string \"" + node.Scalar() + "\"";
    return "'" + node.Scalar() + "'";
}

template <class Number>
std::string range_message(Number min, Number max, const std::string& got) {
    std::ostringstream out;
    out << "must be between " << min << " and " << max << ", got " << got;
    return out.str();
}

}  // namespace

std::size_t typo_distance(std::string_view a, std::string_view b) {
    // Optimal string alignment distance over three rows of the table.
    std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                current[j] = std::min(current[j], before[j - 2] + 1);
            }
        }
        std::swap(before, previous);
        std::swap(previous, current);
    }
    return previous[b.size()];
}

int line_of(const YAML::Node& node, int fallback) {
    const int line = node.IsDefined() ? node.Mark().line : -1;
    return line >= 0 ? line + 1 : fallback;
}

Located Located::operator[](std::string_view key) const {
    if (node_.IsMap()) {
        for (const auto& kv : node_) {
            if (kv.first.IsScalar() && kv.first.Scalar() == key) return entry(kv.first, kv.second);
        }
    }
    return Located(YAML::Node(YAML::NodeType::Undefined), join_path(path_, key), line_);
}

Located Located::item(std::size_t index) const {
    const std::string path = path_ + "[" + std::to_string(index) + "]";
    if (!node_.IsSequence() || index >= node_.size()) {
        return Located(YAML::Node(YAML::NodeType::Undefined), path, line_);
    }
    const YAML::Node item = node_[index];
    return Located(item, path, line_of(item, line_));
}

Located Located::entry(const YAML::Node& key, const YAML::Node& value) const {
    return Located(value, join_path(path_, key.Scalar()), line_of(key, line_));
}

std::vector<ConfigProblem> Reader::take_problems() {
    std::stable_sort(problems_.begin(), problems_.end(),
                     [](const ConfigProblem& a, const ConfigProblem& b) { return a.line < b.line; });
    return std::move(problems_);
}

void Reader::problem(const Located& at, std::string message) {
    problems_.push_back({at.path(), at.line(), std::move(message)});
}

bool Reader::shape(const Located& at, YAML::NodeType::value type, std::string_view expected) {
    if (!at.present()) return false;
    if (at.node().Type() == type) return true;
    problem(at, "expected " + std::string(expected) + ", got " + describe(at.node()));
    return false;
}

bool Reader::map(const Located& at, std::span<const std::string_view> keys) {
    for_each_entry(at, [&](const std::string& key, const Located& value) {
        if (!is_one_of(key, keys)) problem(value, unknown_name("key", key, keys));
    });
    return at.present() && at.node().IsMap();
}

bool Reader::list(const Located& at) {
    return shape(at, YAML::NodeType::Sequence, "a list");
}

bool Reader::require(const Located& at) {
    if (at.present()) return true;
    problem(at, at.node().IsDefined() ? "needs a value" : "missing required key");
    return false;
}

std::optional<std::string> Reader::scalar(const Located& at, std::string_view expected, bool typed) {
    if (!at.present()) return std::nullopt;
    if (!at.node().IsScalar() || (typed && at.node().Tag() == "!")) {
        problem(at, "expected " + std::string(expected) + ", got " + describe(at.node()));
        return std::nullopt;
    }
    return at.node().Scalar();
}

bool Reader::read(const Located& at, std::string& out, Presence presence) {
    if (presence == Presence::required && !require(at)) return false;
    std::optional<std::string> text = scalar(at, "a string", false);
    if (!text) return false;
    if (presence == Presence::required && text->empty()) {
        problem(at, "must not be empty");
        return false;
    }
    out = std::move(*text);
    return true;
}

bool Reader::read(const Located& at, bool& out) {
    const std::optional<std::string> text = scalar(at, "true or false", true);
    if (!text) return false;
    if (*text != "true" && *text != "false") {
        problem(at, "expected true or false, got '" + *text + "'");
        return false;
    }
    out = *text == "true";
    return true;
}

std::optional<long long> Reader::integer(const Located& at, long long min, long long max) {
    const std::optional<std::string> text = scalar(at, "an integer", true);
    if (!text) return std::nullopt;
    long long n = 0;
    const char* end = text->data() + text->size();
    if (const auto [ptr, ec] = std::from_chars(text->data(), end, n); ec != std::errc{} || ptr != end) {
        problem(at, "expected an integer, got '" + *text + "'");
        return std::nullopt;
    }
    if (n < min || n > max) {
        problem(at, range_message(min, max, *text));
        return std::nullopt;
    }
    return n;
}

bool Reader::read(const Located& at, double& out, double min, double max) {
    const std::optional<std::string> text = scalar(at, "a number", true);
    if (!text) return false;
    double d = 0.0;
    const char* end = text->data() + text->size();
    if (const auto [ptr, ec] = std::from_chars(text->data(), end, d); ec != std::errc{} || ptr != end) {
        problem(at, "expected a number, got '" + *text + "'");
        return false;
    }
    if (!(d >= min && d <= max)) {  // written so that NaN is refused too
        problem(at, range_message(min, max, *text));
        return false;
    }
    out = d;
    return true;
}

bool Reader::read(const Located& at, Millis& out) {
    const std::optional<long long> ms = integer(at, 1, kMaxMillis);
    if (ms) out = Millis{*ms};
    return ms.has_value();
}

}  // namespace gaterouter::config::detail
