#pragma once
// The admin API's actions, as plain blocking functions (the admin listener has a thread of its own, so they
// may wait on the store). admin_routes.cpp checks the admin token, maps paths to these and sends what they
// return; a refusal is thrown as admin::AdminFailure. See docs/budgets.md for the API.

#include <string>
#include <string_view>

#include "gaterouter/api/admin_codec.hpp"
#include "gaterouter/api/services.hpp"
#include "gaterouter/config/config.hpp"
#include "gaterouter/http/message.hpp"

namespace gaterouter::api::admin {

struct Context {
    const Services& services;
    const config::Config& config;
};

struct Reply {
    http::Status status = http::Status::ok;
    std::string body;
    std::string content_type = "application/json";
};

Reply json_reply(http::Status status, const nlohmann::json& body);

// The ledger, or a 503 when the gateway runs without one.
Ledger& ledger_of(const Context& context);

// Keys: /admin/v1/keys[/<name>[/revoke]]
Reply create_key(const Context& context, const http::Request& request);
// Lists the keys; re-reads the store first and puts what it holds in force (keys created by the CLI).
Reply list_keys(const Context& context, const http::Request& request);
Reply show_key(const Context& context, std::string_view name);
Reply update_key(const Context& context, const http::Request& request, std::string_view name);
Reply revoke_key(const Context& context, std::string_view name);

// Budgets: /admin/v1/budgets[/<name>]
Reply create_budget(const Context& context, const http::Request& request);
Reply list_budgets(const Context& context);
Reply show_budget(const Context& context, std::string_view name);
Reply update_budget(const Context& context, const http::Request& request, std::string_view name);
Reply delete_budget(const Context& context, std::string_view name);

// GET /admin/v1/spend
Reply spend_report(const Context& context, const http::Request& request);
// POST /admin/v1/clock (only with --fake-clock)
Reply move_clock(const Context& context, const http::Request& request);

}  // namespace gaterouter::api::admin
