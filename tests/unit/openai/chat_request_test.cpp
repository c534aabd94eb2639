#include "gaterouter/openai/chat_request.hpp"

#include <gtest/gtest.h>

using namespace gaterouter::openai;

namespace {
std::optional<ApiError> parse(std::string_view body) {
    ChatRequest r;
    return parse_chat_request(body, r);
}
}  // namespace

TEST(ChatRequest, ReadsTheFieldsTheGatewayDecidesOn) {
    const std::string body =
        R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true,)"
        R"("stream_options":{"include_usage":true},"max_tokens":50,"max_completion_tokens":70,"extra":{"a":[1]}})";
    ChatRequest r;
    ASSERT_FALSE(parse_chat_request(body, r));
    EXPECT_EQ(r.model, "gpt-4o");
    EXPECT_EQ(r.model_value.raw, R"("gpt-4o")");
    EXPECT_TRUE(r.stream);
    EXPECT_TRUE(r.include_usage);
    EXPECT_EQ(r.max_tokens, 70);  // the newer field wins
    EXPECT_EQ(r.message_count, 1u);
}

TEST(ChatRequest, DefaultsWhenOptionalFieldsAreAbsentOrNull) {
    ChatRequest r;
    ASSERT_FALSE(parse_chat_request(
        R"({"model":"m","messages":[{"role":"user"}],"stream":null,"max_tokens":null})", r));
    EXPECT_FALSE(r.stream);
    EXPECT_FALSE(r.include_usage);
    EXPECT_FALSE(r.max_tokens);
}

TEST(ChatRequest, NamesTheOffendingParameter) {
    struct Case {
        const char* body;
        const char* param;
    };
    const Case cases[] = {
        {R"({"messages":[{"role":"user"}]})", "model"},
        {R"({"model":5,"messages":[{"role":"user"}]})", "model"},
        {R"({"model":"","messages":[{"role":"user"}]})", "model"},
        {R"({"model":"m"})", "messages"},
        {R"({"model":"m","messages":"hi"})", "messages"},
        {R"({"model":"m","messages":[]})", "messages"},
        {R"({"model":"m","messages":[3]})", "messages[0]"},
        {R"({"model":"m","messages":[{"role":"user"},{"content":"x"}]})", "messages[1].role"},
        {R"({"model":"m","messages":[{"role":7}]})", "messages[0].role"},
        {R"({"model":"m","messages":[{"role":"user"}],"stream":"yes"})", "stream"},
        {R"({"model":"m","messages":[{"role":"user"}],"stream_options":1})", "stream_options"},
        {R"({"model":"m","messages":[{"role":"user"}],"max_tokens":0})", "max_tokens"},
        {R"({"model":"m","messages":[{"role":"user"}],"max_completion_tokens":1.5})",
         "max_completion_tokens"},
    };
    for (const auto& c : cases) {
        const auto err = parse(c.body);
        ASSERT_TRUE(err) << c.body;
        EXPECT_EQ(err->status, 400u);
        EXPECT_EQ(err->type, "invalid_request_error");
        EXPECT_EQ(err->param, c.param) << c.body;
    }
}

TEST(ChatRequest, RejectsBodiesThatAreNotJsonObjects) {
    for (const char* body : {"", "[]", "\"x\"", "{", "{\"model\":\"m\",}", "\xFF"}) {
        const auto err = parse(body);
        ASSERT_TRUE(err) << body;
        EXPECT_EQ(err->status, 400u);
    }
    EXPECT_EQ(parse("{bad")->code, "invalid_json");
}

TEST(ChatRequest, TellsWhatTheRequestNeedsOfAModel) {
    const std::string body = R"({"model":"m","messages":[
        {"role":"system","content":"You are terse."},
        {"role":"user","content":[{"type":"text","text":"What is in this picture?"},
                                  {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}],
        "tools":[{"type":"function","function":{"name":"f","parameters":{}}}],
        "response_format":{"type":"json_object"}})";
    ChatRequest r;
    ASSERT_FALSE(parse_chat_request(body, r));
    EXPECT_TRUE(r.wants_tools);
    EXPECT_TRUE(r.has_images);
    EXPECT_TRUE(r.json_mode);
    EXPECT_EQ(r.image_count, 1u);
    EXPECT_GT(r.estimated_prompt_tokens, 1100u);  // the image budget, plus the text
    EXPECT_LT(r.estimated_prompt_tokens, 1200u);

    ChatRequest plain;
    ASSERT_FALSE(parse_chat_request(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[],)"
                                    R"("response_format":{"type":"text"}})",
                                    plain));
    EXPECT_FALSE(plain.wants_tools);
    EXPECT_FALSE(plain.has_images);
    EXPECT_FALSE(plain.json_mode);
}

TEST(ChatRequest, EstimatesPromptTokensFromTextLength) {
    const std::string text(40000, 'a');  // ~10 000 tokens
    ChatRequest r;
    ASSERT_FALSE(
        parse_chat_request(R"({"model":"m","messages":[{"role":"user","content":")" + text + "\"}]}", r));
    EXPECT_NEAR(r.estimated_prompt_tokens, 10000.0, 50.0);
}
