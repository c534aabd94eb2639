#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "gaterouter/api/chat_completions.hpp"
#include "gaterouter/api/embeddings.hpp"
#include "gaterouter/api/handlers.hpp"
#include "gaterouter/api/route_explain.hpp"
#include "gaterouter/api/usage.hpp"
#include "gaterouter/obs/prometheus.hpp"
#include "gaterouter/obs/request_id.hpp"

namespace gaterouter::api {

std::string models_body(const catalog::Catalog& catalog) {
    nlohmann::json data = nlohmann::json::array();
    for (const auto& m : catalog.models()) {
        nlohmann::json quality = nlohmann::json::object();
        for (std::size_t t = 0; t < catalog::kTaskCount; ++t)
            quality[std::string(catalog::task_name(static_cast<catalog::TaskType>(t)))] = m->quality[t];
        data.push_back({{"id", m->id},
                        {"object", "model"},
                        {"created", 0},
                        {"owned_by", m->provider->name},
                        {"gaterouter",
                         {{"provider", m->provider->name},
                          {"kind", m->provider->kind},
                          {"upstream_model", m->upstream_model},
                          {"input_price_per_mtok", m->input_price_per_mtok},
                          {"output_price_per_mtok", m->output_price_per_mtok},
                          {"context_window", m->context_window},
                          {"max_output_tokens", m->max_output_tokens},
                          {"capabilities", catalog::capability_names(m->capabilities)},
                          {"quality", std::move(quality)}}}});
    }
    return nlohmann::json{{"object", "list"}, {"data", std::move(data)}}.dump();
}

namespace {

awaitable<void> list_models(const Services& services, http::Request& request, http::ResponseWriter& out) {
    RequestScope scope(request, out, *services.access_log);
    std::shared_ptr<const auth::ApiKeySet> keys;
    if (auto denied = check_api_key(request, services, keys)) {
        co_await scope.fail(*denied);
        co_return;
    }
    co_await scope.send_json(http::Status::ok, services.models_body);
}

awaitable<void> healthz(const Services& services, http::Request& request, http::ResponseWriter& out) {
    RequestScope scope(request, out, *services.access_log);
    co_await scope.send_json(http::Status::ok, R"({"status":"ok"})");
}

// A label list naming a key, its value escaped: key names come from the config and the admin API.
std::string key_label(std::string_view key, std::string_view extra = {}) {
    std::string labels = "key=\"";
    obs::append_label_value(labels, key);
    labels.append("\"").append(extra);
    return labels;
}

// The admission queue: how many wait, how long they waited, and how their waits ended.
void admission_metrics(const admit::AdmissionQueue& queue, std::string& out) {
    obs::family(out, "gaterouter_admission_waiting", "gauge", "Requests waiting for capacity.");
    out.append(fmt::format("gaterouter_admission_waiting {}\n", queue.depth()));
    obs::family(out, "gaterouter_admission_queue_depth", "gauge", "Requests waiting for capacity, by key.");
    queue.for_each_depth([&out](std::string_view key, std::size_t depth) {
        out.append(fmt::format("gaterouter_admission_queue_depth{{{}}} {}\n", key_label(key), depth));
    });
    obs::family(out, "gaterouter_admission_outcomes_total", "counter",
                "Waits in the admission queue by how they ended: admitted, or refused and why.");
    for (const auto outcome :
         {admit::WaitOutcome::handed_over, admit::WaitOutcome::key_full, admit::WaitOutcome::gateway_full,
          admit::WaitOutcome::would_wait_too_long, admit::WaitOutcome::timed_out}) {
        out.append(fmt::format("gaterouter_admission_outcomes_total{{outcome=\"{}\"}} {}\n",
                               admit::outcome_name(outcome), queue.outcomes(outcome)));
    }
    obs::family(out, "gaterouter_admission_wait_ms", "histogram",
                "How long requests waited in the admission queue, by key.");
    for (const auto& [key, h] : queue.wait_histograms())
        obs::render_histogram(out, "gaterouter_admission_wait_ms", key_label(key), h,
                              admit::AdmissionQueue::kWaitBucketsMs);
}

// The ledger's writer: how far behind it is.
void ledger_metrics(const Ledger& ledger, std::string& out) {
    obs::family(out, "gaterouter_ledger_queued", "gauge", "Ledger entries waiting for the writer thread.");
    out.append(fmt::format("gaterouter_ledger_queued {}\n", ledger.writer->queued()));
    if (ledger.journal == nullptr) return;
    obs::family(out, "gaterouter_ledger_journal_pending", "gauge",
                "Request rows on record in the journal, not yet moved into the ledger's tables.");
    out.append(fmt::format("gaterouter_ledger_journal_pending {}\n", ledger.journal->pending()));
}

// Prometheus text format: the per-request series, then the live state of every deployment.
std::string metrics_text(const Services& services) {
    std::string out;
    out.reserve(16384);
    services.metrics->render(out);
    const auto family = [&out](const char* name, const char* type, const char* help) {
        obs::family(out, name, type, help);
    };
    const auto sample = [&out](const char* name, const catalog::Model& m, std::string_view extra,
                               double value) {
        out.append(fmt::format("{}{{model=\"{}\",provider=\"{}\"{}}} {}\n", name, m.id, m.provider->name,
                               extra, value));
    };
    // One family at a time, each over every deployment.
    const auto each = [&services](auto&& fn) { services.deployments->for_each(fn); };
    family("gaterouter_upstream_requests_total", "counter", "Attempts sent to a deployment, by outcome.");
    each([&](const catalog::Model& m, const route::DeploymentState& s) {
        sample("gaterouter_upstream_requests_total", m, ",outcome=\"success\"",
               static_cast<double>(s.successes.load()));
        sample("gaterouter_upstream_requests_total", m, ",outcome=\"failure\"",
               static_cast<double>(s.failures.load()));
    });
    family("gaterouter_upstream_in_flight", "gauge", "Requests in flight to a deployment.");
    each([&](const catalog::Model& m, const route::DeploymentState& s) {
        sample("gaterouter_upstream_in_flight", m, "", static_cast<double>(s.in_flight.load()));
    });
    family("gaterouter_upstream_latency_ewma_ms", "gauge", "Moving average of a deployment's response time.");
    each([&](const catalog::Model& m, const route::DeploymentState& s) {
        sample("gaterouter_upstream_latency_ewma_ms", m, "", s.latency_ms.value());
    });
    family("gaterouter_upstream_ttft_ewma_ms", "gauge",
           "Moving average of a deployment's time to first token.");
    each([&](const catalog::Model& m, const route::DeploymentState& s) {
        sample("gaterouter_upstream_ttft_ewma_ms", m, "", s.ttft_ms.value());
    });
    family("gaterouter_upstream_latency_ms", "gauge",
           "A deployment's response time over the breaker window.");
    each([&](const catalog::Model& m, const route::DeploymentState& s) {
        const std::vector<double> q = s.latency_window.quantiles({0.5, 0.95, 0.99});
        if (q.empty()) return;
        sample("gaterouter_upstream_latency_ms", m, ",quantile=\"0.5\"", q[0]);
        sample("gaterouter_upstream_latency_ms", m, ",quantile=\"0.95\"", q[1]);
        sample("gaterouter_upstream_latency_ms", m, ",quantile=\"0.99\"", q[2]);
    });
    family("gaterouter_upstream_tokens_per_second", "gauge",
           "Moving average of a deployment's output speed.");
    each([&](const catalog::Model& m, const route::DeploymentState& s) {
        sample("gaterouter_upstream_tokens_per_second", m, "", s.tokens_per_second.value());
    });
    family("gaterouter_upstream_error_rate", "gauge",
           "Failure share over the breaker window (0 below min_requests).");
    each([&](const catalog::Model& m, const route::DeploymentState& s) {
        sample("gaterouter_upstream_error_rate", m, "", s.breaker.error_rate());
    });
    family("gaterouter_breaker_open", "gauge", "1 when a deployment's circuit breaker is open or half-open.");
    each([&](const catalog::Model& m, const route::DeploymentState& s) {
        sample("gaterouter_breaker_open", m, "",
               s.breaker.state() == route::CircuitBreaker::State::closed ? 0.0 : 1.0);
    });
    family("gaterouter_breaker_state", "gauge", "1 for the state a deployment's circuit breaker is in.");
    each([&](const catalog::Model& m, const route::DeploymentState& s) {
        const auto state = s.breaker.state();
        for (const auto st : {route::CircuitBreaker::State::closed, route::CircuitBreaker::State::open,
                              route::CircuitBreaker::State::half_open}) {
            sample("gaterouter_breaker_state", m, fmt::format(",state=\"{}\"", route::to_string(st)),
                   st == state ? 1.0 : 0.0);
        }
    });
    family("gaterouter_deployment_available", "gauge",
           "1 when the scheduler may plan with a deployment (breaker not open, no Retry-After pause, not "
           "saturated).");
    each([&](const catalog::Model& m, const route::DeploymentState& s) {
        sample("gaterouter_deployment_available", m, "", s.available() ? 1.0 : 0.0);
    });
    family("gaterouter_deployment_bucket_level", "gauge",
           "What is left in a deployment's rate buckets (requests or tokens per minute), for those with "
           "limits.");
    each([&](const catalog::Model& m, const route::DeploymentState& s) {
        if (s.requests_per_minute)
            sample("gaterouter_deployment_bucket_level", m, ",bucket=\"requests\"",
                   s.requests_per_minute->available());
        if (s.tokens_per_minute)
            sample("gaterouter_deployment_bucket_level", m, ",bucket=\"tokens\"",
                   s.tokens_per_minute->available());
    });
    family("gaterouter_hedges_total", "counter",
           "Hedged second requests sent to a deployment because the first was slow, and those that answered "
           "first.");
    each([&](const catalog::Model& m, const route::DeploymentState& s) {
        sample("gaterouter_hedges_total", m, ",outcome=\"fired\"",
               static_cast<double>(s.hedges_fired.load()));
        sample("gaterouter_hedges_total", m, ",outcome=\"won\"", static_cast<double>(s.hedges_won.load()));
    });
    if (services.admission) admission_metrics(*services.admission, out);
    if (services.ledger) ledger_metrics(*services.ledger, out);
    family("gaterouter_key_limit_refusals_total", "counter",
           "Requests refused at once for a key's own limits.");
    for (const auth::ApiKey& key : services.keys->current()->keys()) {
        if (!key.limiter) continue;
        for (const admit::Limit limit : admit::kLimits) {
            const std::string labels =
                key_label(key.name, fmt::format(",limit=\"{}\"", admit::limit_name(limit)));
            out.append(fmt::format("gaterouter_key_limit_refusals_total{{{}}} {}\n", labels,
                                   key.limiter->refusals(limit)));
        }
    }
    return out;
}

awaitable<void> metrics(const Services& services, http::Request& request, http::ResponseWriter& out) {
    RequestScope scope(request, out, *services.access_log);
    http::Response res{http::Status::ok, 11};
    res.set(http::bhttp::field::content_type, "text/plain; version=0.0.4");
    res.body() = metrics_text(services);
    scope.stamp(res);
    co_await out.send(std::move(res));
}

awaitable<void> readyz(const Services& services, http::Request& request, http::ResponseWriter& out) {
    RequestScope scope(request, out, *services.access_log);
    if (services.draining.load(std::memory_order_relaxed)) {
        co_await scope.send_json(http::Status::service_unavailable, R"({"status":"draining"})");
        co_return;
    }
    co_await scope.send_json(http::Status::ok, R"({"status":"ready"})");
}

}  // namespace

void add_routes(http::Router& router, const Services& services, upstream::Client& client) {
    const auto bind = [&services](auto fn) {
        return
            [&services, fn](http::Request& req, http::ResponseWriter& out) { return fn(services, req, out); };
    };
    router.add(http::Verb::post, "/v1/chat/completions", ChatCompletionsHandler(services, client));
    router.add(http::Verb::post, "/v1/embeddings", EmbeddingsHandler(services, client));
    router.add(http::Verb::post, "/v1/route/explain", bind(explain_route));
    router.add(http::Verb::get, "/v1/models", bind(list_models));
    router.add(http::Verb::get, "/v1/usage", bind(key_usage));
    router.add(http::Verb::get, "/healthz", bind(healthz));
    router.add(http::Verb::get, "/readyz", bind(readyz));
    router.add(http::Verb::get, "/metrics", bind(metrics));
}

http::RejectFn make_reject(const Services& services) {
    return [&services](http::Status status, std::string_view reason, const http::Request* partial) {
        openai::ApiError error;
        const std::string_view method = partial != nullptr ? partial->method_string() : std::string_view{};
        const std::string_view path =
            partial != nullptr ? http::path_of(partial->target()) : std::string_view{};
        switch (status) {
            case http::Status::payload_too_large:
                error = openai::body_too_large(services.max_body_bytes);
                break;
            case http::Status::request_header_fields_too_large:
                error = openai::headers_too_large();
                break;
            case http::Status::not_found:
                error = openai::route_not_found(method, path);
                break;
            case http::Status::method_not_allowed:
                error = openai::method_not_allowed(method, path);
                break;
            case http::Status::internal_server_error:
                error = openai::internal_error();
                spdlog::error("internal error on {} {}: {}", method, path, reason);
                break;
            case http::Status::not_implemented:
                error = openai::unsupported_transfer_encoding();
                break;
            default:
                error = openai::malformed_http(reason);
                break;
        }
        const std::string id = obs::request_id_from(
            partial != nullptr && partial->find("x-request-id") != partial->end() ? (*partial)["x-request-id"]
                                                                                  : std::string_view{});
        http::Response res{status, 11};
        res.set(http::bhttp::field::content_type, "application/json");
        res.set("x-request-id", id);
        res.set("x-gaterouter-overhead-us", "0");
        res.body() = error.body();

        obs::AccessRecord record;
        record.request_id = id;
        record.method = method;
        record.path = path;
        record.status = static_cast<unsigned>(status);
        record.bytes_out = res.body().size();
        record.error_code = error.code;
        services.access_log->write(record);
        return res;
    };
}

}  // namespace gaterouter::api
