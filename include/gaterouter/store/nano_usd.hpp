#pragma once
// Money as an integer count of nano-USD (1e-9 USD). Prices and totals are summed over millions of requests;
// integers keep every cent exact where doubles would drift.

#include <cstdint>
#include <limits>
#include <string>

namespace gaterouter::store {

using NanoUsd = std::int64_t;

inline constexpr NanoUsd kNanoUsdPerUsd = 1'000'000'000;
inline constexpr NanoUsd kMaxNanoUsd = std::numeric_limits<NanoUsd>::max();

// Money never wraps: a sum past the largest amount stays there (and past the smallest, there), so one absurd
// figure can exhaust a budget but never turn its spend negative.
constexpr NanoUsd saturating_add(NanoUsd a, NanoUsd b) {
    NanoUsd sum = 0;
    if (!__builtin_add_overflow(a, b, &sum)) return sum;
    return b > 0 ? kMaxNanoUsd : std::numeric_limits<NanoUsd>::min();
}

// Exact decimal dollars with at least two decimals and no trailing zeros beyond: 1500000000 → "1.50",
// 150 → "0.00000015", -2500000000 → "-2.50".
std::string format_usd(NanoUsd amount);

}  // namespace gaterouter::store
