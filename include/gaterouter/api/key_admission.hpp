#pragma once
// A request's admission against its key's limits (requests and tokens per minute, requests in flight). Once
// admitted, it is released when this object goes, with the tokens the request really used (the scope's
// usage), so the key's token count follows what was served, not what was estimated.

#include <cstdint>
#include <optional>

#include "gaterouter/admit/key_limits.hpp"
#include "gaterouter/api/request_scope.hpp"
#include "gaterouter/openai/error.hpp"

namespace gaterouter::api {

class KeyAdmission {
  public:
    // `limiter` null: a key without limits (or no key), always admitted.
    KeyAdmission(admit::KeyLimiter* limiter, RequestScope& scope) : limiter_(limiter), scope_(scope) {}
    ~KeyAdmission();
    KeyAdmission(const KeyAdmission&) = delete;
    KeyAdmission& operator=(const KeyAdmission&) = delete;

    // Admits a request estimated at `tokens`; the 429 (with its Retry-After on the scope) when the limits
    // refuse it. Once per request.
    std::optional<openai::ApiError> admit(std::int64_t tokens);

  private:
    admit::KeyLimiter* limiter_;
    RequestScope& scope_;
    std::optional<std::int64_t> admitted_;  // the estimate admitted, to release
};

}  // namespace gaterouter::api
