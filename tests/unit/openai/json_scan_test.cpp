#include "gaterouter/openai/json_scan.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gaterouter/openai/json_access.hpp"

using namespace gaterouter::openai;

namespace {
bool valid(std::string_view doc) {
    JsonSyntaxError e;
    return scan_json(doc, e).has_value();
}
}  // namespace

TEST(JsonScan, AcceptsValidDocuments) {
    EXPECT_TRUE(valid(R"({"a":1,"b":[true,false,null],"c":{"d":"e"},"f":-0.5e+3})"));
    EXPECT_TRUE(valid("  [ ]  "));
    EXPECT_TRUE(valid(R"("\u00e9\ud83d\ude00 \n\t\"\\")"));
    EXPECT_TRUE(valid("\"h\xC3\xA9llo \xF0\x9F\x98\x80\""));  // UTF-8: é and an emoji
    EXPECT_TRUE(valid("0"));
}

TEST(JsonScan, RejectsInvalidDocuments) {
    const std::vector<std::string> bad = {
        "",
        "{",
        R"({"a":})",
        R"({"a" 1})",
        R"({"a":1,})",
        "[1,]",
        "01",
        "1.",
        "-",
        "1e",
        "tru",
        "nul",
        R"({a:1})",
        "{} {}",
        R"("abc)",
        "\"\x01\"",
        R"("\x")",
        R"("\u12")",
        R"("\ud800")",
        R"("\udc00")",
        "\"\xC3\"",
        "\"\xC0\xAF\"",
        "\"\xED\xA0\x80\"",
        "\"\xF5\x80\x80\x80\"",
        "\"\xFF\"",
    };
    for (const auto& doc : bad) EXPECT_FALSE(valid(doc)) << doc;
}

// Long runs of plain ASCII are skipped eight bytes at a time: whatever sits at any offset of such a run must
// still be seen.
TEST(JsonScan, SeesEveryByteOfLongStrings) {
    for (std::size_t at = 0; at < 24; ++at) {
        const std::string run(24, 'a');
        const auto with = [&](std::string_view piece) {
            return "\"" + run.substr(0, at) + std::string(piece) + run.substr(at) + "\"";
        };
        EXPECT_TRUE(valid(with(""))) << at;
        EXPECT_TRUE(valid(with("\\n\\\"\\u00e9"))) << at;
        EXPECT_TRUE(valid(with("\xC3\xA9 \x7F~ "))) << at;
        EXPECT_FALSE(valid(with("\x01"))) << at;
        EXPECT_FALSE(valid(with("\x1F"))) << at;
        EXPECT_FALSE(valid(with("\xFF"))) << at;
        EXPECT_FALSE(valid(with("\\q"))) << at;
        EXPECT_FALSE(valid(with("\"x"))) << at;               // a quote ends the string early
        EXPECT_FALSE(valid("\"" + run.substr(0, at))) << at;  // unterminated
        JsonSyntaxError e;
        EXPECT_FALSE(scan_json(with("\t"), e)) << at;
        EXPECT_EQ(e.offset, at + 1) << "the control character is where the error is";
    }
}

TEST(JsonScan, ReportsWhereItFailed) {
    JsonSyntaxError e;
    EXPECT_FALSE(scan_json(R"({"a":1,"b":x})", e));
    EXPECT_EQ(e.offset, 11u);
    EXPECT_FALSE(e.message.empty());
}

// Found by the json_scan fuzz target: nlohmann (openai::parse_json) refuses a number past a double's range,
// so a request the scanner let through had no tree for the Anthropic and Gemini translations.
TEST(JsonScan, RefusesNumbersPastADoublesRange) {
    for (const std::string& number : std::vector<std::string>{"1e400", "-1e400", "0.5e309", "1E+309",
                                                              "0.001e312", std::string(309, '9')}) {
        EXPECT_FALSE(valid("[" + number + "]")) << number;
        EXPECT_TRUE(parse_json("[" + number + "]").is_discarded()) << number;
    }
    for (const std::string& number :
         std::vector<std::string>{"1e308", "-1.7e308", "1e-400", "0.1e-999999999999", "0e999999",
                                  std::string(308, '9'), "123.456e-7"}) {
        EXPECT_TRUE(valid("[" + number + "]")) << number;
        EXPECT_FALSE(parse_json("[" + number + "]").is_discarded()) << number;
    }
}

TEST(JsonScan, LimitsNesting) {
    EXPECT_TRUE(valid(std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']')));
    const std::string deep(100000, '[');  // must fail cleanly, not overflow the stack
    EXPECT_FALSE(valid(deep));
    EXPECT_FALSE(valid(std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']')));
}

TEST(JsonScan, WalksMembersAndElements) {
    JsonSyntaxError e;
    const std::string doc = R"({ "x" : [1, {"y":2}, "z"] , "k\u0065y":"v" })";
    const auto root = scan_json(doc, e);
    ASSERT_TRUE(root);
    std::vector<std::string> keys, raws;
    for_each_member(*root, [&](std::string_view k, const JsonValue& v) {
        keys.emplace_back(k);
        raws.emplace_back(v.raw);
        return true;
    });
    ASSERT_EQ(keys.size(), 2u);
    EXPECT_EQ(raws[0], R"([1, {"y":2}, "z"])");
    EXPECT_TRUE(key_equals(keys[1], "key"));
    EXPECT_EQ(raws[1], R"("v")");

    JsonValue array;
    for_each_member(*root, [&](std::string_view, const JsonValue& v) { return array = v, false; });
    std::vector<JsonType> types;
    for_each_element(array, [&](const JsonValue& v) { return types.push_back(v.type), true; });
    EXPECT_EQ(types, (std::vector<JsonType>{JsonType::number, JsonType::object, JsonType::string}));
}

TEST(JsonScan, DecodesAndQuotesStrings) {
    JsonSyntaxError e;
    const auto v = scan_json(R"("a\"b\\c\/\n\u00e9\ud83d\ude00")", e);
    ASSERT_TRUE(v);
    EXPECT_EQ(decode_string(*v), "a\"b\\c/\n\xC3\xA9\xF0\x9F\x98\x80");
    EXPECT_EQ(quote_json("say \"hi\"\n\x01"), R"("say \"hi\"\n\u0001")");
}

TEST(JsonScan, SplicesAValueInPlace) {
    JsonSyntaxError e;
    const std::string doc = R"({"model":"a","x":1})";
    const auto root = scan_json(doc, e);
    JsonValue model;
    for_each_member(*root, [&](std::string_view k, const JsonValue& v) {
        return key_equals(k, "model") ? (model = v, false) : true;
    });
    EXPECT_EQ(splice(doc, model.raw, quote_json("upstream-b")), R"({"model":"upstream-b","x":1})");
}
