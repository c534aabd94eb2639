#include "gaterouter/api/route_explain.hpp"

#include <nlohmann/json.hpp>

#include "gaterouter/api/chat_completions.hpp"
#include "gaterouter/api/route_decision.hpp"

namespace gaterouter::api {
namespace {

nlohmann::json candidate_json(const Services& services, const route::Candidate& c, std::size_t rank,
                              bool scored) {
    const route::DeploymentState& state = services.deployments->of(*c.model);
    const std::vector<double> latency = state.latency_window.quantiles({0.5, 0.95});
    const std::vector<double> ttft = state.ttft_window.quantiles({0.5, 0.95});
    const auto percentiles = [](const std::vector<double>& q) {
        return q.empty() ? nlohmann::json(nullptr) : nlohmann::json{{"p50", q[0]}, {"p95", q[1]}};
    };
    nlohmann::json j = {
        {"rank", rank},
        {"model", c.model->id},
        {"provider", c.model->provider->name},
        {"available", c.available},
        {"breaker", route::to_string(state.breaker.state())},
        {"quality", c.quality},
        {"expected_cost_usd", c.expected_cost_usd},
        {"latency_ms", {{"ewma", c.latency_ms}, {"window", percentiles(latency)}}},
        {"ttft_ms", {{"ewma", state.ttft_ms.value()}, {"window", percentiles(ttft)}}},
        {"tokens_per_second", state.tokens_per_second.value()},
        {"error_rate", c.error_rate},
        {"in_flight", c.in_flight},
    };
    if (scored) {
        j["score"] = c.score;
        j["penalties"] = {{"quality", c.quality_term},
                          {"cost", c.cost_term},
                          {"latency", c.latency_term},
                          {"errors", c.error_term},
                          {"load", c.load_term}};
    }
    return j;
}

}  // namespace

awaitable<void> explain_route(const Services& services, http::Request& request, http::ResponseWriter& out) {
    RequestScope scope(request, out, *services.access_log);
    ChatIntake intake;
    if (auto refused = take_chat_request(request, services, intake)) {
        co_await scope.fail(std::move(*refused));
        co_return;
    }
    const openai::ChatRequest& chat = intake.chat;
    scope.set_model(chat.model);
    RouteDecision d;
    if (auto refused = decide_route(services, request, chat, intake.key, true, d)) {
        co_await scope.fail(std::move(*refused));
        co_return;
    }
    const bool scored = d.named == nullptr;
    nlohmann::json candidates = nlohmann::json::array();
    for (std::size_t i = 0; i < d.candidates.size(); ++i)
        candidates.push_back(candidate_json(services, d.candidates[i], i + 1, scored));
    nlohmann::json excluded = nlohmann::json::array();
    for (const auto& e : d.excluded) excluded.push_back({{"model", e.model->id}, {"reason", e.reason}});

    nlohmann::json body = {
        {"object", "route.explanation"},
        {"model", chat.model},
        {"routing", scored ? "scored" : "named"},
        {"classification",
         {{"task", classify::task_name(d.classification.task)},
          {"confidence", d.classification.confidence},
          {"weight", classify::weight_name(d.classification.weight)},
          {"classified", services.classifier != nullptr}}},
        {"estimated_prompt_tokens", d.needs.prompt_tokens},
        {"max_prompt_tokens", d.max_prompt_tokens},  // what a hard budget reserves for
        {"expected_output_tokens", d.expected_output_tokens},
        {"max_attempts", services.max_attempts},
        {"candidates", std::move(candidates)},
        {"excluded", std::move(excluded)},
    };
    if (scored) {
        const route::PolicyWeights& w = d.policy->weights;
        body["policy"] = {{"name", d.policy->name},
                          {"weights",
                           {{"quality", w.quality},
                            {"cost", w.cost},
                            {"latency", w.latency},
                            {"errors", w.errors},
                            {"load", w.load}}}};
    }
    co_await scope.send_json(http::Status::ok, body.dump());
}

}  // namespace gaterouter::api
