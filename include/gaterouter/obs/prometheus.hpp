#pragma once
// Prometheus text exposition, shared by every writer of /metrics: family headers, escaped label values and
// cumulative histograms.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gaterouter::obs {

// Counts per bucket (the last: above every bound), their sum and count. Not thread-safe: guard or shard it.
template <std::size_t N>
struct Histogram {
    std::array<std::uint64_t, N + 1> counts{};
    double sum = 0;
    std::uint64_t count = 0;

    void observe(double v, const std::array<double, N>& bounds) {
        std::size_t i = 0;
        while (i < N && v > bounds[i]) ++i;
        ++counts[i];
        sum += v;
        ++count;
    }
    void merge(const Histogram& other) {
        for (std::size_t i = 0; i <= N; ++i) counts[i] += other.counts[i];
        sum += other.sum;
        count += other.count;
    }
};

// "# HELP name help" and "# TYPE name type".
void family(std::string& out, std::string_view name, std::string_view type, std::string_view help);

// A label value as Prometheus wants it: backslash, quote and newline escaped.
void append_label_value(std::string& out, std::string_view value);

// The _bucket (cumulative), _sum and _count lines of `h`; `labels` is the rendered label list without braces.
void render_histogram(std::string& out, std::string_view name, std::string_view labels,
                      const std::uint64_t* counts, const double* bounds, std::size_t n, double sum,
                      std::uint64_t count);
template <std::size_t N>
void render_histogram(std::string& out, std::string_view name, std::string_view labels, const Histogram<N>& h,
                      const std::array<double, N>& bounds) {
    render_histogram(out, name, labels, h.counts.data(), bounds.data(), N, h.sum, h.count);
}

}  // namespace gaterouter::obs
