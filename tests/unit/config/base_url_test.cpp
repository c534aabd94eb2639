#include "gaterouter/config/base_url.hpp"

#include <gtest/gtest.h>

using gaterouter::config::BaseUrl;
using gaterouter::config::parse_base_url;

TEST(BaseUrl, TakesUrlsApart) {
    BaseUrl u;
    ASSERT_TRUE(parse_base_url("https://api.openai.com/v1/", u));
    EXPECT_TRUE(u.tls);
    EXPECT_EQ(u.host, "api.openai.com");
    EXPECT_EQ(u.port, 443);
    EXPECT_EQ(u.base_path, "/v1");

    ASSERT_TRUE(parse_base_url("http://127.0.0.1:9090", u));
    EXPECT_FALSE(u.tls);
    EXPECT_EQ(u.port, 9090);
    EXPECT_EQ(u.base_path, "");

    ASSERT_TRUE(parse_base_url("http://[::1]:8000/openai/v1", u));
    EXPECT_EQ(u.host, "::1");
    EXPECT_EQ(u.port, 8000);
    EXPECT_EQ(u.base_path, "/openai/v1");
}

TEST(BaseUrl, RefusesWhatIsNotAnHttpUrl) {
    BaseUrl u;
    for (const char* bad : {"ftp://x", "api.openai.com", "http://", "http://:80", "http://h:0",
                            "http://h:70000", "http://h:8a", "http://[::1", "http://[::1]x"}) {
        EXPECT_FALSE(parse_base_url(bad, u)) << bad;
    }
}
