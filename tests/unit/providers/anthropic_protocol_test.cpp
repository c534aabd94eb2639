// Fixtures modelled on the examples of Anthropic's Messages API reference.
#include "gaterouter/providers/anthropic_protocol.hpp"

#include <gtest/gtest.h>

#include "protocol_fixture.hpp"

using namespace gaterouter;
using namespace gaterouter::providers;
using nlohmann::json;

namespace {

struct AnthropicTest : ::testing::Test {
    fixture::ProtocolFixture f{"anthropic", "/v1", "claude-sonnet-4-5"};
    AnthropicProtocol protocol;
};

}  // namespace

TEST_F(AnthropicTest, BuildsAMessagesRequest) {
    const json in = {
        {"model", "public-model"},
        {"messages",
         {{{"role", "system"}, {"content", "Be brief."}},
          {{"role", "user"},
           {"content",
            {{{"type", "text"}, {"text", "What is this?"}},
             {{"type", "image_url"}, {"image_url", {{"url", "data:image/png;base64,iVBORw0KGgo="}}}},
             {{"type", "image_url"}, {"image_url", {{"url", "https://example.com/cat.jpg"}}}}}}}}},
        {"temperature", 0.2},
        {"stop", "END"},
        {"max_tokens", 300}};
    const auto req = f.build(protocol, in);
    EXPECT_EQ(req.target(), "/v1/messages");
    EXPECT_EQ(req["x-api-key"], "secret-key");
    EXPECT_EQ(req["anthropic-version"], "2023-06-01");
    EXPECT_EQ(req.find(http::bhttp::field::authorization), req.end());
    const json body = json::parse(req.body());
    EXPECT_EQ(body["model"], "claude-sonnet-4-5");
    EXPECT_EQ(body["system"], "Be brief.");
    EXPECT_EQ(body["max_tokens"], 300);
    EXPECT_EQ(body["stop_sequences"], json::array({"END"}));
    ASSERT_EQ(body["messages"].size(), 1u);
    const json& blocks = body["messages"][0]["content"];
    EXPECT_EQ(blocks[0], (json{{"type", "text"}, {"text", "What is this?"}}));
    EXPECT_EQ(blocks[1]["source"],
              (json{{"type", "base64"}, {"media_type", "image/png"}, {"data", "iVBORw0KGgo="}}));
    EXPECT_EQ(blocks[2]["source"], (json{{"type", "url"}, {"url", "https://example.com/cat.jpg"}}));
}

TEST_F(AnthropicTest, SuppliesMaxTokensWhenTheClientDidNot) {
    const auto req =
        f.build(protocol, {{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}});
    EXPECT_EQ(json::parse(req.body())["max_tokens"], AnthropicProtocol::kDefaultMaxTokens);
}

TEST_F(AnthropicTest, TranslatesToolsAndAToolRoundTrip) {
    const json in = {
        {"model", "m"},
        {"tools",
         {{{"type", "function"},
           {"function",
            {{"name", "get_weather"},
             {"description", "Weather by city"},
             {"parameters", {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}}}}}}}},
        {"tool_choice", "required"},
        {"parallel_tool_calls", false},
        {"messages",
         {{{"role", "user"}, {"content", "Weather in Paris and Rome?"}},
          {{"role", "assistant"},
           {"content", nullptr},
           {"gaterouter",
            {{"thinking_blocks",
              {{{"type", "thinking"}, {"thinking", "Two cities."}, {"signature", "sig=="}}}}}},
           {"tool_calls",
            {{{"id", "toolu_1"},
              {"type", "function"},
              {"function", {{"name", "get_weather"}, {"arguments", R"({"city":"Paris"})"}}}},
             {{"id", "toolu_2"},
              {"type", "function"},
              {"function", {{"name", "get_weather"}, {"arguments", R"({"city":"Rome"})"}}}}}}},
          {{"role", "tool"}, {"tool_call_id", "toolu_1"}, {"content", "18C"}},
          {{"role", "tool"}, {"tool_call_id", "toolu_2"}, {"content", "24C"}}}}};
    const json body = json::parse(f.build(protocol, in).body());
    EXPECT_EQ(body["tools"][0]["name"], "get_weather");
    EXPECT_EQ(body["tools"][0]["input_schema"]["properties"]["city"]["type"], "string");
    EXPECT_EQ(body["tool_choice"], (json{{"type", "any"}, {"disable_parallel_tool_use", true}}));
    ASSERT_EQ(body["messages"].size(), 3u);
    const json& assistant = body["messages"][1]["content"];
    EXPECT_EQ(assistant[0],
              (json{{"type", "thinking"}, {"thinking", "Two cities."}, {"signature", "sig=="}}));
    EXPECT_EQ(assistant[1], (json{{"type", "tool_use"},
                                  {"id", "toolu_1"},
                                  {"name", "get_weather"},
                                  {"input", {{"city", "Paris"}}}}));
    const json& results = body["messages"][2];
    EXPECT_EQ(results["role"], "user");
    ASSERT_EQ(results["content"].size(), 2u);  // both tool results in one user turn
    EXPECT_EQ(results["content"][1],
              (json{{"type", "tool_result"}, {"tool_use_id", "toolu_2"}, {"content", "24C"}}));
}

TEST_F(AnthropicTest, SaysJsonModeInTheSystemPrompt) {
    const json body = json::parse(f.build(protocol, {{"model", "m"},
                                                     {"response_format", {{"type", "json_object"}}},
                                                     {"messages", {{{"role", "user"}, {"content", "x"}}}}})
                                      .body());
    EXPECT_NE(body["system"].get<std::string>().find("JSON"), std::string::npos);
}

TEST_F(AnthropicTest, TranslatesAResponseWithThinkingAndToolUse) {
    const std::string upstream = R"({
      "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
      "content": [
        {"type": "thinking", "thinking": "Need the weather.", "signature": "EqQBCgIYAhIM"},
        {"type": "text", "text": "Let me check."},
        {"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {"city": "Paris"}}
      ],
      "stop_reason": "tool_use", "stop_sequence": null,
      "usage": {"input_tokens": 100, "output_tokens": 40, "cache_read_input_tokens": 20, "cache_creation_input_tokens": 5}
    })";
    const json out = json::parse(protocol.translate_response(upstream, f.model).value());
    EXPECT_EQ(out["object"], "chat.completion");
    EXPECT_EQ(out["id"], "msg_01");
    const json& choice = out["choices"][0];
    EXPECT_EQ(choice["finish_reason"], "tool_calls");
    EXPECT_EQ(choice["message"]["content"], "Let me check.");
    EXPECT_EQ(choice["message"]["tool_calls"][0]["id"], "toolu_01A");
    EXPECT_EQ(json::parse(choice["message"]["tool_calls"][0]["function"]["arguments"].get<std::string>()),
              (json{{"city", "Paris"}}));
    EXPECT_EQ(choice["message"]["gaterouter"]["thinking_blocks"][0]["signature"], "EqQBCgIYAhIM");
    EXPECT_EQ(out["usage"]["prompt_tokens"], 125);
    EXPECT_EQ(out["usage"]["completion_tokens"], 40);
    EXPECT_EQ(out["usage"]["prompt_tokens_details"]["cached_tokens"], 20);
}

TEST_F(AnthropicTest, TranslatesTheFullStreamingSequence) {
    const std::string sse =
        "event: message_start\n"
        R"(data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"usage":{"input_tokens":25,"output_tokens":1}}})"
        "\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n"
        "event: content_block_start\n"
        R"(data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"
        "\n\nevent: content_block_delta\n"
        R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}})"
        "\n\nevent: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
        "event: content_block_start\n"
        R"(data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_9","name":"f","input":{}}})"
        "\n\nevent: content_block_delta\n"
        R"(data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}})"
        "\n\nevent: content_block_delta\n"
        R"(data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"1}"}})"
        "\n\nevent: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
        "event: message_delta\n"
        R"(data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":15}})"
        "\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    bool finished = false;
    const auto payloads = f.stream(protocol, sse, true, &finished);
    EXPECT_TRUE(finished);
    ASSERT_FALSE(payloads.empty());
    EXPECT_EQ(payloads.back(), "[DONE]");
    const auto c = fixture::chunks(payloads);
    ASSERT_EQ(c.size(), 7u);
    EXPECT_EQ(c[0]["choices"][0]["delta"]["role"], "assistant");
    EXPECT_EQ(c[0]["object"], "chat.completion.chunk");
    EXPECT_EQ(c[1]["choices"][0]["delta"]["content"], "Hello");
    EXPECT_EQ(c[2]["choices"][0]["delta"]["tool_calls"][0]["id"], "toolu_9");
    EXPECT_EQ(c[2]["choices"][0]["delta"]["tool_calls"][0]["index"], 0);
    EXPECT_EQ(c[3]["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"], "{\"a\":");
    EXPECT_EQ(c[4]["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"], "1}");
    EXPECT_EQ(c[5]["choices"][0]["finish_reason"], "tool_calls");
    EXPECT_TRUE(c[6]["choices"].empty());
    EXPECT_EQ(c[6]["usage"]["prompt_tokens"], 25);
    EXPECT_EQ(c[6]["usage"]["completion_tokens"], 15);
}

TEST_F(AnthropicTest, StreamsThinkingWithItsSignature) {
    const std::string sse =
        R"(data: {"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":1}}})"
        "\n\n"
        R"(data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}})"
        "\n\n"
        R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Hmm"}})"
        "\n\n"
        R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"SIG"}})"
        "\n\n"
        R"(data: {"type":"content_block_stop","index":0})"
        "\n\n"
        R"(data: {"type":"message_stop"})"
        "\n\n";
    const auto c = fixture::chunks(f.stream(protocol, sse, false));
    ASSERT_EQ(c.size(), 3u);  // role, reasoning delta, the finished thinking block; no usage chunk
    EXPECT_EQ(c[1]["choices"][0]["delta"]["reasoning_content"], "Hmm");
    const json& block = c[2]["choices"][0]["delta"]["gaterouter"]["thinking_blocks"][0];
    EXPECT_EQ(block["thinking"], "Hmm");
    EXPECT_EQ(block["signature"], "SIG");
}

TEST_F(AnthropicTest, AnErrorEventEndsTheStreamAsAnError) {
    const std::string sse =
        R"(data: {"type":"message_start","message":{"id":"m","model":"c","usage":{}}})"
        "\n\n"
        "event: error\n"
        R"(data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"
        "\n\n";
    bool finished = false;
    const auto payloads = f.stream(protocol, sse, false, &finished);
    EXPECT_TRUE(finished);
    ASSERT_EQ(payloads.size(), 2u);
    EXPECT_EQ(json::parse(payloads[1])["error"]["message"], "Overloaded");
}

TEST_F(AnthropicTest, NormalisesErrors) {
    const auto overloaded = protocol.translate_error(
        529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})", f.model);
    EXPECT_EQ(overloaded.status, 503u);
    EXPECT_EQ(overloaded.code, "upstream_overloaded");
    const auto too_long = protocol.translate_error(
        400,
        R"({"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}})",
        f.model);
    EXPECT_EQ(too_long.status, 400u);
    EXPECT_EQ(too_long.code, "context_length_exceeded");
    const auto limited = protocol.translate_error(
        429, R"({"type":"error","error":{"type":"rate_limit_error","message":"Slow down"}})", f.model);
    EXPECT_EQ(limited.status, 429u);
    EXPECT_EQ(limited.type, "rate_limit_error");
    EXPECT_EQ(
        protocol
            .translate_error(401, R"({"type":"error","error":{"type":"authentication_error","message":"x"}})",
                             f.model)
            .status,
        502u);
}

TEST_F(AnthropicTest, AnAnswerThatIsNotAJsonObjectIsAFailureNotAnEmptySuccess) {
    EXPECT_FALSE(protocol.translate_response("upstream connect error", f.model));
    EXPECT_FALSE(protocol.translate_response("\"text\"", f.model));
}

TEST_F(AnthropicTest, ATruncatedEventFailsTheStream) {
    bool finished = true;
    const auto payloads =
        f.stream(protocol,
                 "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":"
                 "\"m1\",\"usage\":{\"input_tokens\":3}}}\n\nevent: content_block_delta\ndata: "
                 "{\"type\":\"content_block_del",
                 true, &finished);
    EXPECT_FALSE(finished);
    EXPECT_TRUE(payloads.empty() || payloads.back() != "[DONE]");
}
