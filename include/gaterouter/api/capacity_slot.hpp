#pragma once
// A request's place under a deployment's limits, held while it is with that deployment. When released, the
// place goes first to a request waiting in the admission queue that can use it (its in-flight count then
// stays as it is); only when no one waits is it given back.

#include <cstdint>
#include <utility>

#include "gaterouter/admit/admission_queue.hpp"
#include "gaterouter/route/deployments.hpp"

namespace gaterouter::api {

class CapacitySlot {
  public:
    CapacitySlot() = default;
    // Adopts a place already counted in `health.in_flight` (taken, or handed over).
    CapacitySlot(route::DeploymentState& health, std::uint32_t model, admit::AdmissionQueue* queue)
        : health_(&health), model_(model), queue_(queue) {}
    ~CapacitySlot() { release(); }
    CapacitySlot(CapacitySlot&& other) noexcept
        : health_(std::exchange(other.health_, nullptr)), model_(other.model_), queue_(other.queue_) {}
    CapacitySlot& operator=(CapacitySlot&& other) noexcept {
        if (this != &other) {
            release();
            health_ = std::exchange(other.health_, nullptr);
            model_ = other.model_;
            queue_ = other.queue_;
        }
        return *this;
    }
    CapacitySlot(const CapacitySlot&) = delete;
    CapacitySlot& operator=(const CapacitySlot&) = delete;

    explicit operator bool() const { return health_ != nullptr; }
    bool holds(std::uint32_t model) const { return health_ != nullptr && model_ == model; }

    void release() {
        if (health_ == nullptr) return;
        // A place whose rate buckets are empty is no use to a waiter: it waits for the refill instead.
        const bool handed = queue_ != nullptr && health_->rate_ready() && queue_->hand_over(model_);
        if (!handed) health_->release();
        health_ = nullptr;
    }

  private:
    route::DeploymentState* health_ = nullptr;
    std::uint32_t model_ = 0;
    admit::AdmissionQueue* queue_ = nullptr;
};

}  // namespace gaterouter::api
