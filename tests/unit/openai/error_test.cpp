#include "gaterouter/openai/error.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace gaterouter::openai;

TEST(ApiError, BodyHasOpenAiShapeWithNulls) {
    const auto j = nlohmann::json::parse(invalid_api_key().body());
    ASSERT_TRUE(j.contains("error"));
    const auto& e = j["error"];
    EXPECT_EQ(e["type"], "invalid_request_error");
    EXPECT_EQ(e["code"], "invalid_api_key");
    EXPECT_TRUE(e["param"].is_null());
    EXPECT_TRUE(e["message"].is_string());
}

TEST(ApiError, StatusesMatchOpenAi) {
    EXPECT_EQ(invalid_request("x").status, 400u);
    EXPECT_EQ(missing_api_key().status, 401u);
    EXPECT_EQ(model_not_found("m").status, 404u);
    EXPECT_EQ(body_too_large(10).status, 413u);
    EXPECT_EQ(upstream_unreachable("m", "x").status, 502u);
    EXPECT_EQ(upstream_timeout("m", "x").status, 504u);
}

TEST(ApiError, KeepsAnUpstreamOpenAiErrorAndItsStatus) {
    const auto e = from_upstream(
        429,
        R"({"error":{"message":"slow down","type":"requests","param":null,"code":"rate_limit_exceeded"}})",
        "m");
    EXPECT_EQ(e.status, 429u);
    EXPECT_EQ(e.message, "slow down");
    EXPECT_EQ(e.code, "rate_limit_exceeded");
}

TEST(ApiError, WrapsAnUpstreamErrorThatIsNotJson) {
    const auto e = from_upstream(503, "<html>busy</html>", "m");
    EXPECT_EQ(e.status, 503u);
    EXPECT_EQ(e.type, "api_error");
    EXPECT_NE(e.message.find("'m'"), std::string::npos);
}

TEST(ApiError, UpstreamAuthFailureIsTheGatewaysProblem) {
    EXPECT_EQ(from_upstream(401, R"({"error":{"message":"bad key"}})", "m").status, 502u);
    EXPECT_EQ(from_upstream(403, "", "m").code, "upstream_auth_failed");
}

TEST(ApiError, InvalidUtf8InAMessageDoesNotThrow) {
    const auto e = model_not_found("\xFF\xFE");
    EXPECT_TRUE(nlohmann::json::accept(e.body()));
}

TEST(ApiError, ClassifiesWhatIsWorthRetrying) {
    EXPECT_TRUE(from_upstream(429, "", "m").retryable());
    EXPECT_TRUE(from_upstream(503, "", "m").retryable());
    EXPECT_TRUE(upstream_unreachable("m", "x").retryable());
    EXPECT_TRUE(upstream_timeout("m", "x").retryable());
    EXPECT_FALSE(from_upstream(400, R"({"error":{"code":"context_length_exceeded"}})", "m").retryable());
    EXPECT_FALSE(from_upstream(401, "", "m").retryable());
    EXPECT_FALSE(invalid_request("x").retryable());
}
