#include "gaterouter/obs/access_log.hpp"

#include <gtest/gtest.h>

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

TEST(RequestId, KeepsSaneClientIdsAndReplacesOthers) {
    EXPECT_EQ(request_id_from("abc-123_x.y:z"), "abc-123_x.y:z");
    EXPECT_NE(request_id_from("bad id\r\nx: y"), "bad id\r\nx: y");
    EXPECT_NE(request_id_from(std::string(200, 'a')), std::string(200, 'a'));
    const auto a = new_request_id(), b = new_request_id();
    EXPECT_NE(a, b);
    EXPECT_EQ(a.rfind("req_", 0), 0u);
    EXPECT_EQ(a.size(), 28u);
}
