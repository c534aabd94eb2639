#include "gaterouter/api/chat_completions.hpp"

#include <charconv>
#include <cstdio>

#include "gaterouter/api/key_admission.hpp"
#include "gaterouter/api/request_account.hpp"
#include "gaterouter/http/sse.hpp"

namespace gaterouter::api {
namespace {

// The headers that say which model served the answer, and what it was expected to cost.
template <class Fields>
void stamp_candidate(Fields& headers, const route::Candidate& candidate) {
    char cost[32];
    std::snprintf(cost, sizeof cost, "%.6f", candidate.expected_cost_usd);
    headers.set("x-gaterouter-model", candidate.model->id);
    headers.set("x-gaterouter-provider", candidate.model->provider->name);
    headers.set("x-gaterouter-estimated-cost-usd", cost);
}

// A numeric response header of the upstream's, when it sent one.
std::optional<double> header_number(const upstream::Response& response, const char* name) {
    const auto it = response.headers().find(name);
    if (it == response.headers().end()) return std::nullopt;
    const std::string_view text = it->value();
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

}  // namespace

double cost_of(const openai::Usage& usage, const catalog::Model& model) {
    return model.cost_usd(static_cast<double>(usage.prompt_tokens),
                          static_cast<double>(usage.completion_tokens));
}

std::optional<openai::ApiError> check_api_key(const http::Request& request, const Services& services,
                                              std::shared_ptr<const auth::ApiKeySet>& keys,
                                              const auth::ApiKey** key) {
    keys = services.keys->current();
    if (keys->open()) return std::nullopt;
    const auto it = request.find(http::bhttp::field::authorization);
    if (it == request.end()) return openai::missing_api_key();
    const std::string_view token = auth::bearer_token(it->value());
    if (token.empty()) return openai::missing_api_key();
    const auth::ApiKey* found = keys->verify(token);
    if (found == nullptr) return openai::invalid_api_key();
    const std::int64_t now = services.wall_clock->now_unix_ms();
    if (found->revoked_unix_ms && *found->revoked_unix_ms <= now) return openai::api_key_revoked();
    if (found->expires_unix_ms && *found->expires_unix_ms <= now) return openai::api_key_expired();
    if (key != nullptr) *key = found;
    return std::nullopt;
}

openai::ApiError upstream_failure(upstream::Failure failure, std::string_view model) {
    if (failure == upstream::Failure::out_of_descriptors)
        return openai::gateway_overloaded("The gateway is at its limit of open connections. Retry shortly.");
    if (upstream::is_timeout(failure)) return openai::upstream_timeout(model, upstream::describe(failure));
    if (failure == upstream::Failure::protocol)
        return openai::upstream_bad_response(model, upstream::describe(failure));
    return openai::upstream_unreachable(model, upstream::describe(failure));
}

namespace {

// Reads a chat request from the client's body; a `gaterouter` extension object is taken out of the body
// (it must not reach a vendor) and kept in `chat.extension`, which views `extension`.
std::optional<openai::ApiError> read_chat_request(http::Request& request, openai::ChatRequest& chat,
                                                  std::string& extension) {
    if (auto bad = openai::parse_chat_request(request.body(), chat)) return bad;
    if (!chat.extension) return std::nullopt;
    // GateRouter's own field never goes upstream (vendors refuse unknown parameters); the request is read
    // again from the bytes that will be sent, and the extension kept aside for routing.
    extension.assign(chat.extension->raw);
    request.body() = openai::without_member(request.body(), chat.root, "gaterouter");
    if (auto bad = openai::parse_chat_request(request.body(), chat)) return bad;
    openai::JsonSyntaxError ignored;
    chat.extension = openai::scan_json(extension, ignored);
    return std::nullopt;
}

}  // namespace

std::optional<openai::ApiError> take_chat_request(http::Request& request, const Services& services,
                                                  ChatIntake& intake) {
    if (auto denied = check_api_key(request, services, intake.keys, &intake.key)) return denied;
    return read_chat_request(request, intake.chat, intake.extension);
}

awaitable<void> ChatCompletionsHandler::operator()(http::Request& request, http::ResponseWriter& out) const {
    RequestScope scope(request, out, *services_.access_log, services_.metrics.get());
    ChatIntake intake;
    if (auto refused = take_chat_request(request, services_, intake)) {
        co_await scope.fail(std::move(*refused));
        co_return;
    }
    const auth::ApiKey* key = intake.key;
    const openai::ChatRequest& chat = intake.chat;
    scope.set_model(chat.model);
    RouteDecision decision;
    std::optional<openai::ApiError> refused = decide_route(services_, request, chat, key, false, decision);
    if (services_.classifier) {
        scope.set_task(classify::task_name(decision.classification.task),
                       classify::weight_name(decision.classification.weight));
    }
    if (refused) {
        co_await scope.fail(std::move(*refused));
        co_return;
    }
    const std::int64_t admitted_tokens =
        std::int64_t{decision.needs.prompt_tokens} + (decision.needs.max_output_tokens != 0
                                                          ? decision.needs.max_output_tokens
                                                          : decision.expected_output_tokens);
    KeyAdmission admission(key != nullptr ? key->limiter.get() : nullptr, scope);
    if (auto limited = admission.admit(admitted_tokens)) {
        co_await scope.fail(std::move(*limited));
        co_return;
    }
    RequestAccount account(services_, scope, key);
    std::optional<openai::ApiError> last_error =
        co_await account.reserve(decision, classify::task_name(decision.classification.task));
    if (!last_error) last_error = co_await execute(scope, account, request, chat, decision, key);
    if (!last_error) co_return;
    co_await account.settle(last_error->status);
    co_await scope.fail(std::move(*last_error));
}

// Tries the plan's candidates in order: a retryable failure before anything reached the client moves on to
// the next one, invisibly to the client. Candidates that cannot take a request now are passed over. When that
// leaves nothing at all, the request waits: in the admission queue when candidates are saturated (a place
// is handed to it when a request ends on one of them), else a bounded time for the first open breaker to take
// probes again. Returns the error to answer with, or nothing once the client has its answer.
awaitable<std::optional<openai::ApiError>> ChatCompletionsHandler::execute(
    RequestScope& scope, RequestAccount& account, http::Request& request, const openai::ChatRequest& chat,
    const RouteDecision& decision, const auth::ApiKey* key) const {
    std::optional<openai::ApiError> last_error;
    bool waited_for_recovery = false;
    QueuePlace queued(services_);
    CapacitySlot handed;  // a place the admission queue handed over
    const auto started = std::chrono::steady_clock::now();
    const auto attempts = [&scope] { return static_cast<std::size_t>(scope.attempts()); };  // hedges included
    // What is left of the request's own time limit (decision.timeout must be set).
    const auto time_left = [&] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
            *decision.timeout - (std::chrono::steady_clock::now() - started));
    };
    for (;;) {
        bool saturated = false;
        bool refills =
            false;  // a saturated candidate waits for time (rate buckets), not for a request to end
        for (std::size_t i = 0; i < decision.candidates.size() && attempts() < services_.max_attempts; ++i) {
            const route::Candidate& candidate = decision.candidates[i];
            route::DeploymentState& health = services_.deployments->of(*candidate.model);
            if (auto refused = account.cover(*candidate.model)) {
                if (!last_error) last_error = std::move(refused);
                continue;
            }
            CapacitySlot slot = take_place(health, candidate.model->index, handed);
            if (!slot) {
                if (health.saturated()) {
                    saturated = true;
                    refills = refills || !health.rate_ready();
                }
                if (!last_error) last_error = openai::model_unavailable(candidate.model->id);
                continue;
            }
            queued.leave(true);
            if (attempts() == 0) {
                services_.retry_budget->on_request();
            } else if (!services_.retry_budget->try_spend()) {
                co_return last_error;  // a wide outage: failovers would only add load
            }
            upstream::Timeouts timeouts = services_.upstream_timeouts;
            if (decision.first_token_timeout)
                timeouts.first_byte = std::min(timeouts.first_byte, *decision.first_token_timeout);
            if (decision.timeout) {
                const auto left = time_left();
                if (left.count() <= 0) co_return openai::request_timeout(decision.timeout->count());
                timeouts.total = std::min(timeouts.total, left);
            }
            scope.begin_attempt(candidate.model->provider->name);
            std::optional<Hedge> hedge = plan_hedge(decision, i, chat.stream, request.body());
            // The last try may take the client's body itself; earlier ones, and one that may be hedged, send
            // a copy, so that the client's body is still there for a retry or the hedge.
            const bool last_try =
                !hedge && (attempts() == services_.max_attempts || i + 1 == decision.candidates.size());
            std::string copy;
            std::string& body = last_try ? request.body() : (copy = request.body());
            Attempt attempt = co_await try_candidate(scope, account, chat, body, candidate, health,
                                                     std::move(slot), timeouts, hedge ? &*hedge : nullptr);
            if (attempt.done) co_return std::nullopt;
            last_error = std::move(attempt.error);
        }
        handed.release();  // not used after all: the next waiter may
        if (attempts() > 0) co_return last_error;
        if (saturated) {
            if (queued.models.empty()) {
                queued.policy = key != nullptr
                                    ? admit::queue_policy(key->name, key->queue, services_.admission_config)
                                    : admit::queue_policy({}, {}, services_.admission_config);
                if (decision.timeout) {
                    queued.policy.max_wait =
                        std::max(std::min(queued.policy.max_wait, time_left()), std::chrono::milliseconds(0));
                }
                for (const route::Candidate& c : decision.candidates) queued.models.push_back(c.model->index);
            }
            std::uint32_t granted = 0;
            const admit::WaitOutcome outcome = co_await services_.admission->wait(
                queued.policy, queued.models, queued.ticket, refills, granted);
            if (outcome == admit::WaitOutcome::handed_over) {
                handed = CapacitySlot(services_.deployments->of(*services_.catalog->models()[granted]),
                                      granted, services_.admission.get());
            }
            if (!admit::refused(outcome)) continue;
            scope.set_retry_after(std::chrono::seconds(1));
            co_return queue_refusal(outcome, queued.policy);
        }
        if (waited_for_recovery) co_return last_error;
        waited_for_recovery = true;
        const auto wait = time_to_recovery(decision);
        if (!wait) co_return last_error;
        const auto executor = co_await net::this_coro::executor;
        net::steady_timer timer(executor, *wait);
        error_code ec;
        co_await timer.async_wait(with_ec(ec));
    }
}

void ChatCompletionsHandler::QueuePlace::leave(bool served) {
    const auto late = services_.admission->leave(policy, ticket, served);
    if (!late) return;
    const catalog::Model& model = *services_.catalog->models()[*late];
    CapacitySlot(services_.deployments->of(model), *late, services_.admission.get()).release();
}

CapacitySlot ChatCompletionsHandler::take_place(route::DeploymentState& health, std::uint32_t model,
                                                CapacitySlot& handed) const {
    if (handed.holds(model)) {
        if (health.breaker.allow() && health.take_rate()) return std::move(handed);
        return {};
    }
    return take_new_place(health, model);
}

CapacitySlot ChatCompletionsHandler::take_new_place(route::DeploymentState& health,
                                                    std::uint32_t model) const {
    if (!health.available() || !health.breaker.allow() || !health.take_capacity()) return {};
    return CapacitySlot(health, model, services_.admission.get());
}

openai::ApiError ChatCompletionsHandler::queue_refusal(admit::WaitOutcome outcome,
                                                       const admit::KeyQueuePolicy& policy) {
    const std::string wait = std::to_string(policy.max_wait.count()) + " ms";
    switch (outcome) {
        case admit::WaitOutcome::key_full:
            return openai::rate_limited(
                "Every model that can serve this request is at capacity, and this key "
                "already has its maximum of " +
                std::to_string(policy.max_depth) + " requests waiting for one. Retry shortly.");
        case admit::WaitOutcome::gateway_full:
            return openai::gateway_overloaded(
                "The gateway is at capacity and its queue of waiting requests is full. Retry shortly.");
        case admit::WaitOutcome::would_wait_too_long:
            return openai::gateway_overloaded(
                "Every model that can serve this request is at capacity, and the "
                "requests waiting ahead of it would not be served within " +
                wait + ". Retry shortly.");
        default:
            return openai::gateway_overloaded(
                "Every model that can serve this request stayed at capacity for " + wait +
                ", the longest it may wait. Retry shortly.");
    }
}

// How long until the first candidate takes requests again, when that is within the wait allowed.
std::optional<std::chrono::steady_clock::duration> ChatCompletionsHandler::time_to_recovery(
    const RouteDecision& decision) const {
    const auto now = services_.clock->now();
    std::optional<route::Clock::time_point> first;
    for (const route::Candidate& c : decision.candidates) {
        const route::DeploymentState& state = services_.deployments->of(*c.model);
        const auto at = std::max(state.breaker.reopens_at(), state.held_until());
        if (!first || at < *first) first = at;
    }
    if (!first || *first - now > services_.wait_for_recovery) return std::nullopt;
    return std::max(*first - now, route::Clock::duration::zero());
}

ChatCompletionsHandler::InFlight::InFlight(route::DeploymentState& health, CapacitySlot slot)
    : health_(health), slot_(std::move(slot)), start_(std::chrono::steady_clock::now()) {}

ChatCompletionsHandler::Attempt ChatCompletionsHandler::InFlight::failed(openai::ApiError error,
                                                                         upstream::Failure failure) {
    if (!upstream::is_gateways_own(failure)) health_.record_failure();
    return Attempt{false, std::move(error)};
}

void ChatCompletionsHandler::InFlight::first_token() {
    if (first_token_ == std::chrono::steady_clock::time_point{})
        first_token_ = std::chrono::steady_clock::now();
}

void ChatCompletionsHandler::InFlight::succeeded(std::int64_t output_tokens) {
    const auto now = std::chrono::steady_clock::now();
    const auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    const double ttft =
        first_token_ == std::chrono::steady_clock::time_point{} ? -1.0 : ms(first_token_ - start_);
    health_.record_success(ms(now - start_), ttft, output_tokens);
}

// Retry-After on a 429 or 503: the provider asks for a pause; the deployment is left out until then (at most
// a minute, whatever it asks).
void hold_for_retry_after(const upstream::Response& response, route::DeploymentState& health,
                          const route::Clock& clock) {
    if (response.status() != 429 && response.status() != 503) return;
    const auto it = response.headers().find(http::bhttp::field::retry_after);
    if (it == response.headers().end()) return;
    const std::string_view value = it->value();
    long long seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || end != value.data() + value.size() || seconds <= 0) return;
    health.hold_until(clock.now() + std::chrono::seconds(std::min(seconds, 60LL)));
}

awaitable<ChatCompletionsHandler::Attempt> ChatCompletionsHandler::try_candidate(
    RequestScope& scope, RequestAccount& account, const openai::ChatRequest& chat, std::string& body,
    const route::Candidate& candidate, route::DeploymentState& health, CapacitySlot slot,
    upstream::Timeouts timeouts, Hedge* hedge) const {
    Contender first(candidate, health, std::move(slot));
    const providers::ProviderRuntime& first_provider = services_.providers->of(*candidate.model->provider);
    first.request = first_provider.chat->build_request(chat, body, *candidate.model);
    first.request.set("x-request-id", scope.id());
    std::optional<Contender> second;
    Contender* winner = &first;
    if (hedge == nullptr) {
        first.failure = co_await scope.upstream(
            client_.send(first_provider.origin, first.request, timeouts, first.response));
    } else {
        winner = co_await scope.upstream(race(scope, account, chat, first, second, *hedge, timeouts));
    }
    Contender& c = *winner;
    const catalog::Model& model = *c.candidate.model;
    const providers::ProviderRuntime& provider = services_.providers->of(*model.provider);
    InFlight& in_flight = c.in_flight;
    upstream::Response& response = c.response;
    if (c.failure != upstream::Failure::none)
        co_return in_flight.failed(upstream_failure(c.failure, model.id), c.failure);
    if (second) account.cover(model);  // the winner's budgets hold the request from here on
    c.health.provider_remaining(header_number(response, "x-ratelimit-remaining-requests"),
                                header_number(response, "x-ratelimit-remaining-tokens"));

    if (response.status() < 200 || response.status() > 299) {
        hold_for_retry_after(response, c.health, *services_.clock);
        openai::ApiError error = co_await read_upstream_error(scope, response, provider, model);
        if (error.retryable()) co_return in_flight.failed(std::move(error));
        in_flight.succeeded(0);  // the provider is healthy; the request was not
        co_await account.settle(error.status);
        co_await scope.fail(std::move(error));
        co_return Attempt{true, {}};
    }
    const providers::StreamOptions options{chat.include_usage};
    if (chat.stream) scope.set_streaming();
    std::optional<openai::ApiError> error;
    if (chat.stream) {
        error = co_await relay_stream(scope, account, response, provider, c.candidate, options, in_flight);
    } else {
        error = co_await relay_whole(scope, account, response, provider, c.candidate);
    }
    if (!error) {
        c.health.charge_tokens(scope.usage().prompt_tokens + scope.usage().completion_tokens);
        in_flight.succeeded(scope.usage().completion_tokens);
        co_return Attempt{true, {}};
    }
    Attempt attempt = in_flight.failed(std::move(*error));
    attempt.done = scope.out().headers_sent();  // once the client has bytes, there is no going back
    co_return attempt;
}

std::optional<ChatCompletionsHandler::Hedge> ChatCompletionsHandler::plan_hedge(
    const RouteDecision& decision, std::size_t index, bool stream, const std::string& body) const {
    if (decision.hedging == nullptr || !decision.hedging->hedge || index + 1 >= decision.candidates.size())
        return std::nullopt;
    const config::HedgeConfig& settings = *decision.hedging->hedge;
    std::chrono::milliseconds after = settings.min;
    if (settings.after) {
        after = std::max(after, *settings.after);
    } else {
        // The deployment's own recent time to its response head (to the first token for streams); none yet:
        // nothing to call slow.
        const route::DeploymentState& state = services_.deployments->of(*decision.candidates[index].model);
        const auto& window = stream ? state.ttft_window : state.latency_window;
        const std::vector<double> q = window.quantiles({settings.quantile});
        if (q.empty()) return std::nullopt;
        after = std::max(after, std::chrono::milliseconds(static_cast<std::int64_t>(q.front())));
    }
    return Hedge{after, std::span(decision.candidates).subspan(index + 1), &body};
}

awaitable<void> ChatCompletionsHandler::send(Contender& contender, upstream::Timeouts timeouts,
                                             net::steady_timer& done) const {
    const providers::ProviderRuntime& provider =
        services_.providers->of(*contender.candidate.model->provider);
    contender.failure = co_await client_.send(provider.origin, contender.request, timeouts,
                                              contender.response, &contender.cancel);
    contender.done = true;
    done.cancel();
}

// Both sends run on this request's thread. The first to get a 2xx head wins; a failure or an error status
// waits for the other one while it runs. The loser is cancelled (its connection closed) and awaited, so
// nothing outlives this frame.
awaitable<ChatCompletionsHandler::Contender*> ChatCompletionsHandler::race(
    RequestScope& scope, RequestAccount& account, const openai::ChatRequest& chat, Contender& first,
    std::optional<Contender>& second, Hedge& hedge, upstream::Timeouts timeouts) const {
    const auto executor = co_await net::this_coro::executor;
    net::steady_timer done(executor);
    const auto answered = [](const Contender& c) {
        return c.done && c.failure == upstream::Failure::none && c.response.status() >= 200 &&
               c.response.status() <= 299;
    };
    net::co_spawn(executor, send(first, timeouts, done), net::detached);
    done.expires_after(hedge.after);
    error_code ec;
    co_await done.async_wait(with_ec(ec));
    if (!first.done) {
        for (const route::Candidate& other : hedge.others) {
            route::DeploymentState& health = services_.deployments->of(*other.model);
            if (account.cover(*other.model)) continue;
            CapacitySlot slot = take_new_place(health, other.model->index);
            if (!slot) continue;
            second.emplace(other, health, std::move(slot));
            const providers::ProviderRuntime& provider = services_.providers->of(*other.model->provider);
            std::string body = *hedge.body;
            second->request = provider.chat->build_request(chat, body, *other.model);
            second->request.set("x-request-id", scope.id());
            scope.begin_attempt(other.model->provider->name);
            health.hedges_fired.fetch_add(1, std::memory_order_relaxed);
            net::co_spawn(executor, send(*second, timeouts, done), net::detached);
            break;
        }
    }
    // Until one answered, or every one started is done.
    while (!answered(first) && !(second && answered(*second)) && !(first.done && (!second || second->done))) {
        done.expires_at(net::steady_timer::time_point::max());
        co_await done.async_wait(with_ec(ec));
    }
    // Neither answered: both are done, and the second's failure is the one to report.
    Contender* winner = answered(first) || !second ? &first : &*second;
    Contender* loser = winner == &first ? (second ? &*second : nullptr) : &first;
    if (loser != nullptr && !loser->done) {
        loser->cancel.cancel();
        while (!loser->done) {
            done.expires_at(net::steady_timer::time_point::max());
            co_await done.async_wait(with_ec(ec));
        }
    } else if (loser != nullptr && (loser->failure != upstream::Failure::none ||
                                    loser->response.status() >= 500 || loser->response.status() == 429)) {
        loser->in_flight.failed(upstream_failure(loser->failure, loser->candidate.model->id),
                                loser->failure);  // its breaker learns
    }
    if (second && winner == &*second) second->health.hedges_won.fetch_add(1, std::memory_order_relaxed);
    co_return winner;
}

std::optional<openai::ApiError> take_whole_answer(std::optional<std::string>& answer,
                                                  const providers::ProviderRuntime& provider,
                                                  const catalog::Model& model, RequestScope& scope,
                                                  RequestAccount& account, bool writes_tokens) {
    if (answer) provider.secrets.scrub(*answer);
    const openai::AnswerUsage read = answer ? openai::read_answer_usage(*answer) : openai::AnswerUsage{};
    if (!read.is_object) return openai::upstream_bad_response(model.id, "the answer was not a JSON object");
    scope.served_by(model);
    if (read.usage) {
        scope.set_usage(*read.usage, cost_of(*read.usage, model));
    } else {
        // About four bytes a token of the answer, its JSON framing included.
        account.charge_own_count(writes_tokens ? static_cast<std::int64_t>(answer->size() + 3) / 4 : 0);
    }
    return std::nullopt;
}

awaitable<openai::ApiError> read_upstream_error(RequestScope& scope, upstream::Response& response,
                                                const providers::ProviderRuntime& provider,
                                                const catalog::Model& model) {
    std::string body;
    const auto failure = co_await scope.upstream(response.read_all(body, 1024 * 1024));
    if (failure != upstream::Failure::none) body.clear();  // the status alone still says what happened
    openai::ApiError error = provider.chat->translate_error(response.status(), body, model);
    provider.secrets.scrub(error);
    co_return error;
}

awaitable<std::optional<openai::ApiError>> ChatCompletionsHandler::relay_whole(
    RequestScope& scope, RequestAccount& account, upstream::Response& response,
    const providers::ProviderRuntime& provider, const route::Candidate& candidate) const {
    const catalog::Model& model = *candidate.model;
    std::string body;
    const auto failure = co_await scope.upstream(response.read_all(body, services_.max_upstream_body_bytes));
    if (failure != upstream::Failure::none) co_return upstream_failure(failure, model.id);

    std::optional<std::string> answer = provider.chat->translate_response(std::move(body), model);
    if (auto bad = take_whole_answer(answer, provider, model, scope, account, true))
        co_return std::move(*bad);
    http::Response res{http::Status::ok, 11};
    res.set(http::bhttp::field::content_type, "application/json");
    stamp_candidate(res, candidate);
    res.body() = std::move(*answer);
    co_await account.settle(200);  // the spend is on record before the client has its answer
    scope.stamp(res);
    scope.first_byte();
    co_await scope.out().send(std::move(res));
    co_return std::nullopt;
}

// Relays the upstream's events as they arrive: each read from the upstream is translated and written to the
// client at once, never held back for the end. The client's headers go out with the first event, so until
// then a failure can still be answered with a plain error status. After that a failure must not look like a
// finished answer: the stream ends with an error event and without [DONE].
awaitable<std::optional<openai::ApiError>> ChatCompletionsHandler::relay_stream(
    RequestScope& scope, RequestAccount& account, upstream::Response& response,
    const providers::ProviderRuntime& provider, const route::Candidate& candidate,
    const providers::StreamOptions& options, InFlight& in_flight) const {
    const catalog::Model& model = *candidate.model;
    http::ResponseWriter& out = scope.out();
    http::SseParser parser;
    const auto translator = provider.chat->stream_translator(model, options);
    std::string batch;
    std::int64_t events = 0;  // relayed so far: one token each, when the upstream reports no usage
    const http::SseParser::EventFn on_event = [&](const http::SseEvent& e) {
        if (!translator->on_event(e, batch)) return false;
        ++events;
        return true;
    };
    scope.served_by(model);
    for (;;) {
        std::string_view piece;
        auto failure = co_await scope.upstream(response.read_some(piece));
        batch.clear();
        if (!piece.empty()) in_flight.first_token();
        if (failure == upstream::Failure::none) {
            const bool parsed = piece.empty() ? parser.finish(on_event) : parser.feed(piece, on_event);
            if (!parsed) failure = upstream::Failure::protocol;
            if (parsed && piece.empty()) translator->on_end(batch);
            provider.secrets.scrub(batch);
        }
        if (failure != upstream::Failure::none) {
            response.abandon();
            if (!out.headers_sent())
                co_return upstream_failure(failure, model.id);  // another candidate may serve it
            account.charge_own_count(events);
            openai::ApiError error = upstream_failure(failure, model.id);
            co_await end_stream_with_error(scope, account, error);
            co_return error;
        }
        if (translator->finished()) {  // the spend is on record before the client reads the end
            if (const auto& usage = translator->usage()) {
                scope.set_usage(*usage, cost_of(*usage, model));
            } else {
                account.charge_own_count(events);  // a complete stream without usage is never free
            }
            co_await account.settle(200);
        }
        if (!batch.empty() || piece.empty()) {
            error_code ec;
            if (!out.headers_sent()) ec = co_await start_stream(scope, candidate);
            if (!ec) ec = co_await out.write_chunk(batch);
            if (ec) {  // the client left: stop the upstream, so no one pays for tokens no one reads
                response.abandon();
                account.charge_own_count(events);
                co_return std::nullopt;
            }
        }
        if (piece.empty()) break;
    }
    if (!translator->finished()) {
        account.charge_own_count(events);
        openai::ApiError error =
            openai::upstream_bad_response(model.id, "the stream ended before it was complete");
        co_await end_stream_with_error(scope, account, error);
        co_return error;
    }
    co_await out.finish_stream();
    co_return std::nullopt;
}

awaitable<error_code> ChatCompletionsHandler::start_stream(RequestScope& scope,
                                                           const route::Candidate& candidate) {
    http::bhttp::response<http::bhttp::empty_body> head{http::Status::ok, 11};
    head.set(http::bhttp::field::content_type, "text/event-stream");
    head.set(http::bhttp::field::cache_control, "no-cache");
    stamp_candidate(head, candidate);
    scope.stamp(head);
    scope.first_byte();
    const error_code ec = co_await scope.out().start_stream(std::move(head));
    co_return ec;
}

awaitable<void> ChatCompletionsHandler::end_stream_with_error(RequestScope& scope, RequestAccount& account,
                                                              openai::ApiError error) {
    scope.note_error(error.code);
    co_await account.settle(error.status);
    const std::string event = http::sse_data(error.body());
    const error_code ec = co_await scope.out().write_chunk(event);
    if (!ec) co_await scope.out().finish_stream();
}

}  // namespace gaterouter::api
