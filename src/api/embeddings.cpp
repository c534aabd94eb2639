#include "gaterouter/api/embeddings.hpp"

#include "gaterouter/api/chat_completions.hpp"

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

    http::Request upstream_request =
        provider.embeddings->build_embeddings_request(embeddings, request.body(), *model);
    upstream_request.set("x-request-id", scope.id());
    upstream::Response response;
    auto failure = co_await scope.upstream(
        client_.send(provider.origin, upstream_request, services_.upstream_timeouts, response));
    if (failure != upstream::Failure::none) {
        co_await scope.fail(upstream_failure(failure, model->id));
        co_return;
    }
    if (response.status() < 200 || response.status() > 299) {
        openai::ApiError error = co_await read_upstream_error(scope, response, provider, *model);
        co_await scope.fail(std::move(error));
        co_return;
    }
    std::string body;
    failure = co_await scope.upstream(response.read_all(body, services_.max_upstream_body_bytes));
    if (failure != upstream::Failure::none) {
        co_await scope.fail(upstream_failure(failure, model->id));
        co_return;
    }
    std::optional<std::string> answer =
        provider.embeddings->translate_embeddings_response(std::move(body), embeddings, *model);
    if (answer) provider.secrets.scrub(*answer);
    const openai::AnswerUsage read = answer ? openai::read_answer_usage(*answer) : openai::AnswerUsage{};
    if (!read.is_object) {
        openai::ApiError error = openai::upstream_bad_response(model->id, "the answer was not a JSON object");
        co_await scope.fail(std::move(error));
        co_return;
    }
    scope.served_by(*model);
    if (read.usage) scope.set_usage(*read.usage, cost_of(*read.usage, *model));
    co_await scope.send_json(http::Status::ok, std::move(*answer));
}

}  // namespace gaterouter::api
