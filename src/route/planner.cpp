#include "gaterouter/route/planner.hpp"

namespace gaterouter::route {

Plan plan_for_model(const catalog::Catalog& catalog, const catalog::Model& model, const catalog::Needs& needs,
                    std::size_t max_candidates) {
    Plan plan;
    plan.refusal = model.unfit_for(needs);
    if (!plan.refusal.empty()) return plan;
    plan.candidates.push_back(&model);
    for (const auto& id : model.fallbacks) {
        if (plan.candidates.size() >= max_candidates) break;
        const catalog::Model* fallback = catalog.find_model(id);
        if (fallback != nullptr && fallback->unfit_for(needs).empty()) plan.candidates.push_back(fallback);
    }
    return plan;
}

}  // namespace gaterouter::route
