#include "gaterouter/obs/access_log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "gaterouter/obs/request_id.hpp"

using namespace gaterouter::obs;

TEST(AccessLog, FormatsOneJsonLine) {
    AccessRecord r;
    r.request_id = "req_1";
    r.method = "POST";
    r.path = "/v1/chat/\"completions\"\n";
    r.status = 200;
    r.model = "gpt-4o";
    r.upstream = "sim";
    r.latency_us = 1500;
    r.ttfb_us = 900;
    r.overhead_us = 40;
    r.bytes_in = 10;
    r.bytes_out = 20;
    const std::string line = AccessLog::format(r);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["request_id"], "req_1");
    EXPECT_EQ(j["path"], "/v1/chat/\"completions\"\n");
    EXPECT_EQ(j["status"], 200);
    EXPECT_EQ(j["ttfb_us"], 900);
    EXPECT_EQ(j["overhead_us"], 40);
    EXPECT_EQ(j["upstream"], "sim");
    EXPECT_FALSE(j.contains("error"));
    EXPECT_EQ(j["time"].get<std::string>().size(), 24u);  // 2026-11-24T09:11:10.123Z
}

TEST(AccessLog, NullsWhatIsUnknown) {
    AccessRecord r;
    r.request_id = "x";
    const auto j = nlohmann::json::parse(AccessLog::format(r));
    EXPECT_TRUE(j["model"].is_null());
    EXPECT_TRUE(j["ttfb_us"].is_null());
}

TEST(AccessLog, WritesEveryLineToItsOutputByTheTimeItStops) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    std::string written;
    std::thread reader([&] {
        char buffer[4096];
        for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;)
            written.append(buffer, static_cast<std::size_t>(n));
    });
    {
        const AccessLog access(true, fds[1]);
        for (int i = 0; i < 5000; ++i) {
            const std::string id = "req-" + std::to_string(i);
            AccessRecord r;
            r.request_id = id;
            r.status = 200;
            access.write(r);
        }
        EXPECT_EQ(access.dropped(), 0U);
    }
    close(fds[1]);
    reader.join();
    close(fds[0]);
    std::size_t lines = 0;
    for (std::size_t at = 0; (at = written.find('\n', at)) != std::string::npos; ++at) ++lines;
    EXPECT_EQ(lines, 5000U);
    EXPECT_NE(written.find("\"request_id\":\"req-0\""), std::string::npos);
    EXPECT_NE(written.find("\"request_id\":\"req-4999\""), std::string::npos);
}

TEST(RequestId, KeepsSaneClientIdsAndReplacesOthers) {
    EXPECT_EQ(request_id_from("abc-123_x.y:z"), "abc-123_x.y:z");
    EXPECT_NE(request_id_from("bad id\r\nx: y"), "bad id\r\nx: y");
    EXPECT_NE(request_id_from(std::string(200, 'a')), std::string(200, 'a'));
    const auto a = new_request_id(), b = new_request_id();
    EXPECT_NE(a, b);
    EXPECT_EQ(a.rfind("req_", 0), 0u);
    EXPECT_EQ(a.size(), 28u);
}
