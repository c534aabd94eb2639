#include "gaterouter/admit/key_limits.hpp"

#include <cmath>

namespace gaterouter::admit {
namespace {

std::string duration_text(std::chrono::milliseconds d) {
    const long long ms = d.count();
    if (ms < 1000) return std::to_string(ms) + "ms";
    const long long s = (ms + 999) / 1000;
    if (s < 60) return std::to_string(s) + "s";
    return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
}

std::chrono::milliseconds ceil_ms(route::Clock::duration d) {
    return std::chrono::ceil<std::chrono::milliseconds>(d);
}

}  // namespace

KeyLimiter::KeyLimiter(const config::LimitsConfig& limits, const route::Clock& clock)
    : limits_(limits), max_in_flight_(limits.max_in_flight.value_or(0)) {
    if (limits.rpm) requests_.emplace(*limits.rpm, *limits.rpm / 60.0, clock);
    if (limits.tpm) tokens_.emplace(*limits.tpm, *limits.tpm / 60.0, clock);
}

std::optional<Refusal> KeyLimiter::admit(std::int64_t tokens) {
    if (max_in_flight_ != 0 && in_flight_.fetch_add(1, std::memory_order_relaxed) >= max_in_flight_) {
        in_flight_.fetch_sub(1, std::memory_order_relaxed);
        refusals_[static_cast<std::size_t>(Limit::in_flight)].fetch_add(1, std::memory_order_relaxed);
        return Refusal{"Too many requests at once for this key: at most " + std::to_string(max_in_flight_) +
                           " may be in flight.",
                       std::chrono::milliseconds(1000)};
    }
    const auto refuse = [this](Limit limit, Refusal r) {
        if (max_in_flight_ != 0) in_flight_.fetch_sub(1, std::memory_order_relaxed);
        refusals_[static_cast<std::size_t>(limit)].fetch_add(1, std::memory_order_relaxed);
        return std::optional<Refusal>(std::move(r));
    };
    if (requests_ && !requests_->try_take(1.0)) {
        return refuse(Limit::requests, {"Rate limit reached for this key: " +
                                            std::to_string(static_cast<long long>(requests_->capacity())) +
                                            " requests per minute.",
                                        ceil_ms(requests_->time_until(1.0))});
    }
    if (tokens_ && !tokens_->try_take(static_cast<double>(tokens))) {
        if (requests_) requests_->refund(1.0);
        const double need = std::min(static_cast<double>(tokens), tokens_->capacity());
        return refuse(Limit::tokens,
                      {"Rate limit reached for this key: " +
                           std::to_string(static_cast<long long>(tokens_->capacity())) +
                           " tokens per minute, and this request may use " + std::to_string(tokens) + ".",
                       ceil_ms(tokens_->time_until(need))});
    }
    return std::nullopt;
}

void KeyLimiter::release(std::int64_t admitted_tokens, std::int64_t used_tokens) {
    if (max_in_flight_ != 0) in_flight_.fetch_sub(1, std::memory_order_relaxed);
    if (!tokens_ || used_tokens <= 0) return;
    const double difference = static_cast<double>(admitted_tokens - used_tokens);
    if (difference > 0) {
        tokens_->refund(difference);
    } else {
        tokens_->charge(-difference);
    }
}

long long KeyLimiter::remaining(const route::TokenBucket& bucket) {
    return std::max(0LL, static_cast<long long>(std::floor(bucket.available())));
}

std::string KeyLimiter::reset_text(const route::TokenBucket& bucket) {
    return duration_text(ceil_ms(bucket.time_until(bucket.capacity())));
}

std::shared_ptr<KeyLimiter> limiter_for(const config::LimitsConfig& limits,
                                        std::shared_ptr<KeyLimiter> previous, const route::Clock& clock) {
    if (!limits.any()) return nullptr;
    if (previous && previous->limits() == limits) return previous;
    return std::make_shared<KeyLimiter>(limits, clock);
}

KeyQueuePolicy queue_policy(std::string_view key_name, const config::KeyQueueConfig& key,
                            const config::AdmissionConfig& admission) {
    return {std::string(key_name), key.share.value_or(1), key.max_depth.value_or(admission.key_max_depth),
            key.max_wait.value_or(admission.max_wait)};
}

const char* limit_name(Limit limit) {
    switch (limit) {
        case Limit::requests:
            return "requests_per_minute";
        case Limit::tokens:
            return "tokens_per_minute";
        case Limit::in_flight:
            return "in_flight";
    }
    return "unknown";
}

}  // namespace gaterouter::admit
