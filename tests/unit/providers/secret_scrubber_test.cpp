#include "gaterouter/providers/secret_scrubber.hpp"

#include <gtest/gtest.h>

using gaterouter::providers::SecretScrubber;

TEST(SecretScrubber, TakesEveryOccurrenceOfEachSecretOut) {
    const SecretScrubber scrubber({"sk-SECRET-123", "tok-abcdefgh"});
    std::string text =
        R"({"error":{"message":"Bad request with key Bearer sk-SECRET-123 (sk-SECRET-123), tok-abcdefgh"}})";
    scrubber.scrub(text);
    EXPECT_EQ(text,
              R"({"error":{"message":"Bad request with key Bearer [redacted] ([redacted]), [redacted]"}})");
}

TEST(SecretScrubber, LeavesPlaceholderKeysAndOtherTextAlone) {
    const SecretScrubber scrubber({"x", "none", ""});
    EXPECT_TRUE(scrubber.empty());
    std::string text = "none of x";
    scrubber.scrub(text);
    EXPECT_EQ(text, "none of x");
}

TEST(SecretScrubber, TakesALongerSecretOutWholeWhenItContainsAShorterOne) {
    const SecretScrubber scrubber({"sk-12345678", "Bearer sk-12345678-and-more"});
    std::string text = "got Bearer sk-12345678-and-more";
    scrubber.scrub(text);
    EXPECT_EQ(text, "got [redacted]");
}

TEST(SecretScrubber, ScrubsEveryFieldOfAnError) {
    const SecretScrubber scrubber({"sk-SECRET-123"});
    gaterouter::openai::ApiError e{400, "t sk-SECRET-123", "m sk-SECRET-123", "p sk-SECRET-123",
                                   "c sk-SECRET-123"};
    scrubber.scrub(e);
    EXPECT_EQ(e.message, "m [redacted]");
    EXPECT_EQ(e.type, "t [redacted]");
    EXPECT_EQ(e.param, "p [redacted]");
    EXPECT_EQ(e.code, "c [redacted]");
}
