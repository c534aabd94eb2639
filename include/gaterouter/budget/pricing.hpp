#pragma once
// What requests cost, in nano-USD, from the catalog's prices (USD per million tokens). Every conversion
// rounds up, so the gateway never charges or reserves less than the provider bills.

#include <cstdint>

#include "gaterouter/catalog/catalog.hpp"
#include "gaterouter/store/nano_usd.hpp"

namespace gaterouter::budget {

using store::NanoUsd;

// A catalog price, exact to the nano-USD per million tokens (prices have at most 9 decimals).
std::int64_t nano_usd_per_mtok(double usd_per_mtok);
// `tokens` at `usd_per_mtok`, rounded up; saturates at the largest NanoUsd instead of overflowing.
NanoUsd token_cost(double usd_per_mtok, std::int64_t tokens);

// Catalog prices have no separate rate for cached or reasoning tokens: cached prompt tokens are charged as
// prompt tokens and reasoning tokens are part of the completion tokens, as providers report them.
NanoUsd request_cost(const catalog::Model& model, std::int64_t prompt_tokens, std::int64_t completion_tokens);

// The most a request can cost, to reserve before it is sent: its prompt once and `choices` answers (the n
// the client asked for; 0 for a request that writes none, as embeddings). Each answer is bounded by the client's max_tokens (0: none given) capped by the
// model's output limit, else that limit, else what is left of its context window, else
// kUnboundedOutputTokens.
inline constexpr std::int64_t kUnboundedOutputTokens = 32'768;
NanoUsd max_request_cost(const catalog::Model& model, std::int64_t prompt_tokens,
                         std::int64_t max_output_tokens, std::int64_t choices = 1);

}  // namespace gaterouter::budget
