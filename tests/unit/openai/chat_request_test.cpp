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

TEST(ChatRequest, RefusesDuplicateKeys) {
    // The last "model" would win for auth, routing and price while both went upstream.
    for (const char* body : {R"({"model":"cheap","messages":[{"role":"user"}],"model":"dear"})",
                             R"({"model":"m","messages":[{"role":"user","role":"system"}]})",
                             R"({"model":"m","messages":[{"role":"user"}],"stream":true,"stream":false})"}) {
        const auto err = parse(body);
        ASSERT_TRUE(err) << body;
        EXPECT_EQ(err->status, 400u);
        EXPECT_EQ(err->code, "duplicate_key") << body;
    }
}

TEST(ChatRequest, ChecksTypesAndRangesOfTheParametersItForwards) {
    struct Case {
        const char* extra;
        const char* param;
        const char* code;
    };
    const Case cases[] = {
        {R"("n":-1)", "n", "invalid_value"},
        {R"("n":0)", "n", "invalid_value"},
        {R"("n":100000)", "n", "invalid_value"},
        {R"("n":1.5)", "n", "invalid_type"},
        {R"("temperature":"hot")", "temperature", "invalid_type"},
        {R"("temperature":3)", "temperature", "invalid_value"},
        {R"("top_p":1.5)", "top_p", "invalid_value"},
        {R"("presence_penalty":-3)", "presence_penalty", "invalid_value"},
        {R"("frequency_penalty":"x")", "frequency_penalty", "invalid_type"},
        {R"("top_logprobs":21)", "top_logprobs", "invalid_value"},
        {R"("seed":1.5)", "seed", "invalid_type"},
        {R"("logprobs":"yes")", "logprobs", "invalid_type"},
        {R"("parallel_tool_calls":1)", "parallel_tool_calls", "invalid_type"},
        {R"("stop":5)", "stop", "invalid_type"},
        {R"("stop":["a",5])", "stop[1]", "invalid_type"},
    };
    for (const auto& c : cases) {
        const std::string body = std::string(R"({"model":"m","messages":[{"role":"user"}],)") + c.extra + "}";
        const auto err = parse(body);
        ASSERT_TRUE(err) << body;
        EXPECT_EQ(err->status, 400u);
        EXPECT_EQ(err->param, c.param) << body;
        EXPECT_EQ(err->code, c.code) << body;
    }
    ChatRequest r;
    ASSERT_FALSE(parse_chat_request(R"({"model":"m","messages":[{"role":"user"}],"n":128,"temperature":0.7,)"
                                    R"("top_p":1,"seed":-4,"stop":["a"],"logprobs":true,"top_logprobs":20})",
                                    r));
    EXPECT_EQ(r.choices, 128u);
}

TEST(ChatRequest, ChecksEachMessagesRoleAndContent) {
    const auto wizard = parse(R"({"model":"m","messages":[{"role":"wizard","content":"hi"}]})");
    ASSERT_TRUE(wizard);
    EXPECT_EQ(wizard->param, "messages[0].role");
    EXPECT_EQ(wizard->code, "invalid_value");
    const auto five =
        parse(R"({"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":5}]})");
    ASSERT_TRUE(five);
    EXPECT_EQ(five->param, "messages[1].content");
    EXPECT_EQ(five->code, "invalid_type");
    for (const char* role : {"system", "developer", "user", "assistant", "tool", "function"}) {
        const std::string body =
            std::string(R"({"model":"m","messages":[{"role":")") + role + R"(","content":null}]})";
        EXPECT_FALSE(parse(body)) << role;
    }
}

TEST(ChatRequest, KeepsANullStreamOptionsSoTheGatewaysOwnReplacesIt) {
    ChatRequest r;
    ASSERT_FALSE(parse_chat_request(
        R"({"model":"m","messages":[{"role":"user"}],"stream":true,"stream_options":null})", r));
    ASSERT_TRUE(r.stream_options);
    EXPECT_EQ(r.stream_options->raw, "null");
    EXPECT_FALSE(r.include_usage);
}

TEST(ChatRequest, BoundsThePromptsTokensAtOnePerByte) {
    const std::string text(40000, 'a');
    ChatRequest r;
    ASSERT_FALSE(
        parse_chat_request(R"({"model":"m","messages":[{"role":"user","content":")" + text + "\"}]}", r));
    EXPECT_GE(r.max_prompt_tokens, 40000u);
    EXPECT_LT(r.max_prompt_tokens, 40100u);
    EXPECT_GE(r.max_prompt_tokens, r.estimated_prompt_tokens);
}
