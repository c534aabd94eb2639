#include "gaterouter/http/router.hpp"

namespace gaterouter::http {

void Router::add(Verb method, std::string path, Handler handler) {
    exact_.push_back({method, std::move(path), std::move(handler)});
}

void Router::add_prefix(Verb method, std::string prefix, Handler handler) {
    prefixes_.push_back({method, std::move(prefix), std::move(handler)});
}

Router::Match Router::find(Verb method, std::string_view target) const {
    const std::string_view path = path_of(target);
    Match match;
    // A handful of routes: a linear scan beats hashing here and keeps the order of registration meaningful.
    for (const auto& r : exact_) {
        if (r.path != path) continue;
        if (r.method == method) return {&r.handler, true};
        match.path_known = true;
    }
    for (const auto& r : prefixes_) {
        if (!path.starts_with(r.path)) continue;
        if (r.method == method) return {&r.handler, true};
        match.path_known = true;
    }
    return match;
}

}  // namespace gaterouter::http
