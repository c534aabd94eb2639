#pragma once
// OpenAI-shaped errors: {"error":{"message","type","param","code"}} with the HTTP status OpenAI would use.
// Every error that reaches a client is made here.

#include <chrono>
#include <string>
#include <string_view>

namespace gaterouter::openai {

struct ApiError {
    unsigned status = 500;
    std::string type;  // invalid_request_error, authentication_error, rate_limit_error, api_error, ...
    std::string message;
    std::string param;  // empty: null
    std::string code;   // empty: null
    // When the same request may succeed again, if known (sent as Retry-After).
    std::chrono::milliseconds retry_after{0};

    // The JSON body: {"error":{...}}.
    std::string body() const;
    // Whether another attempt — on another model or later — may succeed: rate limits, overload, server
    // errors, unreachable or timed-out providers. Bad requests, context length and the gateway's own
    // credentials: no.
    bool retryable() const;
};

ApiError invalid_request(std::string message, std::string param = {}, std::string code = {});
ApiError invalid_json(std::string_view detail, std::size_t offset);
// 400 duplicate_key: `name` (e.g. "messages[0].role") appears twice in the body.
ApiError duplicate_key(std::string_view name);
ApiError missing_api_key();
ApiError invalid_api_key();
ApiError api_key_revoked();
ApiError api_key_expired();
ApiError model_not_allowed(std::string_view model);  // 403: the key may not use it
ApiError budget_exceeded(std::string message);       // 429 budget_exceeded: the message names the budget
ApiError rate_limited(std::string message);          // 429 rate_limit_exceeded: a key's own limits
// 503 gateway_overloaded: the gateway has no capacity for the request in time (its queue is full, or the
// request would wait too long in it).
ApiError gateway_overloaded(std::string message);
// 503: what the caller asked for needs the ledger (keys, budgets, usage, spend), and the gateway runs without
// one.
ApiError ledger_not_configured(std::string_view what);
ApiError invalid_admin_token();  // 401 on the admin listener
ApiError model_not_found(std::string_view model);
ApiError route_not_found(std::string_view method, std::string_view path);
ApiError method_not_allowed(std::string_view method, std::string_view path);
ApiError body_too_large(std::size_t limit);
ApiError headers_too_large();
// 400 malformed_request: `detail` says what is wrong with the request's HTTP ("no Host header").
ApiError malformed_http(std::string_view detail);
ApiError unsupported_transfer_encoding();  // 501: a transfer coding other than chunked
ApiError upstream_unreachable(std::string_view model, std::string_view detail);   // 502
ApiError upstream_timeout(std::string_view model, std::string_view what);         // 504
ApiError request_timeout(std::int64_t limit_ms);                                  // 504: its own limit
ApiError upstream_bad_response(std::string_view model, std::string_view detail);  // 502
ApiError model_unavailable(std::string_view model);                               // 503
ApiError internal_error();                                                        // 500

// The body of an error an upstream returned, kept when it is already OpenAI-shaped, otherwise wrapped, with
// the upstream's status. A 401/403 from the upstream is the gateway's own credential problem, never the
// caller's, so it becomes a 502 that says so.
ApiError from_upstream(unsigned upstream_status, std::string_view upstream_body, std::string_view model);

}  // namespace gaterouter::openai
