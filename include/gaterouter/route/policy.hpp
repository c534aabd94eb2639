#pragma once
// Routing policies: how much each term of a candidate's score counts. The built-in ones (balanced, cost,
// latency, quality) may be tuned in the config, and new ones named there.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gaterouter/config/config.hpp"

namespace gaterouter::route {

// Each weight multiplies one penalty term of the score (see scheduler.hpp for the terms' units).
struct PolicyWeights {
    double quality = 1.0;
    double cost = 3.0;
    double latency = 0.3;
    double errors = 2.0;
    double load = 0.2;
};

struct Policy {
    std::string name;
    PolicyWeights weights;
    std::optional<config::HedgeConfig> hedge;  // absent: requests under this policy are not hedged
};

class Policies {
  public:
    explicit Policies(const config::RoutingConfig& routing);
    // Null for a name no policy has.
    const Policy* find(std::string_view name) const;
    const Policy& default_policy() const { return *default_; }
    const std::vector<Policy>& all() const { return policies_; }

  private:
    std::vector<Policy> policies_;
    const Policy* default_ = nullptr;
};

// The built-in weights of a policy name; balanced's for a name that is not built in.
PolicyWeights builtin_weights(std::string_view name);

}  // namespace gaterouter::route
