// Fixtures modelled on the examples of the Gemini API reference (generateContent, streamGenerateContent).
#include "gaterouter/providers/gemini_protocol.hpp"

#include <gtest/gtest.h>

#include "protocol_fixture.hpp"

using namespace gaterouter;
using namespace gaterouter::providers;
using nlohmann::json;

namespace {

struct GeminiTest : ::testing::Test {
    fixture::ProtocolFixture f{"gemini", "/v1beta", "gemini-2.5-flash"};
    GeminiProtocol protocol;
};

}  // namespace

TEST_F(GeminiTest, BuildsAGenerateContentRequest) {
    const json in = {
        {"model", "m"},
        {"messages",
         {{{"role", "developer"}, {"content", "Answer in French."}},
          {{"role", "user"},
           {"content",
            {{{"type", "text"}, {"text", "Describe"}},
             {{"type", "image_url"}, {"image_url", {{"url", "data:image/jpeg;base64,/9j/4AAQ"}}}}}}},
          {{"role", "assistant"}, {"content", "Une image."}},
          {{"role", "user"}, {"content", "More"}}}},
        {"temperature", 0.5},
        {"top_p", 0.9},
        {"max_completion_tokens", 100},
        {"stop", {"a", "b"}},
        {"response_format", {{"type", "json_object"}}}};
    const auto req = f.build(protocol, in);
    EXPECT_EQ(req.target(), "/v1beta/models/gemini-2.5-flash:generateContent");
    EXPECT_EQ(req["x-goog-api-key"], "secret-key");
    const json body = json::parse(req.body());
    EXPECT_EQ(body["systemInstruction"]["parts"][0]["text"], "Answer in French.");
    ASSERT_EQ(body["contents"].size(), 3u);
    EXPECT_EQ(body["contents"][0]["role"], "user");
    EXPECT_EQ(body["contents"][0]["parts"][1]["inlineData"],
              (json{{"mimeType", "image/jpeg"}, {"data", "/9j/4AAQ"}}));
    EXPECT_EQ(body["contents"][1]["role"], "model");
    const json& gen = body["generationConfig"];
    EXPECT_EQ(gen["temperature"], 0.5);
    EXPECT_EQ(gen["topP"], 0.9);
    EXPECT_EQ(gen["maxOutputTokens"], 100);
    EXPECT_EQ(gen["stopSequences"], (json{"a", "b"}));
    EXPECT_EQ(gen["responseMimeType"], "application/json");
}

TEST_F(GeminiTest, StreamsToTheSseEndpoint) {
    const auto req = f.build(
        protocol, {{"model", "m"}, {"stream", true}, {"messages", {{{"role", "user"}, {"content", "x"}}}}});
    EXPECT_EQ(req.target(), "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
}

TEST_F(GeminiTest, CarriesToolCallsResultsAndThoughtSignatures) {
    const json in = {
        {"model", "m"},
        {"tools",
         {{{"type", "function"}, {"function", {{"name", "lookup"}, {"parameters", {{"type", "object"}}}}}}}},
        {"tool_choice", {{"type", "function"}, {"function", {{"name", "lookup"}}}}},
        {"messages",
         {{{"role", "user"}, {"content", "Find it"}},
          {{"role", "assistant"},
           {"content", nullptr},
           {"tool_calls",
            {{{"id", "call_7"},
              {"type", "function"},
              {"function", {{"name", "lookup"}, {"arguments", R"({"q":"x"})"}}},
              {"gaterouter", {{"thought_signature", "c2lnbmF0dXJl"}}}}}}},
          {{"role", "tool"}, {"tool_call_id", "call_7"}, {"content", R"({"found":true})"}}}}};
    const json body = json::parse(f.build(protocol, in).body());
    EXPECT_EQ(body["tools"][0]["functionDeclarations"][0]["name"], "lookup");
    EXPECT_EQ(body["toolConfig"]["functionCallingConfig"]["mode"], "ANY");
    EXPECT_EQ(body["toolConfig"]["functionCallingConfig"]["allowedFunctionNames"], json::array({"lookup"}));
    const json& call = body["contents"][1]["parts"][0];
    EXPECT_EQ(call["functionCall"], (json{{"name", "lookup"}, {"args", {{"q", "x"}}}}));
    EXPECT_EQ(call["thoughtSignature"], "c2lnbmF0dXJl");
    const json& result = body["contents"][2]["parts"][0]["functionResponse"];
    EXPECT_EQ(result["name"], "lookup");  // Gemini matches results by name, found from the call's id
    EXPECT_EQ(result["response"], (json{{"found", true}}));
}

TEST_F(GeminiTest, TranslatesAResponse) {
    const std::string upstream = R"({
      "candidates": [{"content": {"role": "model", "parts": [
          {"text": "thinking...", "thought": true},
          {"text": "Checking."},
          {"functionCall": {"name": "lookup", "args": {"q": "x"}}, "thoughtSignature": "U0lH"}]},
        "finishReason": "STOP", "index": 0}],
      "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 8, "thoughtsTokenCount": 4, "totalTokenCount": 24},
      "modelVersion": "gemini-2.5-flash", "responseId": "abc"
    })";
    const json out = json::parse(protocol.translate_response(upstream, f.model).value());
    const json& message = out["choices"][0]["message"];
    EXPECT_EQ(out["choices"][0]["finish_reason"], "tool_calls");
    EXPECT_EQ(message["content"], "Checking.");
    EXPECT_EQ(message["reasoning_content"], "thinking...");
    EXPECT_EQ(message["tool_calls"][0]["function"]["name"], "lookup");
    EXPECT_FALSE(message["tool_calls"][0].contains("index"));
    EXPECT_EQ(message["tool_calls"][0]["gaterouter"]["thought_signature"], "U0lH");
    EXPECT_EQ(out["usage"]["prompt_tokens"], 12);
    EXPECT_EQ(out["usage"]["completion_tokens"], 12);
    EXPECT_EQ(out["usage"]["completion_tokens_details"]["reasoning_tokens"], 4);
}

TEST_F(GeminiTest, MapsSafetyBlocksToContentFilter) {
    const json blocked = json::parse(
        protocol
            .translate_response(
                R"({"candidates":[{"content":{"parts":[]},"finishReason":"SAFETY"}],"usageMetadata":{}})",
                f.model)
            .value());
    EXPECT_EQ(blocked["choices"][0]["finish_reason"], "content_filter");
    const json prompt_blocked = json::parse(
        protocol
            .translate_response(R"({"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{}})", f.model)
            .value());
    EXPECT_EQ(prompt_blocked["choices"][0]["finish_reason"], "content_filter");
}

TEST_F(GeminiTest, TranslatesAStreamAndEndsItAtTheEndOfTheBody) {
    const std::string sse =
        R"(data: {"candidates":[{"content":{"parts":[{"text":"Hel"}],"role":"model"}}],"responseId":"r1","modelVersion":"gemini-2.5-flash"})"
        "\r\n\r\n"
        R"(data: {"candidates":[{"content":{"parts":[{"text":"lo"}],"role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2}})"
        "\r\n\r\n";
    bool finished = false;
    const auto payloads = f.stream(protocol, sse, true, &finished);
    EXPECT_TRUE(finished);
    EXPECT_EQ(payloads.back(), "[DONE]");
    const auto c = fixture::chunks(payloads);
    ASSERT_EQ(c.size(), 5u);
    EXPECT_EQ(c[0]["choices"][0]["delta"]["role"], "assistant");
    EXPECT_EQ(c[1]["choices"][0]["delta"]["content"], "Hel");
    EXPECT_EQ(c[2]["choices"][0]["delta"]["content"], "lo");
    EXPECT_EQ(c[3]["choices"][0]["finish_reason"], "stop");
    EXPECT_EQ(c[4]["usage"]["total_tokens"], 5);
}

TEST_F(GeminiTest, AStreamWithoutFinishReasonWasCutShort) {
    bool finished = true;
    f.stream(protocol,
             R"(data: {"candidates":[{"content":{"parts":[{"text":"Hel"}]}}]})"
             "\n\n",
             false, &finished);
    EXPECT_FALSE(finished);
}

TEST_F(GeminiTest, NormalisesErrors) {
    const auto limited = protocol.translate_error(
        429, R"({"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}})", f.model);
    EXPECT_EQ(limited.status, 429u);
    EXPECT_EQ(limited.code, "rate_limit_exceeded");
    const auto too_long = protocol.translate_error(
        400,
        R"({"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}})",
        f.model);
    EXPECT_EQ(too_long.code, "context_length_exceeded");
    EXPECT_EQ(
        protocol
            .translate_error(403, R"({"error":{"code":403,"message":"denied","status":"PERMISSION_DENIED"}})",
                             f.model)
            .status,
        502u);
}

TEST_F(GeminiTest, AnAnswerThatIsNotAJsonObjectIsAFailureNotAnEmptySuccess) {
    EXPECT_FALSE(protocol.translate_response("<html>Bad gateway</html>", f.model));
    EXPECT_FALSE(protocol.translate_response("[1,2]", f.model));
    EXPECT_FALSE(protocol.translate_response(std::string(100000, '['), f.model));
}

TEST_F(GeminiTest, AStreamOfDeepArgumentsOrATruncatedEventFailsWithoutCrashing) {
    std::string deep = R"(data: {"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":)";
    for (int i = 0; i < 200000; ++i) deep += "{\"a\":";
    deep += "1" + std::string(200000, '}') + "}}]}}]}\n\n";
    bool finished = true;
    f.stream(protocol, deep, true, &finished);
    EXPECT_FALSE(finished);

    finished = true;
    const auto payloads =
        f.stream(protocol,
                 "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hel\"}]}}]}\n\ndata: {\"candid",
                 true, &finished);
    EXPECT_FALSE(finished);
    EXPECT_TRUE(payloads.empty() || payloads.back() != "[DONE]");
}

TEST_F(GeminiTest, BoundsTheTokenCountsAnUpstreamReports) {
    const json out =
        json::parse(protocol
                        .translate_response(R"({"candidates":[{"content":{"parts":[{"text":"x"}]},)"
                                            R"("finishReason":"STOP"}],"usageMetadata":{)"
                                            R"("promptTokenCount":1e15,"candidatesTokenCount":-3}})",
                                            f.model)
                        .value());
    EXPECT_EQ(out["usage"]["prompt_tokens"], openai::kMaxReportedTokens);
    EXPECT_EQ(out["usage"]["completion_tokens"], 0);
}
