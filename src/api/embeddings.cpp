#include "gaterouter/api/embeddings.hpp"

#include "gaterouter/api/chat_completions.hpp"
#include "gaterouter/api/key_admission.hpp"
#include "gaterouter/api/request_account.hpp"
#include "gaterouter/api/route_decision.hpp"

namespace gaterouter::api {

awaitable<void> EmbeddingsHandler::operator()(http::Request& request, http::ResponseWriter& out) const {
    RequestScope scope(request, out, *services_.access_log, services_.metrics.get());
    std::shared_ptr<const auth::ApiKeySet> keys;
    const auth::ApiKey* key = nullptr;
    if (auto denied = check_api_key(request, services_, keys, &key)) {
        co_await scope.fail(*denied);
        co_return;
    }

    providers::EmbeddingsRequest embeddings;
    if (auto bad = providers::parse_embeddings_request(request.body(), embeddings)) {
        co_await scope.fail(*bad);
        co_return;
    }
    scope.set_model(embeddings.model);
    const catalog::Model* model = services_.catalog->find_model(embeddings.model);
    if (model == nullptr) {
        co_await scope.fail(openai::model_not_found(embeddings.model));
        co_return;
    }
    if (key != nullptr && !key->allows(model->id)) {
        co_await scope.fail(openai::model_not_allowed(model->id));
        co_return;
    }
    const providers::ProviderRuntime& provider = services_.providers->of(*model->provider);
    if (!model->has(catalog::kEmbeddings) || provider.embeddings == nullptr) {
        co_await scope.fail(openai::invalid_request(
            "The model '" + model->id + "' is not an embeddings model; see GET /v1/models.", "model",
            "model_not_capable"));
        co_return;
    }
    scope.set_upstream(model->provider->name);

    // Charged and limited as chat is: the key's limits count its tokens (about four bytes a token of the
    // body), and a hard budget holds the most the inputs can cost (a token per byte) until the usage is
    // known.
    const auto body_bytes = static_cast<std::uint32_t>(request.body().size());
    RouteDecision decision;
    decision.candidates.emplace_back().model = model;
    decision.needs.prompt_tokens = (body_bytes + 3) / 4;
    decision.max_prompt_tokens = body_bytes;
    decision.choices = 0;  // embeddings write no tokens
    KeyAdmission admission(key != nullptr ? key->limiter.get() : nullptr, scope);
    if (auto limited = admission.admit(decision.needs.prompt_tokens)) {
        co_await scope.fail(std::move(*limited));
        co_return;
    }
    RequestAccount account(services_, scope, key);
    std::optional<openai::ApiError> error = co_await account.reserve(decision, "embeddings");
    if (!error) error = co_await forward(scope, account, request, embeddings, *model, provider);
    if (!error) co_return;
    co_await account.settle(error->status);
    co_await scope.fail(std::move(*error));
}

awaitable<std::optional<openai::ApiError>> EmbeddingsHandler::forward(
    RequestScope& scope, RequestAccount& account, http::Request& request,
    const providers::EmbeddingsRequest& embeddings, const catalog::Model& model,
    const providers::ProviderRuntime& provider) const {
    http::Request upstream_request =
        provider.embeddings->build_embeddings_request(embeddings, request.body(), model);
    upstream_request.set("x-request-id", scope.id());
    upstream::Response response;
    auto failure = co_await scope.upstream(
        client_.send(provider.origin, upstream_request, services_.upstream_timeouts, response));
    if (failure != upstream::Failure::none) co_return upstream_failure(failure, model.id);
    if (response.status() < 200 || response.status() > 299) {
        openai::ApiError error = co_await read_upstream_error(scope, response, provider, model);
        co_return error;
    }
    std::string body;
    failure = co_await scope.upstream(response.read_all(body, services_.max_upstream_body_bytes));
    if (failure != upstream::Failure::none) co_return upstream_failure(failure, model.id);
    std::optional<std::string> answer =
        provider.embeddings->translate_embeddings_response(std::move(body), embeddings, model);
    if (auto bad = take_whole_answer(answer, provider, model, scope, account, false))
        co_return std::move(*bad);
    co_await account.settle(200);  // the spend is on record before the client has its answer
    co_await scope.send_json(http::Status::ok, std::move(*answer));
    co_return std::nullopt;
}

}  // namespace gaterouter::api
