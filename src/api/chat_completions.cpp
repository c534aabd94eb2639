#include "gaterouter/api/chat_completions.hpp"

#include "gaterouter/classify/request_text.hpp"
#include "gaterouter/http/sse.hpp"

namespace gaterouter::api {

std::optional<openai::ApiError> check_api_key(const http::Request& request, const auth::ApiKeySet& keys) {
    if (keys.open()) return std::nullopt;
    const auto it = request.find(http::bhttp::field::authorization);
    if (it == request.end()) return openai::missing_api_key();
    const std::string_view token = auth::bearer_token(it->value());
    if (token.empty()) return openai::missing_api_key();
    if (keys.verify(token) == nullptr) return openai::invalid_api_key();
    return std::nullopt;
}

catalog::Needs needs_of(const openai::ChatRequest& chat) {
    catalog::Needs needs;
    if (chat.wants_tools) needs.capabilities |= catalog::kTools;
    if (chat.has_images) needs.capabilities |= catalog::kVision;
    if (chat.json_mode) needs.capabilities |= catalog::kJson;
    if (chat.stream) needs.capabilities |= catalog::kStreaming;
    needs.prompt_tokens = chat.estimated_prompt_tokens;
    needs.max_output_tokens =
        static_cast<std::uint32_t>(std::min<std::int64_t>(chat.max_tokens.value_or(0), UINT32_MAX));
    return needs;
}

openai::ApiError upstream_failure(upstream::Failure failure, std::string_view model) {
    if (upstream::is_timeout(failure)) return openai::upstream_timeout(model, upstream::describe(failure));
    if (failure == upstream::Failure::protocol)
        return openai::upstream_bad_response(model, upstream::describe(failure));
    return openai::upstream_unreachable(model, upstream::describe(failure));
}

awaitable<void> ChatCompletionsHandler::operator()(http::Request& request, http::ResponseWriter& out) const {
    RequestScope scope(request, out, *services_.access_log);
    if (auto denied = check_api_key(request, *services_.keys)) {
        co_await scope.fail(*denied);
        co_return;
    }

    openai::ChatRequest chat;
    if (auto bad = openai::parse_chat_request(request.body(), chat)) {
        co_await scope.fail(*bad);
        co_return;
    }
    scope.set_model(chat.model);
    if (services_.classifier) {
        thread_local std::string text;  // the classifier's input, reused from request to request
        const classify::Classification c = services_.classifier->classify(classify::classifier_input(chat, text));
        scope.set_task(classify::task_name(c.task), classify::weight_name(c.weight));
    }
    const catalog::Model* model = services_.catalog->find_model(chat.model);
    if (model == nullptr) {
        co_await scope.fail(openai::model_not_found(chat.model));
        co_return;
    }
    const route::Plan plan =
        route::plan_for_model(*services_.catalog, *model, needs_of(chat), services_.max_attempts);
    if (!plan.refusal.empty()) {
        co_await scope.fail(openai::invalid_request("This request cannot be served: " + plan.refusal + ".",
                                                    "model", "model_not_capable"));
        co_return;
    }

    // The plan's candidates in order: a retryable failure before anything reached the client moves on to the
    // next one, invisibly to the client. Candidates whose breaker is open are passed over.
    std::optional<openai::ApiError> last_error;
    for (std::size_t i = 0; i < plan.candidates.size(); ++i) {
        const catalog::Model& candidate = *plan.candidates[i];
        route::DeploymentState& health = services_.deployments->of(candidate);
        if (!health.breaker.allow()) {
            if (!last_error) last_error = openai::model_unavailable(candidate.id);
            continue;
        }
        scope.begin_attempt(candidate.provider->name);
        // The last candidate may take the client's body itself; earlier ones get a copy, kept for a retry.
        std::string copy;
        std::string& body = i + 1 == plan.candidates.size() ? request.body() : (copy = request.body());
        const Attempt attempt = co_await try_candidate(scope, chat, body, candidate, health);
        if (attempt.done) co_return;
        last_error = attempt.error;
    }
    // Named first: GCC 12 destroys a conditional's temporary twice when it is a coroutine's argument.
    openai::ApiError error = last_error ? std::move(*last_error) : openai::model_unavailable(model->id);
    co_await scope.fail(std::move(error));
}

ChatCompletionsHandler::InFlight::InFlight(route::DeploymentState& health)
    : health_(health), start_(std::chrono::steady_clock::now()) {
    health_.in_flight.fetch_add(1, std::memory_order_relaxed);
}

ChatCompletionsHandler::InFlight::~InFlight() {
    health_.in_flight.fetch_sub(1, std::memory_order_relaxed);
}

ChatCompletionsHandler::Attempt ChatCompletionsHandler::InFlight::failed(openai::ApiError error) {
    health_.breaker.record_failure();
    health_.failures.fetch_add(1, std::memory_order_relaxed);
    return Attempt{false, std::move(error)};
}

void ChatCompletionsHandler::InFlight::succeeded() {
    health_.breaker.record_success();
    health_.successes.fetch_add(1, std::memory_order_relaxed);
    const auto elapsed = std::chrono::steady_clock::now() - start_;
    health_.latency_ms.add(std::chrono::duration<double, std::milli>(elapsed).count());
}

awaitable<ChatCompletionsHandler::Attempt> ChatCompletionsHandler::try_candidate(
    RequestScope& scope, const openai::ChatRequest& chat, std::string& body, const catalog::Model& model,
    route::DeploymentState& health) const {
    const providers::ProviderRuntime& provider = services_.providers->of(*model.provider);
    http::Request upstream_request = provider.chat->build_request(chat, body, model);
    upstream_request.set("x-request-id", scope.id());

    InFlight in_flight(health);
    upstream::Response response;
    const upstream::Failure failure = co_await scope.upstream(
        client_.send(provider.origin, upstream_request, services_.upstream_timeouts, response));
    if (failure != upstream::Failure::none) co_return in_flight.failed(upstream_failure(failure, model.id));

    if (response.status() < 200 || response.status() > 299) {
        openai::ApiError error = co_await read_upstream_error(scope, response, provider, model);
        if (error.retryable()) co_return in_flight.failed(std::move(error));
        in_flight.succeeded();  // the provider is healthy; the request was not
        co_await scope.fail(std::move(error));
        co_return Attempt{true, {}};
    }
    const providers::StreamOptions options{chat.include_usage};
    std::optional<openai::ApiError> error;
    if (chat.stream) {
        error = co_await relay_stream(scope, response, provider, model, options);
    } else {
        error = co_await relay_whole(scope, response, provider, model);
    }
    if (!error) {
        in_flight.succeeded();
        co_return Attempt{true, {}};
    }
    Attempt attempt = in_flight.failed(std::move(*error));
    attempt.done = scope.out().headers_sent();  // once the client has bytes, there is no going back
    co_return attempt;
}

awaitable<openai::ApiError> read_upstream_error(RequestScope& scope, upstream::Response& response,
                                                const providers::ProviderRuntime& provider,
                                                const catalog::Model& model) {
    std::string body;
    const auto failure = co_await scope.upstream(response.read_all(body, 1024 * 1024));
    if (failure != upstream::Failure::none) body.clear();  // the status alone still says what happened
    co_return provider.chat->translate_error(response.status(), body, model);
}

awaitable<std::optional<openai::ApiError>> ChatCompletionsHandler::relay_whole(
    RequestScope& scope, upstream::Response& response, const providers::ProviderRuntime& provider,
    const catalog::Model& model) const {
    std::string body;
    const auto failure = co_await scope.upstream(response.read_all(body, services_.max_upstream_body_bytes));
    if (failure != upstream::Failure::none) co_return upstream_failure(failure, model.id);

    http::Response res{http::Status::ok, 11};
    res.set(http::bhttp::field::content_type, "application/json");
    res.set("x-gaterouter-model", model.id);
    res.set("x-gaterouter-provider", model.provider->name);
    res.body() = provider.chat->translate_response(std::move(body), model);
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
    RequestScope& scope, upstream::Response& response, const providers::ProviderRuntime& provider,
    const catalog::Model& model, const providers::StreamOptions& options) const {
    http::ResponseWriter& out = scope.out();
    http::SseParser parser;
    const auto translator = provider.chat->stream_translator(model, options);
    std::string batch;
    const http::SseParser::EventFn on_event = [&](const http::SseEvent& e) {
        translator->on_event(e, batch);
        return true;
    };
    for (;;) {
        std::string_view piece;
        auto failure = co_await scope.upstream(response.read_some(piece));
        batch.clear();
        if (failure == upstream::Failure::none) {
            const bool parsed = piece.empty() ? parser.finish(on_event) : parser.feed(piece, on_event);
            if (!parsed) failure = upstream::Failure::protocol;
            if (parsed && piece.empty()) translator->on_end(batch);
        }
        if (failure != upstream::Failure::none) {
            response.abandon();
            if (!out.headers_sent())
                co_return upstream_failure(failure, model.id);  // another candidate may serve it
            openai::ApiError error = upstream_failure(failure, model.id);
            co_await end_stream_with_error(scope, error);
            co_return error;
        }
        if (!batch.empty() || piece.empty()) {
            error_code ec;
            if (!out.headers_sent()) ec = co_await start_stream(scope, model);
            if (!ec) ec = co_await out.write_chunk(batch);
            if (ec) {  // the client left: stop the upstream, so no one pays for tokens no one reads
                response.abandon();
                co_return std::nullopt;
            }
        }
        if (piece.empty()) break;
    }
    if (!translator->finished()) {
        openai::ApiError error =
            openai::upstream_bad_response(model.id, "the stream ended before it was complete");
        co_await end_stream_with_error(scope, error);
        co_return error;
    }
    co_await out.finish_stream();
    co_return std::nullopt;
}

awaitable<error_code> ChatCompletionsHandler::start_stream(RequestScope& scope, const catalog::Model& model) {
    http::bhttp::response<http::bhttp::empty_body> head{http::Status::ok, 11};
    head.set(http::bhttp::field::content_type, "text/event-stream");
    head.set(http::bhttp::field::cache_control, "no-cache");
    head.set("x-gaterouter-model", model.id);
    head.set("x-gaterouter-provider", model.provider->name);
    scope.stamp(head);
    scope.first_byte();
    const error_code ec = co_await scope.out().start_stream(std::move(head));
    co_return ec;
}

awaitable<void> ChatCompletionsHandler::end_stream_with_error(RequestScope& scope, openai::ApiError error) {
    scope.note_error(error.code);
    const std::string event = http::sse_data(error.body());
    const error_code ec = co_await scope.out().write_chunk(event);
    if (!ec) co_await scope.out().finish_stream();
}

}  // namespace gaterouter::api
