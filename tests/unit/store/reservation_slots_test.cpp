#include "gaterouter/store/reservation_slots.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gaterouter/store/sqlite_stores.hpp"
#include "temp_database.hpp"

using namespace gaterouter::store;

namespace {

ReservationRow reservation(const std::string& id, NanoUsd amount) {
    return {1000, id, "key-a", "team-a", "model-a", "chat", amount};
}

std::string slots_path(const TempDatabasePath& file) {
    return file.path() + "-reservations";
}

}  // namespace

TEST(StoreReservationSlots, WhatIsClaimedAndNotReleasedIsLeftBehindForTheNextStart) {
    TempDatabasePath file;
    {
        ReservationSlots slots(slots_path(file), 8);
        std::uint32_t hint = 0;
        const auto a = slots.claim(reservation("req-a", 700), hint);
        const auto b = slots.claim(reservation("req-b", 900), hint);
        ASSERT_TRUE(a && b);
        EXPECT_NE(*a, *b);
        slots.release(*a);
    }  // the process ends without releasing req-b
    ReservationSlots slots(slots_path(file), 8);
    const auto left = slots.left_behind();
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].request_id, "req-b");
    EXPECT_EQ(left[0].key_name, "key-a");
    EXPECT_EQ(left[0].team, "team-a");
    EXPECT_EQ(left[0].model, "model-a");
    EXPECT_EQ(left[0].task, "chat");
    EXPECT_EQ(left[0].time_unix_ms, 1000);
    EXPECT_EQ(left[0].amount, 900);
    slots.clear_all();
    EXPECT_TRUE(slots.left_behind().empty());
}

TEST(StoreReservationSlots, RefusesWhatDoesNotFitAndWhenFull) {
    TempDatabasePath file;
    ReservationSlots slots(slots_path(file), 2);
    std::uint32_t hint = 1;
    EXPECT_FALSE(slots.claim(reservation(std::string(600, 'x'), 1), hint));
    const auto a = slots.claim(reservation("a", 1), hint);
    const auto b = slots.claim(reservation("b", 1), hint);
    ASSERT_TRUE(a && b);
    EXPECT_FALSE(slots.claim(reservation("c", 1), hint));
    slots.release(*a);
    EXPECT_EQ(slots.claim(reservation("c", 1), hint), a);
}

TEST(StoreReservationSlots, OneProcessAtATime) {
    TempDatabasePath file;
    ReservationSlots slots(slots_path(file), 2);
    EXPECT_THROW(ReservationSlots(slots_path(file), 2), StoreError);
}

TEST(StoreReservationSlots, RecoveryChargesOnlyRequestsWithoutARow) {
    TempDatabasePath file;
    SqliteDatabase database(file.options());
    SqliteLedgerStore ledger(database);
    RequestRow settled;
    settled.time_unix_ms = 1500;
    settled.request_id = "req-settled";
    settled.cost = 40;
    settled.status = 200;
    settled.has_reservation_row = false;
    const LedgerEntry entries[] = {settled};
    ledger.write_batch(entries);

    const ReservationRow left[] = {reservation("req-settled", 700), reservation("req-cut-off", 900)};
    const RecoveryResult result = ledger.charge_left_behind(left);
    EXPECT_EQ(result.reservations, 1);
    EXPECT_EQ(result.charged, 900);
    EXPECT_EQ(ledger.sum_cost(between(0, 1'000'000)), 940);
    // Charging again (a crash before the slots were emptied) charges nothing twice.
    EXPECT_EQ(ledger.charge_left_behind(left).reservations, 0);
    EXPECT_EQ(ledger.sum_cost(between(0, 1'000'000)), 940);
}

TEST(StoreReservationSlots, ACallerUsesItsOwnWindowFirstThenTheRestOfTheFile) {
    TempDatabasePath file;
    constexpr std::uint32_t kWindow = ReservationSlots::kWindowSlots;
    ReservationSlots slots(slots_path(file), 2 * kWindow + 10);
    std::uint32_t hint = kWindow + 5;  // the second window, from its sixth slot on
    std::vector<std::uint32_t> claimed;
    for (std::uint32_t n = 0; n < kWindow; ++n) {
        const auto s = slots.claim(reservation("w" + std::to_string(n), 1), hint);
        ASSERT_TRUE(s);
        EXPECT_GE(*s, kWindow);
        EXPECT_LT(*s, 2 * kWindow);
        claimed.push_back(*s);
    }
    EXPECT_EQ(claimed.front(), kWindow + 5);
    EXPECT_EQ(claimed.back(), kWindow + 4) << "round the window, in order";
    const auto spilled = slots.claim(reservation("spill", 1), hint);
    ASSERT_TRUE(spilled);
    EXPECT_GE(*spilled, 2 * kWindow) << "the window is full: the search goes on past it";
    slots.release(claimed[100]);
    EXPECT_EQ(slots.claim(reservation("again", 1), hint), claimed[100])
        << "a slot let go in the window comes first";
}

TEST(StoreReservationSlots, AThreadClaimsTheSlotsItLetGoLastFirst) {
    TempDatabasePath file;
    ReservationSlots slots(slots_path(file), 64);
    std::uint32_t hint = 0;
    std::vector<std::uint32_t> held;  // a, b, c
    for (const char* id : {"a", "b", "c"}) {
        const auto s = slots.claim(reservation(id, 1), hint);
        ASSERT_TRUE(s);
        held.push_back(*s);
    }
    const std::uint32_t a = held[0], b = held[1], c = held[2];
    slots.release(c);
    slots.release(a);
    EXPECT_EQ(slots.claim(reservation("d", 1), hint), a) << "the newest let go first";
    EXPECT_EQ(slots.claim(reservation("e", 1), hint), c);
    const auto f = slots.claim(reservation("f", 1), hint);
    ASSERT_TRUE(f);
    EXPECT_NE(*f, b) << "a slot still held is never handed out";
    const auto left = slots.left_behind();
    EXPECT_EQ(left.size(), 4u) << "b, d, e and f are held";
}
