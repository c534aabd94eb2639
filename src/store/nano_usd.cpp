#include "gaterouter/store/nano_usd.hpp"

namespace gaterouter::store {

std::string format_usd(NanoUsd amount) {
    // Unsigned, so the most negative amount negates without overflow.
    const bool negative = amount < 0;
    const auto magnitude =
        negative ? 0 - static_cast<std::uint64_t>(amount) : static_cast<std::uint64_t>(amount);
    const auto whole = magnitude / kNanoUsdPerUsd;
    std::string fraction = std::to_string(magnitude % kNanoUsdPerUsd);
    fraction.insert(0, 9 - fraction.size(), '0');
    while (fraction.size() > 2 && fraction.back() == '0') fraction.pop_back();
    return (negative ? "-" : "") + std::to_string(whole) + "." + fraction;
}

}  // namespace gaterouter::store
