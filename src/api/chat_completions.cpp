#include "gaterouter/api/chat_completions.hpp"

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
    needs.max_output_tokens = static_cast<std::uint32_t>(std::min<std::int64_t>(chat.max_tokens.value_or(0), UINT32_MAX));
    return needs;
}

openai::ApiError upstream_failure(upstream::Failure failure, std::string_view model) {
    if (upstream::is_timeout(failure)) return openai::upstream_timeout(model, upstream::describe(failure));
    if (failure == upstream::Failure::protocol) return openai::upstream_bad_response(model, upstream::describe(failure));
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
    const catalog::Model* model = services_.catalog->find_model(chat.model);
    if (model == nullptr) {
        co_await scope.fail(openai::model_not_found(chat.model));
        co_return;
    }

    if (const std::string unfit = model->unfit_for(needs_of(chat)); !unfit.empty()) {
        co_await scope.fail(openai::invalid_request("This request cannot be served: " + unfit + ".", "model",
                                                              "model_not_capable"));
        co_return;
    }

    const providers::ProviderRuntime& provider = services_.providers->of(*model->provider);
    scope.set_upstream(model->provider->name);
    const bool stream = chat.stream;
    const providers::StreamOptions stream_options{chat.include_usage};
    // May move the client's body into the upstream request: `chat` must not be read after this.
    http::Request upstream_request = provider.chat->build_request(chat, request.body(), *model);
    upstream_request.set("x-request-id", scope.id());

    upstream::Response response;
    const upstream::Failure failure = co_await scope.upstream(
        client_.send(provider.origin, upstream_request, services_.upstream_timeouts, response));
    if (failure != upstream::Failure::none) {
        co_await scope.fail(upstream_failure(failure, model->id));
        co_return;
    }

    if (response.status() < 200 || response.status() > 299) {
        co_await relay_upstream_error(scope, response, provider, *model);
        co_return;
    }
    if (stream) {
        co_await relay_stream(scope, response, provider, *model, stream_options);
        co_return;
    }
    co_await relay_whole(scope, response, provider, *model);
}

awaitable<void> relay_upstream_error(RequestScope& scope, upstream::Response& response,
                                     const providers::ProviderRuntime& provider, const catalog::Model& model) {
    std::string body;
    const auto failure = co_await scope.upstream(response.read_all(body, 1024 * 1024));
    if (failure != upstream::Failure::none) body.clear();
    co_await scope.fail(provider.chat->translate_error(response.status(), body, model));
}

awaitable<void> ChatCompletionsHandler::relay_whole(RequestScope& scope, upstream::Response& response,
                                                    const providers::ProviderRuntime& provider,
                                                    const catalog::Model& model) const {
    std::string body;
    const auto failure = co_await scope.upstream(response.read_all(body, services_.max_upstream_body_bytes));
    if (failure != upstream::Failure::none) {
        co_await scope.fail(upstream_failure(failure, model.id));
        co_return;
    }

    http::Response res{http::Status::ok, 11};
    res.set(http::bhttp::field::content_type, "application/json");
    res.set("x-gaterouter-model", model.id);
    res.set("x-gaterouter-provider", model.provider->name);
    res.body() = provider.chat->translate_response(std::move(body), model);
    scope.stamp(res);
    scope.first_byte();
    co_await scope.out().send(std::move(res));
}

// Relays the upstream's events as they arrive: each read from the upstream is translated and written to the
// client at once, never held back for the end. The client's headers go out with the first event, so until then
// a failure can still be answered with a plain error status. After that a failure must not look like a
// finished answer: the stream ends with an error event and without [DONE].
awaitable<void> ChatCompletionsHandler::relay_stream(RequestScope& scope, upstream::Response& response,
                                                     const providers::ProviderRuntime& provider,
                                                     const catalog::Model& model,
                                                     const providers::StreamOptions& options) const {
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
            if (!out.headers_sent()) {
                co_await scope.fail(upstream_failure(failure, model.id));
                co_return;
            }
            co_await end_stream_with_error(scope, upstream_failure(failure, model.id));
            co_return;
        }
        if (!batch.empty() || piece.empty()) {
            error_code ec;
            if (!out.headers_sent()) ec = co_await start_stream(scope, model);
            if (!ec) ec = co_await out.write_chunk(batch);
            if (ec) {  // the client left: stop the upstream, so no one pays for tokens no one reads
                response.abandon();
                co_return;
            }
        }
        if (piece.empty()) break;
    }
    if (!translator->finished()) {
        co_await end_stream_with_error(
            scope, openai::upstream_bad_response(model.id, "the stream ended before it was complete"));
        co_return;
    }
    co_await out.finish_stream();
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
