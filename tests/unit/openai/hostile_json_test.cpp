// JSON from a hostile client or upstream: nesting deep enough to end a recursive parser's stack, repeated
// keys, and token counts large enough to overflow what they cost.
#include <gtest/gtest.h>

#include <string>

#include "gaterouter/openai/completion.hpp"
#include "gaterouter/openai/json_access.hpp"
#include "gaterouter/openai/json_scan.hpp"

using namespace gaterouter::openai;

TEST(HostileJson, ParseJsonDiscardsWhatNestsTooDeepInsteadOfRecursing) {
    for (const std::string& deep :
         {std::string(200000, '['), std::string(100000, '[') + std::string(100000, ']'), [] {
              std::string s;
              for (int i = 0; i < 100000; ++i) s += "{\"a\":";
              return s + "1" + std::string(100000, '}');
          }()}) {
        EXPECT_TRUE(parse_json(deep).is_discarded());
    }
    const std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
    EXPECT_FALSE(parse_json(ok).is_discarded());
    EXPECT_TRUE(parse_json("{\"a\":").is_discarded());
    EXPECT_EQ(parse_json(R"({"a":[1,2]})")["a"][1], 2);
}

TEST(HostileJson, RepeatedKeyFindsTheFirstKeyGivenTwiceEvenWhenEscapedDifferently) {
    JsonSyntaxError e;
    const auto twice = scan_json(R"({"model":"a","x":1,"mod\u0065l":"b"})", e);
    ASSERT_TRUE(twice);
    EXPECT_EQ(repeated_key(*twice).value_or(""), "mod\\u0065l");  // as written where it came again
    const auto once = scan_json(R"({"model":"a","models":1,"x":{"model":1}})", e);
    ASSERT_TRUE(once);
    EXPECT_FALSE(repeated_key(*once));  // only this object's own keys count
}

TEST(HostileJson, ReportedTokenCountsAreBoundedWhereTheyEnter) {
    const auto huge = read_usage(R"({"usage":{"prompt_tokens":1e15,"completion_tokens":18446744073709551615,)"
                                 R"("prompt_tokens_details":{"cached_tokens":-5},)"
                                 R"("completion_tokens_details":{"reasoning_tokens":"many"}}})");
    ASSERT_TRUE(huge);
    EXPECT_EQ(huge->prompt_tokens, kMaxReportedTokens);
    EXPECT_EQ(huge->completion_tokens, kMaxReportedTokens);
    EXPECT_EQ(huge->cached_tokens, 0);
    EXPECT_EQ(huge->reasoning_tokens, 0);
    const auto honest = read_usage(R"({"usage":{"prompt_tokens":12,"completion_tokens":7.9}})");
    ASSERT_TRUE(honest);
    EXPECT_EQ(honest->prompt_tokens, 12);
    EXPECT_EQ(honest->completion_tokens, 7);
    EXPECT_FALSE(read_usage("not json"));
    EXPECT_FALSE(read_usage(std::string(100000, '[')));
}
