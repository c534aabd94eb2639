#include "gaterouter/obs/prometheus.hpp"

#include <fmt/format.h>

namespace gaterouter::obs {

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void append_label_value(std::string& out, std::string_view value) {
    for (const char c : value) {
        if (c == '\\' || c == '"') out.push_back('\\');
        if (c == '\n') {
            out.append("\\n");
            continue;
        }
        out.push_back(c);
    }
}

void render_histogram(std::string& out, std::string_view name, std::string_view labels,
                      const std::uint64_t* counts, const double* bounds, std::size_t n, double sum,
                      std::uint64_t count) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= n; ++i) {
        cumulative += counts[i];
        const std::string le = i < n ? fmt::format("{}", bounds[i]) : std::string("+Inf");
        out.append(fmt::format("{}_bucket{{{},le=\"{}\"}} {}\n", name, labels, le, cumulative));
    }
    out.append(fmt::format("{}_sum{{{}}} {}\n", name, labels, sum));
    out.append(fmt::format("{}_count{{{}}} {}\n", name, labels, count));
}

}  // namespace gaterouter::obs
