#pragma once
// The scoring scheduler: for a request routed by preference (`model: "auto"` or an alias) it filters the pool
// and ranks what is left, best first. The executor tries the ranking in order.
//
// Filters: the request's needs (capabilities, context, output limit), the caller's allow and deny lists,
// minimum quality and maximum expected cost. Health does not filter: candidates whose breaker is open (or
// whose provider asked to be left alone) are ranked after all the available ones, so a request can still
// wait for one of them when nothing else is left. A half-open candidate that wants a probe goes first: its
// breaker lets only a few requests through, and they are how it finds out whether the model is back.
//
// Score (higher is better) = −(sum of weighted penalties), each penalty relative to the best candidate:
//   quality  (best prior − this prior) / 0.05, times the weight class's emphasis (light ½, standard 1,
//            heavy 2): heavy work is worth paying for, light work is not;
//   cost     log10 of this candidate's expected cost over the cheapest's (a tenfold price is one unit);
//   latency  log2 of its live latency over the fastest's, each plus 5 ms (a doubling is one unit; no samples
//            yet: neutral);
//   errors   its failure share in the breaker's window × 10;
//   load     its requests in flight / 10.
// Candidates within kTieBand of the best are near-equal: of two of them drawn at random, the one with fewer
// requests in flight goes first (power of two choices), which spreads load without starving anyone. One
// request in kExploreOneIn picks at random within kExploreBand instead, so that a model that lost the lead
// keeps being measured and wins it back once it is fast (or healthy) again.

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "gaterouter/catalog/catalog.hpp"
#include "gaterouter/route/deployments.hpp"
#include "gaterouter/route/policy.hpp"

namespace gaterouter::route {

// What the scheduler knows of one request.
struct RouteQuery {
    catalog::TaskType task = catalog::TaskType::chat;
    catalog::Weight weight = catalog::Weight::standard;
    catalog::Needs needs;
    const PolicyWeights* policy = nullptr;  // required
    double max_cost_usd = std::numeric_limits<double>::infinity();
    double min_quality = 0.0;
    std::span<const catalog::Model* const> allow;  // empty: the whole pool
    std::span<const catalog::Model* const> deny;
};

// One ranked candidate with its score's terms (the weighted penalties), for the explain endpoint.
struct Candidate {
    const catalog::Model* model = nullptr;
    bool available = true;  // false: its breaker is open or it is held by Retry-After
    bool probe = false;     // its breaker is half-open and wants a probe request: it goes first
    double score = 0.0;
    double quality = 0.0;            // the prior for this task
    double expected_cost_usd = 0.0;  // expected prompt and output tokens at its prices
    double latency_ms = 0.0;         // live moving average; 0: no samples yet
    double error_rate = 0.0;
    std::int64_t in_flight = 0;
    double quality_term = 0.0, cost_term = 0.0, latency_term = 0.0, error_term = 0.0, load_term = 0.0;
};

// A model left out of the ranking and why (collected only when asked for).
struct Exclusion {
    const catalog::Model* model = nullptr;
    std::string reason;
};

inline constexpr double kTieBand = 0.25;
inline constexpr double kExploreBand = 1.5;
inline constexpr int kExploreOneIn = 50;

// Output tokens to expect from a request: its max_tokens when lower, else a typical length for its task and
// weight class. An estimate for ranking by cost, not a bound.
std::uint32_t expected_output_tokens(catalog::TaskType task, catalog::Weight weight,
                                     std::uint32_t prompt_tokens, std::uint32_t max_tokens);

class Scheduler {
  public:
    // The pool: every chat model of the catalog (embeddings models are not candidates).
    Scheduler(const catalog::Catalog& catalog, const Deployments& deployments);

    // Fills `out` with the ranked candidates, best first (`out` is cleared first; its capacity is reused).
    // `excluded`, when given, receives the models filtered out.
    void rank(const RouteQuery& query, std::vector<Candidate>& out,
              std::vector<Exclusion>* excluded = nullptr) const;

  private:
    const Deployments& deployments_;
    std::vector<const catalog::Model*> pool_;
};

}  // namespace gaterouter::route
