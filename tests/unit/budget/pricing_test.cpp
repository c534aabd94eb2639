#include "gaterouter/budget/pricing.hpp"

#include <gtest/gtest.h>

#include <limits>

using namespace gaterouter;
using namespace gaterouter::budget;

namespace {
catalog::Model model(double input, double output, std::uint32_t max_output, std::uint32_t context) {
    catalog::Model m;
    m.id = "m";
    m.input_price_per_mtok = input;
    m.output_price_per_mtok = output;
    m.max_output_tokens = max_output;
    m.context_window = context;
    return m;
}
}  // namespace

TEST(BudgetPricing, DecimalPricesAreExact) {
    EXPECT_EQ(nano_usd_per_mtok(0.15), 150'000'000);
    EXPECT_EQ(nano_usd_per_mtok(0.075), 75'000'000);
    EXPECT_EQ(nano_usd_per_mtok(2.5), 2'500'000'000);
    EXPECT_EQ(nano_usd_per_mtok(0.0), 0);
    EXPECT_EQ(nano_usd_per_mtok(-1.0), 0);
}

TEST(BudgetPricing, TokenCostRoundsUpToTheNanoDollar) {
    EXPECT_EQ(token_cost(0.15, 1000), 150'000);  // $0.00015
    EXPECT_EQ(token_cost(0.15, 1), 150);
    EXPECT_EQ(token_cost(0.0375, 1), 38);  // 37.5 nano-USD
    EXPECT_EQ(token_cost(0.0375, 2), 75);
    EXPECT_EQ(token_cost(0.000001, 1), 1);  // a thousandth of a nano-USD still costs one
    EXPECT_EQ(token_cost(3.0, 1'000'000), 3'000'000'000);
    EXPECT_EQ(token_cost(3.0, 1'500'001), 4'500'003'000);
    EXPECT_EQ(token_cost(3.0, 0), 0);
    EXPECT_EQ(token_cost(3.0, -5), 0);
}

TEST(BudgetPricing, SummingRequestsDoesNotDrift) {
    NanoUsd total = 0;
    for (int i = 0; i < 1'000'000; ++i) total += token_cost(0.1, 7);
    EXPECT_EQ(total, 700'000'000);  // exactly $0.70
}

TEST(BudgetPricing, HugeCountsSaturate) {
    EXPECT_EQ(token_cost(1'000'000.0, std::numeric_limits<std::int64_t>::max()),
              std::numeric_limits<NanoUsd>::max());
}

TEST(BudgetPricing, RequestCostChargesPromptAndCompletion) {
    const auto m = model(0.15, 0.60, 16'384, 128'000);
    EXPECT_EQ(request_cost(m, 1000, 500), 150'000 + 300'000);
}

TEST(BudgetPricing, MaxCostBoundsTheOutput) {
    const auto m = model(1.0, 2.0, 4000, 128'000);
    EXPECT_EQ(max_request_cost(m, 1000, 100), request_cost(m, 1000, 100));    // the client's max_tokens
    EXPECT_EQ(max_request_cost(m, 1000, 9000), request_cost(m, 1000, 4000));  // capped by the model's limit
    EXPECT_EQ(max_request_cost(m, 1000, 0), request_cost(m, 1000, 4000));     // the model's limit
    const auto no_limit = model(1.0, 2.0, 0, 8000);
    EXPECT_EQ(max_request_cost(no_limit, 1000, 0), request_cost(no_limit, 1000, 7000));  // the context left
    const auto unknown = model(1.0, 2.0, 0, 0);
    EXPECT_EQ(max_request_cost(unknown, 1000, 0), request_cost(unknown, 1000, kUnboundedOutputTokens));
}

TEST(BudgetPricing, MaxCostHoldsEveryChoiceAndThePromptOnce) {
    const auto m = model(1.0, 2.0, 4000, 128'000);
    EXPECT_EQ(max_request_cost(m, 1000, 100, 128), request_cost(m, 1000, 12'800));
    EXPECT_EQ(max_request_cost(m, 1000, 0, 3), request_cost(m, 1000, 12'000));
    EXPECT_EQ(max_request_cost(m, 1000, 100, INT64_MAX), store::kMaxNanoUsd);  // saturates, never wraps
}

TEST(BudgetPricing, MoneySaturatesInsteadOfWrapping) {
    EXPECT_EQ(store::saturating_add(store::kMaxNanoUsd, 1), store::kMaxNanoUsd);
    EXPECT_EQ(store::saturating_add(INT64_MIN, -1), INT64_MIN);
    EXPECT_EQ(store::saturating_add(40, 2), 42);
    EXPECT_EQ(request_cost(model(1e6, 1e6, 0, 0), INT64_MAX, INT64_MAX), store::kMaxNanoUsd);
}
