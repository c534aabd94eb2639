// Micro-benchmark of the scoring scheduler: ranking the shipped 45-model catalog (config/models.yaml) for one
// request (goal: a median under 20 µs), with live figures on every deployment, as under traffic.
// Figures: bench/README.md.
#include <benchmark/benchmark.h>

#include <string>

#include "gaterouter/catalog/catalog.hpp"
#include "gaterouter/config/config.hpp"
#include "gaterouter/route/deployments.hpp"
#include "gaterouter/route/policy.hpp"
#include "gaterouter/route/scheduler.hpp"

using namespace gaterouter;

namespace {

// The shipped catalog, every vendor served by one local endpoint (prices, limits and priors are what matter).
config::Config shipped_pool() {
    std::string yaml = "catalog: " GATEROUTER_SOURCE_DIR "/config/models.yaml\nproviders:\n";
    for (const char* v : {"openai", "anthropic", "deepseek", "mistral", "groq", "together", "xai", "local"})
        yaml += std::string("  - { name: ") + v + ", kind: openai, base_url: \"http://127.0.0.1:9/v1\" }\n";
    yaml += "  - { name: google, kind: gemini, base_url: \"http://127.0.0.1:9/v1beta\" }\n";
    return config::load_config_text(yaml, "bench.yaml");
}

void BM_RankShippedPool(benchmark::State& state) {
    const config::Config config = shipped_pool();
    const catalog::Catalog catalog(config);
    route::SteadyClock clock;
    const route::Deployments deployments(catalog, route::BreakerPolicy{}, clock);
    double latency = 300;
    for (const auto& m : catalog.models()) {  // live figures, as a busy gateway has them
        deployments.of(*m).record_success(latency, latency / 4, 200);
        latency += 37;
    }
    const route::Scheduler scheduler(catalog, deployments);
    const route::Policies policies(config.routing);
    route::RouteQuery query;
    query.task = catalog::TaskType::code;
    query.weight = catalog::Weight::standard;
    query.needs.capabilities = catalog::kStreaming | catalog::kTools;
    query.needs.prompt_tokens = 800;
    query.policy = &policies.default_policy().weights;
    std::vector<route::Candidate> ranked;
    for (auto _ : state) {
        scheduler.rank(query, ranked);
        benchmark::DoNotOptimize(ranked.data());
    }
    state.counters["candidates"] = static_cast<double>(ranked.size());
}
BENCHMARK(BM_RankShippedPool);

}  // namespace
