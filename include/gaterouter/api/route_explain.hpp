#pragma once
// POST /v1/route/explain: the same body as a chat request; answers with what the gateway would decide for it
// (the classification, the policy and the ranked candidates with each term of their score), without calling
// any model.

#include "gaterouter/api/services.hpp"
#include "gaterouter/http/message.hpp"
#include "gaterouter/http/response_writer.hpp"

namespace gaterouter::api {

awaitable<void> explain_route(const Services& services, http::Request& request, http::ResponseWriter& out);

}  // namespace gaterouter::api
