#pragma once
// The task types and weight classes a request is tagged with. They live with the catalog because the
// catalog's quality priors are given per task type and the scheduler ranks models by them; the classifier
// produces them.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "gaterouter/config/config.hpp"

namespace gaterouter::catalog {

// In the order of config::kTaskTypes.
enum class TaskType : std::uint8_t {
    chat,
    classification,
    summarization,
    extraction,
    translation,
    code,
    math,
    reasoning,
    creative,
};
inline constexpr std::size_t kTaskCount = 9;
static_assert(std::size(config::kTaskTypes) == kTaskCount);

// How much model a request needs: the scheduler weighs quality against cost by it.
enum class Weight : std::uint8_t { light, standard, heavy };
inline constexpr std::size_t kWeightCount = 3;

constexpr std::size_t index_of(TaskType t) {
    return static_cast<std::size_t>(t);
}
constexpr std::size_t index_of(Weight w) {
    return static_cast<std::size_t>(w);
}

std::string_view task_name(TaskType task);
std::optional<TaskType> parse_task(std::string_view name);
std::string_view weight_name(Weight weight);
std::optional<Weight> parse_weight(std::string_view name);

}  // namespace gaterouter::catalog
