#include "gaterouter/catalog/task.hpp"

namespace gaterouter::catalog {
namespace {

constexpr std::array<std::string_view, kWeightCount> kWeightNames = {"light", "standard", "heavy"};

}  // namespace

std::string_view task_name(TaskType task) {
    return config::kTaskTypes[index_of(task)];
}

std::optional<TaskType> parse_task(std::string_view name) {
    for (std::size_t i = 0; i < kTaskCount; ++i) {
        if (config::kTaskTypes[i] == name) return static_cast<TaskType>(i);
    }
    return std::nullopt;
}

std::string_view weight_name(Weight weight) {
    return kWeightNames[index_of(weight)];
}

std::optional<Weight> parse_weight(std::string_view name) {
    for (std::size_t i = 0; i < kWeightNames.size(); ++i) {
        if (kWeightNames[i] == name) return static_cast<Weight>(i);
    }
    return std::nullopt;
}

}  // namespace gaterouter::catalog
