#include "gaterouter/openai/json_access.hpp"

#include <gtest/gtest.h>

#include <cstdint>

using namespace gaterouter::openai;

// Found by the anthropic_protocol fuzz target: a stream event's "index" past INT_MAX (a double once past
// UINT64_MAX) was converted to int, which is undefined; integers now read only what they can hold.
TEST(JsonAccess, IntegersReadOnlyWhatTheyCanHold) {
    const nlohmann::json j = parse_json(
        R"({"small":7,"negative":-3,"big":4294967296,"huge":59223372036854775807,"max":18446744073709551615,)"
        R"("fraction":1.5,"text":"7"})");
    EXPECT_EQ(get_or<int>(j, "small", -1), 7);
    EXPECT_EQ(get_or<int>(j, "negative", -1), -3);
    EXPECT_EQ(get_or<int>(j, "big", -1), -1);
    EXPECT_EQ(get_or<int>(j, "huge", -1), -1);
    EXPECT_EQ(get_or<int>(j, "fraction", -1), -1);
    EXPECT_EQ(get_or<int>(j, "text", -1), -1);
    EXPECT_EQ(get_or<int>(j, "missing", -1), -1);
    EXPECT_EQ(get_or<std::int64_t>(j, "big", -1), 4294967296);
    EXPECT_EQ(get_or<std::int64_t>(j, "max", -1), -1);
    EXPECT_EQ(get_or<std::uint64_t>(j, "max", 0), 18446744073709551615u);
    EXPECT_EQ(get_or<std::uint32_t>(j, "negative", 9), 9u);
    EXPECT_DOUBLE_EQ(get_or<double>(j, "fraction", 0), 1.5);
}
