#pragma once
// Method + path dispatch. Built once at start-up and then only read, so all workers share one.

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gaterouter/http/response_writer.hpp"

namespace gaterouter::http {

using Handler = std::function<awaitable<void>(Request&, ResponseWriter&)>;

class Router {
  public:
    void add(Verb method, std::string path, Handler handler);
    // Matches every path that starts with `prefix` (after exact routes were tried).
    void add_prefix(Verb method, std::string prefix, Handler handler);
    // Answers requests no route matches; `method_allowed` below tells 404 from 405.
    void set_fallback(Handler handler) { fallback_ = std::move(handler); }

    struct Match {
        const Handler* handler = nullptr;  // null: nothing matched, use the fallback
        bool path_known = false;           // the path exists under another method
    };
    Match find(Verb method, std::string_view target) const;
    const Handler& fallback() const { return fallback_; }

  private:
    struct Route {
        Verb method;
        std::string path;
        Handler handler;
    };
    std::vector<Route> exact_;
    std::vector<Route> prefixes_;
    Handler fallback_;
};

}  // namespace gaterouter::http
