#include "gaterouter/http/connection_gate.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

using namespace gaterouter;
using namespace gaterouter::http;
using namespace std::chrono_literals;
using Verdict = ConnectionGate::Verdict;

namespace {

const auto kT0 = ConnectionGate::Clock::time_point{} + 1h;

net::ip::address ip(const char* text) {
    return net::ip::make_address(text);
}

}  // namespace

TEST(ConnectionGate, CapsConnectionsPerAddressAndGivesPlacesBack) {
    ConnectionGate gate({0, 2}, nullptr);
    std::vector<ConnectionGate::Place> held;
    held.push_back(gate.enter(ip("10.0.0.1"), kT0));
    held.push_back(gate.enter(ip("10.0.0.1"), kT0));
    EXPECT_TRUE(held[0].admitted());
    EXPECT_TRUE(held[1].admitted());
    EXPECT_EQ(gate.enter(ip("10.0.0.1"), kT0).verdict(), Verdict::over_per_address);
    EXPECT_TRUE(
        gate.enter(ip("10.0.0.2"), kT0).admitted());  // another address; its place is given back at once
    EXPECT_EQ(gate.open(), 2u);
    held.pop_back();
    EXPECT_EQ(gate.open(), 1u);
    EXPECT_TRUE(gate.enter(ip("10.0.0.1"), kT0).admitted());
}

TEST(ConnectionGate, CapsTheTotal) {
    ConnectionGate gate({3, 0}, nullptr);
    std::vector<ConnectionGate::Place> held;
    for (const char* a : {"10.0.0.1", "10.0.0.2", "10.0.0.3"}) held.push_back(gate.enter(ip(a), kT0));
    for (const auto& p : held) EXPECT_TRUE(p.admitted());
    EXPECT_EQ(gate.enter(ip("10.0.0.4"), kT0).verdict(), Verdict::over_total);
    EXPECT_EQ(gate.open(), 3u);  // a refusal holds no place
    ConnectionGate::Place moved = std::move(held.back());
    held.pop_back();
    EXPECT_EQ(gate.open(), 3u);  // a moved place is still one place
    { const ConnectionGate::Place gone = std::move(moved); }
    EXPECT_EQ(gate.open(), 2u);
    EXPECT_TRUE(gate.enter(ip("10.0.0.4"), kT0).admitted());
}

TEST(ConnectionGate, NoCapsAdmitEveryone) {
    ConnectionGate gate({}, nullptr);
    std::vector<ConnectionGate::Place> held;
    for (int i = 0; i < 1000; ++i) held.push_back(gate.enter(ip("10.0.0.1"), kT0));
    for (const auto& p : held) EXPECT_TRUE(p.admitted());
    EXPECT_EQ(gate.open(), 1000u);
}

TEST(ConnectionGate, AnIpv6ClientCountsByItsSlash64AndAMappedIpv4OneAsIpv4) {
    ConnectionGate gate({0, 1}, nullptr);
    const auto a = gate.enter(ip("2001:db8:1:2::1"), kT0);
    EXPECT_TRUE(a.admitted());
    EXPECT_EQ(gate.enter(ip("2001:db8:1:2:ffff::9"), kT0).verdict(), Verdict::over_per_address);
    EXPECT_TRUE(gate.enter(ip("2001:db8:1:3::1"), kT0).admitted());
    const auto v4 = gate.enter(ip("192.0.2.7"), kT0);
    EXPECT_TRUE(v4.admitted());
    EXPECT_EQ(gate.enter(ip("::ffff:192.0.2.7"), kT0).verdict(), Verdict::over_per_address);
}

TEST(ConnectionGate, ReportsRefusalsAtMostOncePerIntervalWithTheirCounts) {
    std::vector<ConnectionRefusals> reports;
    ConnectionGate gate(
        {1, 1}, [&](const ConnectionRefusals& r) { reports.push_back(r); }, 5s);
    const auto held = gate.enter(ip("10.0.0.1"), kT0);
    EXPECT_FALSE(gate.unreported());

    gate.enter(ip("10.0.0.1"), kT0);  // the first refusal is reported at once
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].over_total, 1u);  // the total is checked first
    EXPECT_FALSE(gate.unreported());

    for (int i = 0; i < 99; ++i) gate.enter(ip("10.0.0.2"), kT0 + 1s);
    EXPECT_EQ(reports.size(), 1u);
    EXPECT_TRUE(gate.unreported());
    EXPECT_TRUE(gate.report_due(kT0 + 4999ms));
    EXPECT_EQ(reports.size(), 1u);

    EXPECT_FALSE(gate.report_due(kT0 + 5s));  // what a worker's timer does once the interval has passed
    ASSERT_EQ(reports.size(), 2u);
    EXPECT_EQ(reports[1].over_total, 99u);
    EXPECT_EQ(reports[1].over_per_address, 0u);
    EXPECT_FALSE(gate.report_due(kT0 + 20s));  // nothing left: no empty report
    EXPECT_EQ(reports.size(), 2u);
}

TEST(ConnectionGate, CountsPerAddressRefusalsApart) {
    std::vector<ConnectionRefusals> reports;
    ConnectionGate gate(
        {0, 1}, [&](const ConnectionRefusals& r) { reports.push_back(r); }, 5s);
    const auto held = gate.enter(ip("10.0.0.1"), kT0);
    gate.enter(ip("10.0.0.1"), kT0);
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].over_total, 0u);
    EXPECT_EQ(reports[0].over_per_address, 1u);
}
