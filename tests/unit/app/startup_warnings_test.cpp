#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gaterouter/app/daemon.hpp"

using namespace gaterouter;

namespace {

constexpr std::uint64_t kRoomyLimit = 1'000'000;

std::string joined(const std::vector<std::string>& warnings) {
    std::string out;
    for (const auto& w : warnings) out += w + "\n";
    return out;
}

}  // namespace

TEST(StartupWarnings, AnAdminListenerBeyondLoopbackIsWarnedAbout) {
    config::Config c;
    c.admin.enabled = true;
    for (const char* host : {"127.0.0.1", "::1"}) {
        c.admin.listen_host = host;
        EXPECT_TRUE(app::startup_warnings(c, kRoomyLimit).empty()) << host;
    }
    for (const char* host : {"0.0.0.0", "::", "192.0.2.10"}) {
        c.admin.listen_host = host;
        const auto warnings = app::startup_warnings(c, kRoomyLimit);
        ASSERT_EQ(warnings.size(), 1u) << host;
        EXPECT_NE(warnings[0].find(std::string("admin API listens on ") + host + ", beyond this host"),
                  std::string::npos)
            << warnings[0];
    }
    c.admin.enabled = false;  // no admin listener, nothing to warn about
    EXPECT_TRUE(app::startup_warnings(c, kRoomyLimit).empty());
}

TEST(StartupWarnings, AConnectionCapTheDescriptorsCannotCoverIsWarnedAbout) {
    config::Config c;
    c.server.max_connections = 10'000;
    EXPECT_TRUE(app::startup_warnings(c, 20'000).empty());
    const auto tight = app::startup_warnings(c, 4'096);
    ASSERT_EQ(tight.size(), 1u) << joined(tight);
    EXPECT_NE(tight[0].find("server.max_connections (10000) is more than half the open-files limit (4096)"),
              std::string::npos)
        << tight[0];
    c.server.max_connections = 0;
    const auto uncapped = app::startup_warnings(c, kRoomyLimit);
    ASSERT_EQ(uncapped.size(), 1u) << joined(uncapped);
    EXPECT_NE(uncapped[0].find("(no cap)"), std::string::npos) << uncapped[0];
}
