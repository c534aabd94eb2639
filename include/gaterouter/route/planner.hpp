#pragma once
// The plan for a request: the ordered candidates the executor tries. For a request that names a model, that
// model and then its configured fallbacks, each skipped if it cannot serve the request.

#include <string>
#include <vector>

#include "gaterouter/catalog/catalog.hpp"

namespace gaterouter::route {

struct Plan {
    std::vector<const catalog::Model*> candidates;
    std::string refusal;  // why the named model itself cannot serve the request (then there is no plan)
};

Plan plan_for_model(const catalog::Catalog& catalog, const catalog::Model& model, const catalog::Needs& needs,
                    std::size_t max_candidates);

}  // namespace gaterouter::route
