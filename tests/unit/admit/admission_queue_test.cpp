#include "gaterouter/admit/admission_queue.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

using namespace gaterouter;
using namespace std::chrono_literals;
using admit::WaitOutcome;

namespace {

admit::KeyQueuePolicy key(std::string name, unsigned share = 1, std::size_t depth = 100,
                          std::chrono::milliseconds wait = 10s) {
    return {std::move(name), share, depth, wait};
}

// One waiting request, run on the test's io_context.
struct Waiter {
    std::optional<WaitOutcome> outcome;
    std::uint32_t granted = 0;
    admit::WaitTicket ticket;
};

void start(net::io_context& io, admit::AdmissionQueue& queue, const admit::KeyQueuePolicy& policy,
           std::vector<std::uint32_t> models, Waiter& w, bool poll = false) {
    net::co_spawn(
        io,
        [&queue, policy, models = std::move(models), &w, poll]() -> awaitable<void> {
            w.outcome = co_await queue.wait(policy, models, w.ticket, poll, w.granted);
        },
        net::detached);
}

}  // namespace

TEST(AdmissionQueue, AnEndingRequestHandsItsPlaceToTheNextWaiterInFairOrder) {
    net::io_context io;
    route::ManualClock clock;
    admit::AdmissionQueue queue({100, 10s}, clock);
    EXPECT_FALSE(queue.hand_over(0));  // nobody waits: the place is given back

    std::vector<Waiter> noisy(4);
    Waiter quiet;
    for (auto& w : noisy) start(io, queue, key("noisy"), {0, 1}, w);
    start(io, queue, key("quiet"), {1}, quiet);
    io.poll();
    EXPECT_EQ(queue.depth(), 5U);

    // A place on model 1: the noisy key's first; the next one on model 1 goes to the quiet key, whose turn it
    // is.
    EXPECT_TRUE(queue.hand_over(1));
    EXPECT_TRUE(queue.hand_over(1));
    io.poll();
    EXPECT_EQ(noisy[0].outcome, WaitOutcome::handed_over);
    EXPECT_EQ(noisy[0].granted, 1U);
    EXPECT_EQ(quiet.outcome, WaitOutcome::handed_over);
    EXPECT_FALSE(noisy[1].outcome);
    // A place on model 0 only the noisy key can use.
    EXPECT_TRUE(queue.hand_over(0));
    io.poll();
    EXPECT_EQ(noisy[1].outcome, WaitOutcome::handed_over);
    EXPECT_EQ(noisy[1].granted, 0U);
    EXPECT_EQ(queue.depth(), 2U);
    EXPECT_EQ(queue.outcomes(WaitOutcome::handed_over), 3U);
    EXPECT_FALSE(quiet.ticket.entry);
}

TEST(AdmissionQueue, RefusesAtOnceWhenTheKeyOrTheGatewayHasItsMaximumWaiting) {
    net::io_context io;
    route::ManualClock clock;
    admit::AdmissionQueue queue({3, 10s}, clock);
    Waiter a1, a2, a3, b1, b2;
    start(io, queue, key("a", 1, 2), {0}, a1);
    start(io, queue, key("a", 1, 2), {0}, a2);
    start(io, queue, key("a", 1, 2), {0}, a3);
    io.poll();
    EXPECT_EQ(a3.outcome, WaitOutcome::key_full);
    start(io, queue, key("b"), {0}, b1);
    start(io, queue, key("b"), {0}, b2);
    io.poll();
    EXPECT_FALSE(b1.outcome);
    EXPECT_EQ(b2.outcome, WaitOutcome::gateway_full);
    EXPECT_EQ(queue.depth(), 3U);
    EXPECT_EQ(queue.outcomes(WaitOutcome::key_full), 1U);
    EXPECT_EQ(queue.outcomes(WaitOutcome::gateway_full), 1U);
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(queue.hand_over(0));
    io.poll();
}

TEST(AdmissionQueue, RefusesAtOnceWhatTheServiceRateCannotServeInTime) {
    net::io_context io;
    const auto busy = net::make_work_guard(io);  // poll() again after every waiter is done
    route::ManualClock clock;
    admit::AdmissionQueue queue({1000, 10s}, clock);
    // Places free up at 10 per second (one every 100 ms on the injected clock).
    std::vector<Waiter> served(10);
    for (auto& w : served) {
        start(io, queue, key("a"), {0}, w);
        io.poll();
        clock.advance(100ms);
        ASSERT_TRUE(queue.hand_over(0));
        io.poll();
    }
    // 20 wait now: 2 s of work ahead.
    std::vector<Waiter> waiting(20);
    for (auto& w : waiting) start(io, queue, key("a"), {0}, w);
    io.poll();
    EXPECT_EQ(queue.depth(), 20U);
    // Another request of that key that may wait 1 s is refused at once; one that may wait 5 s joins; another
    // key's, with the fair queue's turns, has one request ahead of it and joins too.
    Waiter hurried, patient, other;
    start(io, queue, key("a", 1, 100, 1s), {0}, hurried);
    start(io, queue, key("a", 1, 100, 5s), {0}, patient);
    start(io, queue, key("b", 1, 100, 1s), {0}, other);
    io.poll();
    EXPECT_EQ(hurried.outcome, WaitOutcome::would_wait_too_long);
    EXPECT_FALSE(patient.outcome);
    EXPECT_FALSE(other.outcome);
    EXPECT_EQ(queue.depth(), 22U);
    for (int i = 0; i < 22; ++i) queue.hand_over(0);
    io.poll();
}

TEST(AdmissionQueue, AWaiterPollsInItsPlaceThenTimesOutAfterItsMaximumWait) {
    net::io_context io;
    route::ManualClock clock;
    admit::AdmissionQueue queue({100, 1ms}, clock);
    Waiter first, second;
    const auto policy = key("a", 1, 100, 50ms);
    start(io, queue, policy, {0}, first, true);
    start(io, queue, policy, {0}, second, true);
    io.run_for(20ms);  // the real timer: one poll each
    EXPECT_EQ(first.outcome, WaitOutcome::look_again);
    EXPECT_EQ(second.outcome, WaitOutcome::look_again);
    EXPECT_EQ(queue.depth(), 2U) << "a poll keeps the request's place";

    // Polling again keeps the order: the first in gets the next place.
    first.outcome.reset();
    second.outcome.reset();
    start(io, queue, policy, {0}, second, true);
    start(io, queue, policy, {0}, first, true);
    io.restart();
    io.poll();
    EXPECT_TRUE(queue.hand_over(0));
    io.restart();
    io.run_for(5ms);
    EXPECT_EQ(first.outcome, WaitOutcome::handed_over);

    // Past its deadline on the injected clock, the other one gives up at its next wake-up.
    clock.advance(60ms);
    second.outcome.reset();
    start(io, queue, policy, {0}, second, true);
    io.restart();
    io.run_for(20ms);
    EXPECT_EQ(second.outcome, WaitOutcome::timed_out);
    EXPECT_EQ(queue.depth(), 0U);
    EXPECT_EQ(queue.outcomes(WaitOutcome::timed_out), 1U);
    const auto waits = queue.wait_histograms();
    ASSERT_TRUE(waits.contains("a"));
    EXPECT_EQ(waits.at("a").count, 2U);
}

TEST(AdmissionQueue, LeavingGivesBackAPlaceHandedOverMeanwhile) {
    net::io_context io;
    route::ManualClock clock;
    admit::AdmissionQueue queue({100, 1ms}, clock);
    Waiter w;
    const auto policy = key("a");
    start(io, queue, policy, {3}, w, true);
    io.run_for(20ms);
    ASSERT_EQ(w.outcome, WaitOutcome::look_again);
    // A place arrives while the request is busy looking for one by itself, and it found one.
    EXPECT_TRUE(queue.hand_over(3));
    EXPECT_EQ(queue.leave(policy, w.ticket, true), 3U) << "the late place must be passed on";
    EXPECT_EQ(queue.depth(), 0U);
    EXPECT_FALSE(queue.leave(policy, w.ticket, false));
    EXPECT_EQ(queue.outcomes(WaitOutcome::handed_over), 1U);

    // A request that ends while queued leaves no entry behind.
    Waiter gone;
    start(io, queue, policy, {3}, gone, true);
    io.restart();
    io.run_for(5ms);
    EXPECT_EQ(queue.depth(), 1U);
    EXPECT_FALSE(queue.leave(policy, gone.ticket, false));
    EXPECT_EQ(queue.depth(), 0U);
    EXPECT_FALSE(queue.hand_over(3));
    io.restart();
    io.poll();
}
