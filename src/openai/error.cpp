#include "gaterouter/openai/error.hpp"

#include "gaterouter/openai/json_access.hpp"

namespace gaterouter::openai {

std::string ApiError::body() const {
    nlohmann::json j;
    auto& e = j["error"];
    e["message"] = message;
    e["type"] = type;
    e["param"] = param.empty() ? nlohmann::json(nullptr) : nlohmann::json(param);
    e["code"] = code.empty() ? nlohmann::json(nullptr) : nlohmann::json(code);
    // Messages may quote client input; replace invalid UTF-8 instead of throwing.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool ApiError::retryable() const {
    if (code == "upstream_auth_failed") return false;
    return status == 429 || status == 408 || status >= 500;
}

namespace {
ApiError make(unsigned status, std::string type, std::string message, std::string param = {},
              std::string code = {}) {
    return ApiError{status, std::move(type), std::move(message), std::move(param), std::move(code)};
}
}  // namespace

ApiError invalid_request(std::string message, std::string param, std::string code) {
    return make(400, "invalid_request_error", std::move(message), std::move(param), std::move(code));
}

ApiError invalid_json(std::string_view detail, std::size_t offset) {
    return invalid_request("We could not parse the JSON body of your request: " + std::string(detail) +
                               " at byte " + std::to_string(offset) + ".",
                           {}, "invalid_json");
}

ApiError duplicate_key(std::string_view name) {
    return invalid_request("The request body has the key '" + std::string(name) +
                               "' more than once; a key may appear only once.",
                           std::string(name), "duplicate_key");
}

ApiError missing_api_key() {
    return make(401, "invalid_request_error",
                "You didn't provide an API key. Provide it in the Authorization header as 'Bearer YOUR_KEY'.",
                {}, "missing_api_key");
}

ApiError invalid_api_key() {
    return make(401, "invalid_request_error", "Incorrect API key provided.", {}, "invalid_api_key");
}

ApiError api_key_revoked() {
    return make(401, "invalid_request_error", "This API key has been revoked.", {}, "invalid_api_key");
}

ApiError api_key_expired() {
    return make(401, "invalid_request_error", "This API key has expired.", {}, "invalid_api_key");
}

ApiError model_not_allowed(std::string_view model) {
    return make(403, "permission_error", "This API key may not use the model '" + std::string(model) + "'.",
                "model", "model_not_allowed");
}

ApiError ledger_not_configured(std::string_view what) {
    return make(503, "api_error",
                std::string(what) +
                    " need the ledger, and this gateway runs without one: set ledger.path in its "
                    "configuration.",
                {}, "ledger_not_configured");
}

ApiError invalid_admin_token() {
    return make(401, "invalid_request_error",
                "The admin API needs the admin token: 'Authorization: Bearer <token>'.", {},
                "invalid_admin_token");
}

ApiError rate_limited(std::string message) {
    return make(429, "requests", std::move(message), {}, "rate_limit_exceeded");
}

ApiError gateway_overloaded(std::string message) {
    return make(503, "api_error", std::move(message), {}, "gateway_overloaded");
}

ApiError budget_exceeded(std::string message) {
    return make(429, "insufficient_quota", std::move(message), {}, "budget_exceeded");
}

ApiError model_not_found(std::string_view model) {
    return make(404, "invalid_request_error",
                "The model '" + std::string(model) + "' does not exist or you do not have access to it.",
                "model", "model_not_found");
}

ApiError route_not_found(std::string_view method, std::string_view path) {
    return make(404, "invalid_request_error",
                "Unknown request URL: " + std::string(method) + " " + std::string(path) + ".", {},
                "unknown_url");
}

ApiError method_not_allowed(std::string_view method, std::string_view path) {
    return make(405, "invalid_request_error",
                "Method " + std::string(method) + " is not allowed on " + std::string(path) + ".", {},
                "method_not_allowed");
}

ApiError body_too_large(std::size_t limit) {
    return make(413, "invalid_request_error",
                "Request body is larger than the gateway's limit of " + std::to_string(limit) + " bytes.", {},
                "request_too_large");
}

ApiError headers_too_large() {
    return make(431, "invalid_request_error", "Request headers are larger than the gateway's limit.", {},
                "headers_too_large");
}

ApiError malformed_http(std::string_view detail) {
    return make(400, "invalid_request_error", "Malformed HTTP request: " + std::string(detail) + ".", {},
                "malformed_request");
}

ApiError unsupported_transfer_encoding() {
    return make(501, "invalid_request_error",
                "The gateway supports no transfer coding other than chunked: send the body chunked or with a "
                "Content-Length, uncompressed.",
                {}, "unsupported_transfer_encoding");
}

ApiError upstream_unreachable(std::string_view model, std::string_view detail) {
    return make(502, "api_error",
                "The provider serving '" + std::string(model) +
                    "' could not be reached: " + std::string(detail) + ".",
                {}, "upstream_unreachable");
}

ApiError upstream_timeout(std::string_view model, std::string_view what) {
    return make(504, "api_error",
                "The provider serving '" + std::string(model) + "' timed out (" + std::string(what) + ").",
                {}, "upstream_timeout");
}

ApiError request_timeout(std::int64_t limit_ms) {
    return make(504, "api_error",
                "The request did not finish within its time limit of " + std::to_string(limit_ms) + " ms.",
                {}, "request_timeout");
}

ApiError upstream_bad_response(std::string_view model, std::string_view detail) {
    return make(502, "api_error",
                "The provider serving '" + std::string(model) +
                    "' sent an invalid response: " + std::string(detail) + ".",
                {}, "upstream_bad_response");
}

ApiError model_unavailable(std::string_view model) {
    return make(
        503, "api_error",
        "The model '" + std::string(model) +
            "' is temporarily unavailable: its provider is failing and no fallback could serve the request. "
            "Retry shortly.",
        {}, "model_unavailable");
}

ApiError internal_error() {
    return make(500, "api_error", "The gateway had an internal error while processing your request.", {},
                "internal_error");
}

ApiError from_upstream(unsigned upstream_status, std::string_view upstream_body, std::string_view model) {
    const std::string who = "The provider serving '" + std::string(model) + "'";
    if (upstream_status == 401 || upstream_status == 403) {
        return make(502, "api_error",
                    who + " refused the gateway's credentials (HTTP " + std::to_string(upstream_status) +
                        "); check the provider's API key.",
                    {}, "upstream_auth_failed");
    }
    ApiError e = make(upstream_status, upstream_status >= 500 ? "api_error" : "invalid_request_error",
                      who + " returned HTTP " + std::to_string(upstream_status) + ".");
    if (upstream_status == 429) e.type = "rate_limit_error";
    const auto parsed = openai::parse_json(upstream_body);
    if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_object()) {
        const auto& u = parsed["error"];
        if (u.contains("message") && u["message"].is_string()) e.message = u["message"].get<std::string>();
        if (u.contains("type") && u["type"].is_string()) e.type = u["type"].get<std::string>();
        if (u.contains("param") && u["param"].is_string()) e.param = u["param"].get<std::string>();
        if (u.contains("code") && u["code"].is_string()) e.code = u["code"].get<std::string>();
    }
    if (upstream_status < 400 || upstream_status > 599) e.status = 502;
    return e;
}

}  // namespace gaterouter::openai
