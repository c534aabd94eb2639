#include "gaterouter/route/scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

namespace gaterouter::route {
namespace {

// Typical answer lengths by task type (tokens), for a standard request.
constexpr std::array<double, catalog::kTaskCount> kTypicalOutput = {
    250,  // chat
    10,   // classification
    200,  // summarization
    150,  // extraction
    0,    // translation: as long as the text, see below
    600,  // code
    500,  // math
    700,  // reasoning
    600,  // creative
};
constexpr std::array<double, catalog::kWeightCount> kOutputScale = {0.4, 1.0, 2.5};
constexpr std::array<double, catalog::kWeightCount> kQualityEmphasis = {0.5, 1.0, 2.0};

// Differences below these do not matter. For cost: a thousandth of a dollar for standard and heavy requests,
// where what counts is the price of the answers that cost real money; a hundred-thousandth for light ones,
// which are all cheap, so that their price still decides between models that all do them well.
constexpr std::array<double, catalog::kWeightCount> kCostFloor = {1e-5, 1e-3, 1e-3};
constexpr double kLatencyFloorMs = 5.0;

bool contains(std::span<const catalog::Model* const> models, const catalog::Model* m) {
    return std::find(models.begin(), models.end(), m) != models.end();
}

std::minstd_rand& rng() {
    thread_local std::minstd_rand engine(std::random_device{}());
    return engine;
}

std::string decimal(double value, int digits) {
    char text[32];
    std::snprintf(text, sizeof text, "%.*f", digits, value);
    return text;
}

}  // namespace

std::uint32_t expected_output_tokens(catalog::TaskType task, catalog::Weight weight,
                                     std::uint32_t prompt_tokens, std::uint32_t max_tokens) {
    double typical = kTypicalOutput[catalog::index_of(task)];
    if (task == catalog::TaskType::translation) typical = std::max(50.0, static_cast<double>(prompt_tokens));
    const auto expected = static_cast<std::uint32_t>(typical * kOutputScale[catalog::index_of(weight)]);
    return max_tokens > 0 ? std::min(expected, max_tokens) : expected;
}

Scheduler::Scheduler(const catalog::Catalog& catalog, const Deployments& deployments)
    : deployments_(deployments) {
    for (const auto& m : catalog.models()) {
        if (!m->has(catalog::kEmbeddings)) pool_.push_back(m.get());
    }
}

void Scheduler::rank(const RouteQuery& query, std::vector<Candidate>& out,
                     std::vector<Exclusion>* excluded) const {
    out.clear();
    const auto exclude = [excluded](const catalog::Model* m, auto&& reason) {
        if (excluded != nullptr) excluded->push_back({m, reason()});
    };
    const std::uint32_t output_tokens = expected_output_tokens(
        query.task, query.weight, query.needs.prompt_tokens, query.needs.max_output_tokens);
    double best_quality = 0.0;
    double cheapest = std::numeric_limits<double>::infinity();
    double fastest = std::numeric_limits<double>::infinity();
    for (const catalog::Model* m : pool_) {
        if (!query.allow.empty() && !contains(query.allow, m)) {
            exclude(m, [] { return std::string("not in the allow list"); });
            continue;
        }
        if (contains(query.deny, m)) {
            exclude(m, [] { return std::string("in the deny list"); });
            continue;
        }
        if (excluded != nullptr) {
            if (std::string unfit = m->unfit_for(query.needs); !unfit.empty()) {
                excluded->push_back({m, std::move(unfit)});
                continue;
            }
        } else if (!m->fits(query.needs)) {
            continue;
        }
        Candidate c;
        c.model = m;
        c.quality = m->quality_for(query.task);
        if (c.quality < query.min_quality) {
            exclude(m, [&] { return "quality prior " + decimal(c.quality, 2) + " is below min_quality"; });
            continue;
        }
        c.expected_cost_usd = m->cost_usd(query.needs.prompt_tokens, output_tokens);
        if (c.expected_cost_usd > query.max_cost_usd) {
            exclude(m, [&] {
                return "expected cost $" + decimal(c.expected_cost_usd, 6) + " is over max_cost_per_request";
            });
            continue;
        }
        const DeploymentState& state = deployments_.of(*m);
        c.available = state.available();
        c.latency_ms = state.latency_ms.value();
        c.error_rate = state.breaker.error_rate();
        c.probe = c.available && state.breaker.wants_probe();
        c.in_flight = state.in_flight.load(std::memory_order_relaxed);
        best_quality = std::max(best_quality, c.quality);
        cheapest = std::min(cheapest, c.expected_cost_usd);
        if (c.latency_ms > 0) fastest = std::min(fastest, c.latency_ms);
        out.push_back(c);
    }
    if (out.empty()) return;

    const PolicyWeights& w = *query.policy;
    const double emphasis = kQualityEmphasis[catalog::index_of(query.weight)];
    const double floor = kCostFloor[catalog::index_of(query.weight)];
    for (Candidate& c : out) {
        c.quality_term = w.quality * emphasis * (best_quality - c.quality) / 0.05;
        c.cost_term = w.cost * std::log10((c.expected_cost_usd + floor) / (cheapest + floor));
        c.latency_term =
            c.latency_ms > 0
                ? w.latency * std::log2((c.latency_ms + kLatencyFloorMs) / (fastest + kLatencyFloorMs))
                : 0.0;
        c.error_term = w.errors * c.error_rate * 10.0;
        c.load_term = w.load * static_cast<double>(c.in_flight) / 10.0;
        c.score = -(c.quality_term + c.cost_term + c.latency_term + c.error_term + c.load_term);
    }
    std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
        if (a.available != b.available) return a.available;
        return a.score > b.score;
    });
    // A breaker that is half-open needs real requests as probes, and its score (made while it failed) would
    // never give it one: probes go first, as many as the breaker lets through.
    const auto probe = std::find_if(out.begin(), out.end(), [](const Candidate& c) { return c.probe; });
    if (probe != out.end()) {
        std::rotate(out.begin(), probe, probe + 1);
        return;
    }

    // Power of two choices among the near-equal leaders; now and then, among a wider band, so that the live
    // figures of candidates that just lost the lead (a slow spell, a few errors) stay fresh and they can win
    // it back.
    const bool explore = std::uniform_int_distribution<int>(1, kExploreOneIn)(rng()) == 1;
    const double band = explore ? kExploreBand : kTieBand;
    std::size_t near = 1;
    while (near < out.size() && out[near].available && out[0].available &&
           out[0].score - out[near].score <= band)
        ++near;
    if (near < 2) return;
    std::uniform_int_distribution<std::size_t> pick(0, near - 1);
    const std::size_t a = pick(rng());
    std::size_t b = pick(rng());
    if (b == a) b = (a + 1) % near;
    const std::size_t winner = explore || out[a].in_flight <= out[b].in_flight ? a : b;
    std::rotate(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(winner),
                out.begin() + static_cast<std::ptrdiff_t>(winner) + 1);
}

}  // namespace gaterouter::route
