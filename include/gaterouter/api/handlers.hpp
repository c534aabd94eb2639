#pragma once
// The endpoints, registered on one worker's router. Each handler owns one request's whole journey.

#include "gaterouter/api/services.hpp"
#include "gaterouter/http/router.hpp"
#include "gaterouter/http/server.hpp"

namespace gaterouter::api {

// Adds every public route; handlers use `client`, the upstream client of the worker the router belongs to.
void add_routes(http::Router& router, const Services& services, upstream::Client& client);

// The admin API's routes (its own listener, its own thread: handlers may block on the store). Every route
// requires `Authorization: Bearer <admin token>` (config.admin.token). See docs/budgets.md.
void add_admin_routes(http::Router& router, const Services& services, const config::Config& config);

// The response for requests the HTTP layer refuses itself (too large, malformed, no such route).
http::RejectFn make_reject(const Services& services);

// The body of GET /v1/models for a catalog.
std::string models_body(const catalog::Catalog& catalog);

}  // namespace gaterouter::api
