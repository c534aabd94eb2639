// The admin API's routes on its own listener: every request must carry the admin token (compared as SHA-256
// digests in constant time, so neither the comparison's timing nor its length gives it away), then the path
// picks an action from admin_handlers.hpp. Actions block on the store; this listener has a thread of its own.

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <functional>
#include <memory>

#include "gaterouter/api/admin_handlers.hpp"
#include "gaterouter/api/handlers.hpp"
#include "gaterouter/api/request_scope.hpp"

namespace gaterouter::api {
namespace {

using admin::AdminFailure;
using admin::Context;
using admin::Reply;

// The part of the path after `prefix`, percent-decoded.
using Action = std::function<Reply(const Context&, const http::Request&, std::string_view rest)>;

struct AdminRoute {
    Context context;
    auth::KeyHash token_hash;
    bool token_set;
    std::string prefix;
    Action action;
};

bool token_ok(const AdminRoute& route, const http::Request& request) {
    const auto it = request.find(http::bhttp::field::authorization);
    if (it == request.end() || !route.token_set) return false;
    const std::string_view token = auth::bearer_token(it->value());
    if (token.empty()) return false;
    const auth::KeyHash presented = auth::sha256(token);
    return CRYPTO_memcmp(presented.data(), route.token_hash.data(), presented.size()) == 0;
}

// What to answer: the action's reply, or the error it refused with.
struct Outcome {
    Reply reply;
    std::optional<openai::ApiError> error;
};

Outcome run(const AdminRoute& route, const http::Request& request) {
    if (!token_ok(route, request)) return {{}, openai::invalid_admin_token()};
    try {
        const std::string_view path = http::path_of(request.target());
        const std::string rest =
            admin::percent_decode(path.substr(std::min(route.prefix.size(), path.size())));
        return {route.action(route.context, request, rest), std::nullopt};
    } catch (const AdminFailure& e) {
        return {{}, e.error()};
    } catch (const std::exception& e) {
        spdlog::error("admin: {} {} failed: {}", request.method_string(), http::path_of(request.target()),
                      e.what());
        return {{}, openai::internal_error()};
    }
}

awaitable<void> serve(const Services& services, std::shared_ptr<const AdminRoute> route,
                      http::Request& request, http::ResponseWriter& out) {
    RequestScope scope(request, out, *services.access_log);
    Outcome outcome = run(*route, request);
    if (outcome.error) {
        co_await scope.fail(std::move(*outcome.error));
        co_return;
    }
    http::Response res{outcome.reply.status, 11};
    res.set(http::bhttp::field::content_type, outcome.reply.content_type);
    res.body() = std::move(outcome.reply.body);
    scope.stamp(res);
    scope.first_byte();
    co_await out.send(std::move(res));
}

// Splits "<name>" or "<name>/<verb>" (the rest of a path under a collection).
std::pair<std::string_view, std::string_view> split_name(std::string_view rest) {
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos) return {rest, {}};
    return {rest.substr(0, slash), rest.substr(slash + 1)};
}

[[noreturn]] void no_route(const http::Request& request) {
    throw AdminFailure(openai::route_not_found(request.method_string(), http::path_of(request.target())));
}

}  // namespace

void add_admin_routes(http::Router& router, const Services& services, const config::Config& config) {
    const bool token_set = !config.admin.token.empty();
    if (!token_set) spdlog::warn("admin API: no admin token set, every request will be refused");
    const auth::KeyHash token_hash = auth::sha256(config.admin.token);
    const auto add = [&](http::Verb verb, std::string path, bool prefix, Action action) {
        auto route =
            std::make_shared<const AdminRoute>(AdminRoute{Context{services, config}, token_hash, token_set,
                                                          prefix ? path : std::string{}, std::move(action)});
        http::Handler handler = [&services, route](http::Request& req, http::ResponseWriter& out) {
            return serve(services, route, req, out);
        };
        if (prefix) {
            router.add_prefix(verb, std::move(path), std::move(handler));
        } else {
            router.add(verb, std::move(path), std::move(handler));
        }
    };
    using V = http::Verb;
    const std::string keys = "/admin/v1/keys";
    const std::string budgets = "/admin/v1/budgets";

    add(V::post, keys, false,
        [](const Context& c, const http::Request& r, std::string_view) { return admin::create_key(c, r); });
    add(V::get, keys, false,
        [](const Context& c, const http::Request& r, std::string_view) { return admin::list_keys(c, r); });
    add(V::get, keys + "/", true, [](const Context& c, const http::Request& r, std::string_view rest) {
        const auto [name, verb] = split_name(rest);
        if (name.empty() || !verb.empty()) no_route(r);
        return admin::show_key(c, name);
    });
    add(V::patch, keys + "/", true, [](const Context& c, const http::Request& r, std::string_view rest) {
        const auto [name, verb] = split_name(rest);
        if (name.empty() || !verb.empty()) no_route(r);
        return admin::update_key(c, r, name);
    });
    add(V::delete_, keys + "/", true, [](const Context& c, const http::Request& r, std::string_view rest) {
        const auto [name, verb] = split_name(rest);
        if (name.empty() || !verb.empty()) no_route(r);
        return admin::revoke_key(c, name);
    });
    add(V::post, keys + "/", true, [](const Context& c, const http::Request& r, std::string_view rest) {
        const auto [name, verb] = split_name(rest);
        if (name.empty() || verb != "revoke") no_route(r);
        return admin::revoke_key(c, name);
    });

    add(V::post, budgets, false, [](const Context& c, const http::Request& r, std::string_view) {
        return admin::create_budget(c, r);
    });
    add(V::get, budgets, false,
        [](const Context& c, const http::Request&, std::string_view) { return admin::list_budgets(c); });
    add(V::get, budgets + "/", true, [](const Context& c, const http::Request& r, std::string_view rest) {
        if (rest.empty() || rest.find('/') != std::string_view::npos) no_route(r);
        return admin::show_budget(c, rest);
    });
    add(V::patch, budgets + "/", true, [](const Context& c, const http::Request& r, std::string_view rest) {
        if (rest.empty() || rest.find('/') != std::string_view::npos) no_route(r);
        return admin::update_budget(c, r, rest);
    });
    add(V::delete_, budgets + "/", true, [](const Context& c, const http::Request& r, std::string_view rest) {
        if (rest.empty() || rest.find('/') != std::string_view::npos) no_route(r);
        return admin::delete_budget(c, rest);
    });

    add(V::get, "/admin/v1/spend", false,
        [](const Context& c, const http::Request& r, std::string_view) { return admin::spend_report(c, r); });
    add(V::post, "/admin/v1/clock", false,
        [](const Context& c, const http::Request& r, std::string_view) { return admin::move_clock(c, r); });

    // Anything else: the token first, so that the listener tells nothing about its routes without it.
    for (const V verb : {V::get, V::post, V::put, V::patch, V::delete_}) {
        add(verb, "/", true,
            [](const Context&, const http::Request& r, std::string_view) -> Reply { no_route(r); });
    }
}

}  // namespace gaterouter::api
