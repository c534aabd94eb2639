#pragma once
// Per-key limits: requests per minute, tokens per minute and requests at once, as a client key sets them
// (`limits`, in the config or given when it was issued at run time). A request over a limit is refused at
// once with 429 and Retry-After; every response to a limited key carries OpenAI's x-ratelimit-* headers, so
// SDKs can pace themselves.
//
// Tokens are counted the way OpenAI counts them for its limits: a request takes its estimated prompt tokens
// plus its max_tokens (or a default) when admitted, and the difference to what it really used is settled when
// it ends.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gaterouter/admit/admission_queue.hpp"
#include "gaterouter/config/config.hpp"
#include "gaterouter/route/clock.hpp"
#include "gaterouter/route/token_bucket.hpp"

namespace gaterouter::admit {

// Why a request was refused, and when to try again.
struct Refusal {
    std::string message;
    std::chrono::milliseconds retry_after{0};
};

enum class Limit { requests, tokens, in_flight };
inline constexpr Limit kLimits[] = {Limit::requests, Limit::tokens, Limit::in_flight};
const char* limit_name(Limit limit);

// One key's live limits.
class KeyLimiter {
  public:
    KeyLimiter(const config::LimitsConfig& limits, const route::Clock& clock);

    const config::LimitsConfig& limits() const { return limits_; }

    // Admits a request of about `tokens` tokens, or says why not. Every admitted request must be released.
    std::optional<Refusal> admit(std::int64_t tokens);
    // The request ended having used `used_tokens` (0 when unknown: its admission estimate stands).
    void release(std::int64_t admitted_tokens, std::int64_t used_tokens);

    // The x-ratelimit-* headers, as of now.
    template <class Fields>
    void stamp(Fields& headers) const {
        if (requests_) {
            headers.set("x-ratelimit-limit-requests",
                        std::to_string(static_cast<long long>(requests_->capacity())));
            headers.set("x-ratelimit-remaining-requests", std::to_string(remaining(*requests_)));
            headers.set("x-ratelimit-reset-requests", reset_text(*requests_));
        }
        if (tokens_) {
            headers.set("x-ratelimit-limit-tokens",
                        std::to_string(static_cast<long long>(tokens_->capacity())));
            headers.set("x-ratelimit-remaining-tokens", std::to_string(remaining(*tokens_)));
            headers.set("x-ratelimit-reset-tokens", reset_text(*tokens_));
        }
    }

    // Requests refused so far for `limit`.
    std::uint64_t refusals(Limit limit) const {
        return refusals_[static_cast<std::size_t>(limit)].load(std::memory_order_relaxed);
    }

  private:
    static long long remaining(const route::TokenBucket& bucket);
    // How long until the bucket is full again, as OpenAI writes it: "1s", "6m0s", "250ms".
    static std::string reset_text(const route::TokenBucket& bucket);

    const config::LimitsConfig limits_;
    std::optional<route::TokenBucket> requests_;
    std::optional<route::TokenBucket> tokens_;
    const std::uint32_t max_in_flight_;  // 0: no limit
    std::atomic<std::uint32_t> in_flight_{0};
    std::array<std::atomic<std::uint64_t>, 3> refusals_{};
};

// The limiter of a key whose limits are now `limits`: `previous` (its limiter until now, or null) while its
// limits stay the same, so that its counts carry on when the key set is rebuilt for a change to other keys;
// else a new one, or none when the key has no limits.
std::shared_ptr<KeyLimiter> limiter_for(const config::LimitsConfig& limits,
                                        std::shared_ptr<KeyLimiter> previous, const route::Clock& clock);

// How a key waits in the admission queue: its own queue settings over the admission section's; its flow is
// its name ("" for requests without a key).
KeyQueuePolicy queue_policy(std::string_view key_name, const config::KeyQueueConfig& key,
                            const config::AdmissionConfig& admission);

}  // namespace gaterouter::admit
