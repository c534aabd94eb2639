#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "gaterouter/openai/chat_request.hpp"
#include "gaterouter/openai/json_scan.hpp"

using namespace gaterouter::openai;

namespace {

JsonValue root_of(std::string_view doc) {
    JsonSyntaxError e;
    const auto v = scan_json(doc, e);
    EXPECT_TRUE(v.has_value()) << doc << ": " << e.message;
    return v.value_or(JsonValue{});
}

// The root object of `doc` without `name`; the result must still be valid JSON.
std::string removed(std::string_view doc, std::string_view name) {
    const std::string out = without_member(doc, root_of(doc), name);
    JsonSyntaxError e;
    EXPECT_TRUE(scan_json(out, e).has_value()) << "not JSON: " << out << " (" << e.message << ")";
    return out;
}

}  // namespace

TEST(WithoutMember, FirstMiddleLastAndOnly) {
    EXPECT_EQ(removed(R"({"g":{"x":1},"a":1,"b":2})", "g"), R"({"a":1,"b":2})");
    EXPECT_EQ(removed(R"({"a":1,"g":{"x":1},"b":2})", "g"), R"({"a":1,"b":2})");
    EXPECT_EQ(removed(R"({"a":1,"b":2,"g":{"x":1}})", "g"), R"({"a":1,"b":2})");
    EXPECT_EQ(removed(R"({"g":{"x":1}})", "g"), "{}");
}

TEST(WithoutMember, AnyKindOfValue) {
    EXPECT_EQ(removed(R"({"a":1,"g":[1,{"g":2}],"b":2})", "g"), R"({"a":1,"b":2})");
    EXPECT_EQ(removed(R"({"a":1,"g":"a, \"b\" }","b":2})", "g"), R"({"a":1,"b":2})");
    EXPECT_EQ(removed(R"({"a":1,"g":null})", "g"), R"({"a":1})");
    EXPECT_EQ(removed(R"({"g":-1.5e3,"b":true})", "g"), R"({"b":true})");
}

TEST(WithoutMember, WhitespaceAroundCommasAndColons) {
    EXPECT_EQ(removed("{ \"a\" : 1 , \"g\" : { } , \"b\" : 2 }", "g"), "{ \"a\" : 1 ,  \"b\" : 2 }");
    EXPECT_EQ(removed("{\n  \"a\": 1,\n  \"g\": {}\n}", "g"), "{\n  \"a\": 1\n}");
    EXPECT_EQ(removed("{\n  \"g\": {},\n  \"a\": 1\n}", "g"), "{\n  \n  \"a\": 1\n}");
    EXPECT_EQ(removed("{\t\"g\"\t:\t{}\t}", "g"), "{\t\t}");
    EXPECT_EQ(removed("  {\"a\":1 ,\r\n \"g\":2}  ", "g"), "  {\"a\":1 }  ");
}

TEST(WithoutMember, NestedMembersOfTheSameNameAreUntouched) {
    const std::string doc = R"({"model":"m","options":{"g":1,"h":2},"g":{"g":3}})";
    EXPECT_EQ(removed(doc, "g"), R"({"model":"m","options":{"g":1,"h":2}})");
    const std::string only_nested = R"({"model":"m","options":{"g":1}})";
    EXPECT_EQ(removed(only_nested, "g"), only_nested);
}

TEST(WithoutMember, AnEscapedKeyIsTheSameName) {
    // "g\u0061terouter" is "gaterouter".
    EXPECT_EQ(removed(R"({"a":1,"g\u0061terouter":{"optimize":"cost"}})", "gaterouter"), R"({"a":1})");
    EXPECT_EQ(removed(R"({"\u0067":1,"a":2})", "g"), R"({"a":2})");
}

TEST(WithoutMember, AnAbsentMemberLeavesTheDocumentUnchanged) {
    const std::vector<std::string> docs = {R"({"a":1,"b":{"gaterouter":2}})", "{}",
                                           " { \"gaterouterx\" : 1 } ", R"({"Gaterouter":1})"};
    for (const std::string& doc : docs) {
        EXPECT_EQ(removed(doc, "gaterouter"), doc);
    }
}

TEST(WithoutMember, AnInnerObjectCanBeTheOneEdited) {
    const std::string doc = R"({"a":{"x":1,"g":2,"y":3},"g":4})";
    JsonValue inner;
    for_each_member(root_of(doc), [&](std::string_view key, const JsonValue& v) {
        if (key_equals(key, "a")) inner = v;
        return true;
    });
    EXPECT_EQ(without_member(doc, inner, "g"), R"({"a":{"x":1,"y":3},"g":4})");
}

TEST(WithoutMember, TakesTheGaterouterObjectOutOfAChatRequest) {
    const std::string body = R"({"model":"auto","gaterouter":{"optimize":"cost","allow":["a"]},)"
                             R"("messages":[{"role":"user","content":"hi"}],"stream":false})";
    ChatRequest chat;
    ASSERT_FALSE(parse_chat_request(body, chat));
    ASSERT_TRUE(chat.extension);
    EXPECT_EQ(chat.extension->raw, R"({"optimize":"cost","allow":["a"]})");

    const std::string sent = without_member(body, chat.root, "gaterouter");
    EXPECT_EQ(sent, R"({"model":"auto","messages":[{"role":"user","content":"hi"}],"stream":false})");
    ChatRequest again;
    ASSERT_FALSE(parse_chat_request(sent, again));
    EXPECT_FALSE(again.extension);
    EXPECT_EQ(again.model, "auto");
    EXPECT_EQ(again.message_count, 1u);
}

TEST(WithoutMember, ARepeatedExtensionIsRefusedBeforeAnythingIsRemoved) {
    // JSON allows repeated names and the scanner accepts them; without_member removes one member, so a second
    // `gaterouter` object could reach a vendor. The request view refuses the repetition instead.
    const std::string body = R"({"model":"auto","gaterouter":{"a":1},"messages":[{"role":"user"}],)"
                             R"("gaterouter":{"optimize":"cost"}})";
    ChatRequest chat;
    const auto error = parse_chat_request(body, chat);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->status, 400u);
    EXPECT_EQ(error->param, "gaterouter");
}
