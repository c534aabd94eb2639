#pragma once
// One chat request's money: before it is sent, its maximum cost is held against every budget it falls under
// (refused with a 429 when a hard budget has no room); when it ends, the real cost — from the usage the
// upstream reported — is charged, and its ledger row is committed before the client gets the end of the
// answer.
//
// When a budget covers the request, its reservation is on record before the request goes upstream: in the
// reservation slots (durability normal; a store into a shared file mapping, no wait), else written to the
// ledger and committed. A crash then charges it at that maximum on restart, so spend cannot escape a budget.
// Without a ledger every call is a no-op.

#include <functional>
#include <optional>
#include <string_view>

#include "gaterouter/api/request_scope.hpp"
#include "gaterouter/api/route_decision.hpp"
#include "gaterouter/api/services.hpp"
#include "gaterouter/openai/error.hpp"

namespace gaterouter::api {

class RequestAccount {
  public:
    RequestAccount(const Services& services, RequestScope& scope, const auth::ApiKey* key);
    // Charges what is known if the request ends without settle() (its coroutine torn down): never leaves
    // money held or a reservation row behind.
    ~RequestAccount();
    RequestAccount(const RequestAccount&) = delete;
    RequestAccount& operator=(const RequestAccount&) = delete;

    // Holds the first candidate's maximum cost against its budgets (or the next candidate's, when those have
    // no room); the 429 to send when no candidate has room. `decision` outlives the account.
    awaitable<std::optional<openai::ApiError>> reserve(const RouteDecision& decision, std::string_view task);
    // Before an attempt on `model`: moves the hold to that model's budgets and price when it is not the one
    // held for (topping it up for a dearer model); the 429 error (and nothing held for it) when they have no
    // room, so a failover never overshoots a budget.
    std::optional<openai::ApiError> cover(const catalog::Model& model);
    // Charges the served model's usage (reported, or the gateway's own count) and waits until the request's
    // row has committed. Once per request; later calls do nothing.
    awaitable<void> settle(unsigned status);
    // An answer without a usage report (a stream cut short, or an upstream that sent none): it is charged
    // for the estimated prompt and `completion_tokens` of the gateway's own count. Does nothing once usage
    // is known.
    void charge_own_count(std::int64_t completion_tokens);

  private:
    std::optional<budget::BudgetRefusal> hold_for(const catalog::Model& model);
    store::NanoUsd max_cost(const catalog::Model& model) const;
    // The 429 for a budget's refusal: what it has spent and holds, what this request needs, and when its
    // window ends, Retry-After until then.
    openai::ApiError refused(const budget::BudgetRefusal& refusal) const;
    // The request's row, its text viewed in this request's objects (valid while it runs).
    store::RequestRowView row(unsigned status, std::int64_t time_unix_ms, store::NanoUsd cost) const;
    // Charges the budgets; the request's row, to be put on record.
    store::RequestRowView charge(unsigned status);

    const Services& services_;
    RequestScope& scope_;
    const auth::ApiKey* key_;
    std::string_view task_;
    std::uint32_t prompt_estimate_ = 0;
    budget::Reservation reservation_;
    const catalog::Model* reserved_for_ = nullptr;
    const RouteDecision* decision_ = nullptr;
    bool settled_ = false;
    bool reservation_row_written_ = false;           // its row must then delete it
    std::optional<std::uint32_t> reservation_slot_;  // held in Ledger::slots until the row has committed
};

}  // namespace gaterouter::api
