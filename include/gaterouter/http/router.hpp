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

    struct Match {
        const Handler* handler = nullptr;  // null: nothing matched (the server answers 404, or 405)
        bool path_known = false;           // the path exists under another method
    };
    Match find(Verb method, std::string_view target) const;

  private:
    struct Route {
        Verb method;
        std::string path;
        Handler handler;
    };
    std::vector<Route> exact_;
    std::vector<Route> prefixes_;
};

}  // namespace gaterouter::http
