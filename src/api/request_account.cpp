#include "gaterouter/api/request_account.hpp"

#include <atomic>
#include <exception>
#include <string>

#include "gaterouter/api/chat_completions.hpp"
#include "gaterouter/budget/pricing.hpp"

namespace gaterouter::api {
namespace {

budget::SpendTags tags_of(const auth::ApiKey* key, std::string_view model, std::string_view task) {
    budget::SpendTags tags;
    if (key != nullptr) {
        tags.key = key->name;
        tags.team = key->team;
    }
    tags.model = model;
    tags.task = task;
    return tags;
}

}  // namespace

RequestAccount::RequestAccount(const Services& services, RequestScope& scope, const auth::ApiKey* key)
    : services_(services), scope_(scope), key_(key) {}

RequestAccount::~RequestAccount() {
    if (settled_ || !services_.ledger) return;
    try {
        std::function<void()> let_go;
        if (reservation_slot_) {
            let_go = [slots = services_.ledger->slots.get(), slot = *reservation_slot_] {
                slots->release(slot);
            };
        }
        services_.ledger->writer->record(charge(0).as<std::string>(), std::move(let_go));
    } catch (const std::exception&) {
        // The writer has stopped (a request torn down at exit): its reservation (row or slot) stays and the
        // next start charges it at its maximum, so nothing escapes a budget.
    }
}

awaitable<std::optional<openai::ApiError>> RequestAccount::reserve(const RouteDecision& decision,
                                                                   std::string_view task) {
    task_ = task;
    prompt_estimate_ = decision.needs.prompt_tokens;
    decision_ = &decision;
    Ledger* ledger = services_.ledger.get();
    if (ledger == nullptr || decision.candidates.empty()) co_return std::nullopt;
    // Each candidate is held for at its own price, the one about to be tried only: a plan that may fail
    // over to a dear model does not make a cheap request wait for room it will most likely never use. A
    // failover to a dearer one tops the hold up first, or is refused (cover).
    std::optional<budget::BudgetRefusal> first_refusal;
    for (const route::Candidate& c : decision.candidates) {
        std::optional<budget::BudgetRefusal> refusal = hold_for(*c.model);
        if (!refusal) break;
        if (!first_refusal) first_refusal = std::move(refusal);
    }
    if (reserved_for_ == nullptr) {
        openai::ApiError error = refused(*first_refusal);
        co_return error;
    }
    if (reservation_.amount() == 0)
        co_return std::nullopt;  // no budget covers it: nothing to make crash-safe

    store::ReservationRow held;
    held.time_unix_ms = services_.wall_clock->now_unix_ms();
    held.request_id = scope_.id();
    if (key_ != nullptr) {
        held.key_name = key_->name;
        held.team = key_->team;
    }
    held.model = reserved_for_->id;
    held.task = task_;
    // On record at the plan's dearest: a crash after a failover to a dearer candidate must not charge less
    // than that attempt could cost. Only a crashed request is charged this; a settled one pays its usage.
    for (const route::Candidate& c : decision.candidates)
        held.amount = std::max(held.amount, max_cost(*c.model));
    if (ledger->slots) {
        // Each worker searches for a free slot from its own place.
        static std::atomic<std::uint32_t> next_worker{0};
        thread_local std::uint32_t hint = next_worker.fetch_add(1) * store::ReservationSlots::kWindowSlots;
        reservation_slot_ = ledger->slots->claim(held, hint);
        if (reservation_slot_) co_return std::nullopt;  // on record: no need to wait for the writer
    }
    reservation_row_written_ = true;
    co_await commit_to_ledger(*ledger, std::move(held));
    co_return std::nullopt;
}

store::NanoUsd RequestAccount::max_cost(const catalog::Model& model) const {
    return budget::max_request_cost(model, decision_->max_prompt_tokens, decision_->needs.max_output_tokens,
                                    decision_->choices);
}

std::optional<budget::BudgetRefusal> RequestAccount::hold_for(const catalog::Model& model) {
    auto held = services_.ledger->budgets->reserve(tags_of(key_, model.id, task_), max_cost(model));
    if (auto* refusal = std::get_if<budget::BudgetRefusal>(&held)) return std::move(*refusal);
    reservation_ =
        std::move(std::get<budget::Reservation>(held));  // the hold for another model, if any, goes
    reserved_for_ = &model;
    return std::nullopt;
}

std::optional<openai::ApiError> RequestAccount::cover(const catalog::Model& model) {
    if (services_.ledger == nullptr || reserved_for_ == &model) return std::nullopt;
    if (auto refusal = hold_for(model)) return refused(*refusal);
    return std::nullopt;
}

openai::ApiError RequestAccount::refused(const budget::BudgetRefusal& refusal) const {
    openai::ApiError error = openai::budget_exceeded(refusal.message());
    if (refusal.resets_at_unix_ms) {
        const std::int64_t wait_ms = *refusal.resets_at_unix_ms - services_.wall_clock->now_unix_ms();
        if (wait_ms > 0) error.retry_after = std::chrono::milliseconds(wait_ms);
    }
    return error;
}

store::RequestRowView RequestAccount::row(unsigned status, std::int64_t time_unix_ms,
                                          store::NanoUsd cost) const {
    store::RequestRowView r;
    r.time_unix_ms = time_unix_ms;
    r.request_id = scope_.id();
    if (key_ != nullptr) {
        r.key_name = key_->name;
        r.team = key_->team;
    }
    if (const catalog::Model* m = scope_.served()) {
        r.model = m->id;
        r.provider = m->provider->name;
    }
    r.task = task_;
    const openai::Usage& usage = scope_.usage();
    r.prompt_tokens = usage.prompt_tokens;
    r.completion_tokens = usage.completion_tokens;
    r.cached_tokens = usage.cached_tokens;
    r.reasoning_tokens = usage.reasoning_tokens;
    r.cost = cost;
    r.status = static_cast<int>(status);
    r.attempts = scope_.attempts();
    return r;
}

void RequestAccount::charge_own_count(std::int64_t completion_tokens) {
    const catalog::Model* served = scope_.served();
    if (served == nullptr || scope_.usage().completion_tokens > 0 || scope_.usage().prompt_tokens > 0) return;
    openai::Usage usage;
    usage.prompt_tokens = prompt_estimate_;
    usage.completion_tokens = completion_tokens;
    scope_.set_usage(usage, cost_of(usage, *served));
}

store::RequestRowView RequestAccount::charge(unsigned status) {
    settled_ = true;
    Ledger* ledger = services_.ledger.get();
    const catalog::Model* served = scope_.served();
    const openai::Usage& usage = scope_.usage();
    const store::NanoUsd cost =
        served == nullptr ? 0 : budget::request_cost(*served, usage.prompt_tokens, usage.completion_tokens);
    const std::string_view model = served != nullptr ? std::string_view(served->id) : std::string_view{};
    const std::int64_t at =
        ledger->budgets->settle(std::move(reservation_), tags_of(key_, model, task_), cost);
    store::RequestRowView r = row(status, at, cost);
    r.has_reservation_row = reservation_row_written_;
    return r;
}

awaitable<void> RequestAccount::settle(unsigned status) {
    if (settled_ || !services_.ledger) co_return;
    Ledger& ledger = *services_.ledger;
    const store::RequestRowView finished = charge(status);
    // In the journal the row is on record at once; else (durability full, a row too long, the writer behind)
    // the request waits for its commit.
    if (!ledger.writer->append_to_journal(finished)) {
        store::LedgerEntry entry = finished.as<std::string>();
        co_await commit_to_ledger(ledger, std::move(entry));
    }
    // Only once the row is on record may the reservation go: a crash in between charges nothing twice, as
    // recovery skips a reservation whose request has a row.
    if (reservation_slot_) ledger.slots->release(*reservation_slot_);
}

}  // namespace gaterouter::api
