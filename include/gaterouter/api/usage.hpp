#pragma once
// GET /v1/usage: what the caller's own key has spent (today, this month, in all) and where it stands against
// the budgets that cover it (global, its team's, its own, its own per model). The sums are read from the
// ledger on a helper thread, never on the worker's event loop.

#include "gaterouter/api/services.hpp"
#include "gaterouter/http/response_writer.hpp"

namespace gaterouter::api {

awaitable<void> key_usage(const Services& services, http::Request& request, http::ResponseWriter& out);

}  // namespace gaterouter::api
