#include "gaterouter/admit/fair_queue.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

using gaterouter::admit::FairQueue;

namespace {

struct Item {
    std::string flow;
    int n = 0;
    int model = 0;
    bool operator==(const Item&) const = default;
};

const auto anything = [](const Item&) { return true; };

// Pops `count` items and counts them by flow.
std::map<std::string, int> serve(FairQueue<Item>& q, int count) {
    std::map<std::string, int> served;
    for (int i = 0; i < count; ++i) {
        const auto item = q.pop(anything);
        if (!item) break;
        ++served[item->flow];
    }
    return served;
}

}  // namespace

TEST(FairQueue, EqualSharesAlternateWhateverTheBacklog) {
    FairQueue<Item> q;
    for (int i = 0; i < 100; ++i) q.push_back("noisy", 1, {"noisy", i});
    for (int i = 0; i < 3; ++i) q.push_back("quiet", 1, {"quiet", i});
    EXPECT_EQ(q.size(), 103U);
    EXPECT_EQ(q.size("quiet"), 3U);
    // The quiet key's three requests are all served within the first six places.
    const auto served = serve(q, 6);
    EXPECT_EQ(served.at("quiet"), 3);
    EXPECT_EQ(served.at("noisy"), 3);
    EXPECT_EQ(q.size("quiet"), 0U);
    EXPECT_EQ(q.size(), 97U);
}

TEST(FairQueue, SharesWeighThePlaces) {
    FairQueue<Item> q;
    for (int i = 0; i < 100; ++i) {
        q.push_back("gold", 4, {"gold", i});
        q.push_back("basic", 1, {"basic", i});
    }
    const auto served = serve(q, 50);
    EXPECT_EQ(served.at("gold"), 40);
    EXPECT_EQ(served.at("basic"), 10);
}

TEST(FairQueue, FirstComeFirstServedWithinAFlow) {
    FairQueue<Item> q;
    for (int i = 0; i < 5; ++i) q.push_back("a", 1, {"a", i});
    for (int i = 0; i < 5; ++i) EXPECT_EQ(q.pop(anything)->n, i);
    EXPECT_FALSE(q.pop(anything));
    EXPECT_EQ(q.size(), 0U);
}

TEST(FairQueue, PassesOverItemsThatCannotUseThePlaceWithoutLosingTheirTurn) {
    FairQueue<Item> q;
    q.push_back("a", 1, {"a", 0, 1});
    q.push_back("a", 1, {"a", 1, 2});
    q.push_back("b", 1, {"b", 0, 2});
    // A place on model 2: a's first item cannot use it, its second can.
    const auto on_model = [](int m) { return [m](const Item& i) { return i.model == m; }; };
    EXPECT_EQ(*q.pop(on_model(2)), (Item{"a", 1, 2}));
    EXPECT_EQ(*q.pop(on_model(2)), (Item{"b", 0, 2}));
    EXPECT_FALSE(q.pop(on_model(2)));
    EXPECT_EQ(*q.pop(on_model(1)), (Item{"a", 0, 1}));
    EXPECT_EQ(q.size(), 0U);
}

TEST(FairQueue, PushFrontPutsAnItemBackAtItsFlowsHead) {
    FairQueue<Item> q;
    q.push_back("a", 1, {"a", 1});
    q.push_front("a", 1, {"a", 0});
    EXPECT_EQ(q.pop(anything)->n, 0);
    EXPECT_EQ(q.pop(anything)->n, 1);
}

TEST(FairQueue, RemoveTakesOutOneItemAndEmptiesTheFlow) {
    FairQueue<Item> q;
    q.push_back("a", 1, {"a", 0});
    q.push_back("b", 1, {"b", 0});
    EXPECT_TRUE(q.remove("a", {"a", 0}));
    EXPECT_FALSE(q.remove("a", {"a", 0}));
    EXPECT_EQ(q.size("a"), 0U);
    EXPECT_EQ(q.size(), 1U);
    EXPECT_EQ(q.pop(anything)->flow, "b");
}

TEST(FairQueue, AFlowThatStartsWaitingGoesAfterThoseAlreadyWaiting) {
    FairQueue<Item> q;
    q.push_back("a", 1, {"a", 0});
    q.push_back("b", 1, {"b", 0});
    q.push_back("a", 1, {"a", 1});
    EXPECT_EQ(q.pop(anything)->flow, "a");
    q.push_back("c", 1, {"c", 0});
    EXPECT_EQ(q.pop(anything)->flow, "b");
    EXPECT_EQ(q.pop(anything)->flow, "a");
    EXPECT_EQ(q.pop(anything)->flow, "c");
}

TEST(FairQueue, AheadOfNewCountsWhatOtherFlowsTakeMeanwhile) {
    FairQueue<Item> q;
    EXPECT_EQ(q.ahead_of_new("a", 1), 0U);
    for (int i = 0; i < 10; ++i) q.push_back("noisy", 1, {"noisy", i});
    // A quiet key's first request waits for one noisy request at most.
    EXPECT_EQ(q.ahead_of_new("quiet", 1), 1U);
    // The noisy key's next waits behind all of its own.
    EXPECT_EQ(q.ahead_of_new("noisy", 1), 10U);
    q.push_back("quiet", 1, {"quiet", 0});
    EXPECT_EQ(q.ahead_of_new("noisy", 1), 11U);
    EXPECT_EQ(q.ahead_of_new("quiet", 1), 3U);
}
