#include "gaterouter/budget/pricing.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gaterouter::budget {

namespace {

constexpr std::int64_t kTokensPerMillion = 1'000'000;
using store::kMaxNanoUsd;
using store::saturating_add;

}  // namespace

std::int64_t nano_usd_per_mtok(double usd_per_mtok) {
    if (!(usd_per_mtok > 0)) return 0;  // also NaN
    // Round to nearest: a decimal price such as 0.15 is 149999999.99999997 nano-USD as a double.
    const double nano = std::round(usd_per_mtok * 1e9);
    return nano >= 9.2e18 ? kMaxNanoUsd : static_cast<std::int64_t>(nano);
}

NanoUsd token_cost(double usd_per_mtok, std::int64_t tokens) {
    const std::int64_t price = nano_usd_per_mtok(usd_per_mtok);
    if (tokens <= 0 || price == 0) return 0;
    // Whole millions, then the rest rounded up: price × rest stays below 2^63 for any price under $9 million
    // per million tokens, where price × tokens would not.
    const std::int64_t millions = tokens / kTokensPerMillion;
    const std::int64_t rest = tokens % kTokensPerMillion;
    NanoUsd whole = 0;
    if (__builtin_mul_overflow(price, millions, &whole)) return kMaxNanoUsd;
    NanoUsd part = 0;
    if (__builtin_mul_overflow(price, rest, &part)) return kMaxNanoUsd;
    return saturating_add(whole, part / kTokensPerMillion + (part % kTokensPerMillion != 0 ? 1 : 0));
}

NanoUsd request_cost(const catalog::Model& model, std::int64_t prompt_tokens,
                     std::int64_t completion_tokens) {
    return saturating_add(token_cost(model.input_price_per_mtok, prompt_tokens),
                          token_cost(model.output_price_per_mtok, completion_tokens));
}

NanoUsd max_request_cost(const catalog::Model& model, std::int64_t prompt_tokens,
                         std::int64_t max_output_tokens, std::int64_t choices) {
    if (choices <= 0) return request_cost(model, prompt_tokens, 0);  // writes nothing: embeddings
    const std::int64_t model_limit = model.max_output_tokens;
    std::int64_t output = max_output_tokens;
    if (output <= 0) {
        if (model_limit > 0) {
            output = model_limit;
        } else if (model.context_window > prompt_tokens) {
            output = model.context_window - prompt_tokens;
        } else {
            output = kUnboundedOutputTokens;
        }
    } else if (model_limit > 0) {
        output = std::min(output, model_limit);
    }
    std::int64_t all_outputs = 0;
    if (__builtin_mul_overflow(output, choices, &all_outputs))
        all_outputs = std::numeric_limits<std::int64_t>::max();
    return request_cost(model, prompt_tokens, all_outputs);
}

}  // namespace gaterouter::budget
