#include "gaterouter/providers/openai_protocol.hpp"

#include <gtest/gtest.h>

#include "gaterouter/openai/completion.hpp"
#include "protocol_fixture.hpp"

using namespace gaterouter;
using namespace gaterouter::providers;
using nlohmann::json;

TEST(OpenAiProtocol, ChangesOnlyTheModelName) {
    fixture::ProtocolFixture f{"openai", "/v1", "gpt-4o-2024-08-06"};
    const OpenAiProtocol protocol;
    const std::string original =
        R"({"model":"public-model", "messages":[{"role":"user","content":"hi"}],"x":[1,2]})";
    std::string body = original;
    openai::ChatRequest view;
    ASSERT_FALSE(openai::parse_chat_request(body, view));
    const auto req = protocol.build_request(view, body, f.model);
    EXPECT_EQ(req.target(), "/v1/chat/completions");
    EXPECT_EQ(req[http::bhttp::field::authorization], "Bearer secret-key");
    EXPECT_EQ(req.body(),
              R"({"model":"gpt-4o-2024-08-06", "messages":[{"role":"user","content":"hi"}],"x":[1,2]})");
}

TEST(OpenAiProtocol, SpeaksAzureDeployments) {
    fixture::ProtocolFixture f{"azure", "/openai", "my-gpt4o-deployment"};
    const OpenAiProtocol protocol(OpenAiProtocol::Azure{"2024-10-21"});
    const auto req =
        f.build(protocol, {{"model", "public-model"}, {"messages", {{{"role", "user"}, {"content", "x"}}}}});
    EXPECT_EQ(req.target(),
              "/openai/deployments/my-gpt4o-deployment/chat/completions?api-version=2024-10-21");
    EXPECT_EQ(req["api-key"], "secret-key");
    EXPECT_EQ(req.find(http::bhttp::field::authorization), req.end());
}

TEST(OpenAiProtocol, RelaysStreamEventsAndSeesTheEnd) {
    fixture::ProtocolFixture f{"openai", "/v1", "m"};
    const OpenAiProtocol protocol;
    bool finished = false;
    const auto payloads = f.stream(protocol, "data: {\"a\":1}\n\ndata: [DONE]\n\n", false, &finished);
    EXPECT_TRUE(finished);
    EXPECT_EQ(payloads, (std::vector<std::string>{"{\"a\":1}", "[DONE]"}));
    EXPECT_FALSE(protocol
                     .translate_error(
                         400, R"({"error":{"code":"context_length_exceeded","message":"too long"}})", f.model)
                     .retryable());
}

TEST(OpenAiProtocol, BuildsFromACopyOfTheBodyForAFailover) {
    fixture::ProtocolFixture f{"openai", "/v1", "fallback-upstream"};
    const OpenAiProtocol protocol;
    const std::string original = R"({"model":"public-model","messages":[{"role":"user","content":"hi"}]})";
    openai::ChatRequest view;
    ASSERT_FALSE(openai::parse_chat_request(original, view));
    std::string copy = original;  // the view still points into `original`
    const auto req = protocol.build_request(view, copy, f.model);
    EXPECT_EQ(req.body(), R"({"model":"fallback-upstream","messages":[{"role":"user","content":"hi"}]})");
}

TEST(OpenAiProtocol, ReplacesANullStreamOptionsInsteadOfSendingTwo) {
    fixture::ProtocolFixture f{"openai", "/v1", "m"};
    const OpenAiProtocol protocol;
    const std::string body =
        R"({"model":"public-model","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":null})";
    std::string copy = body;
    openai::ChatRequest view;
    ASSERT_FALSE(openai::parse_chat_request(copy, view));
    const json sent = json::parse(protocol.build_request(view, copy, f.model).body());
    EXPECT_EQ(sent["stream_options"]["include_usage"], true);
    const std::string text = protocol.build_request(view, copy, f.model).body();
    EXPECT_EQ(text.find("stream_options"), text.rfind("stream_options"));  // once only
}

TEST(OpenAiProtocol, AnAnswerOrEventThatIsNotAJsonObjectIsAFailure) {
    fixture::ProtocolFixture f{"openai", "/v1", "m"};
    const OpenAiProtocol protocol;
    // Relayed as it came; the one scan of the answer, which also reads its usage, finds it is no answer.
    const auto relayed = protocol.translate_response("<html>502</html>", f.model);
    ASSERT_TRUE(relayed);
    EXPECT_FALSE(openai::read_answer_usage(*relayed).is_object);
    EXPECT_TRUE(openai::read_answer_usage(R"({"id":"x"})").is_object);
    EXPECT_FALSE(openai::read_answer_usage(R"({"id":"x"})").usage);
    bool finished = true;
    const auto payloads = f.stream(protocol, "data: {\"a\":1}\n\ndata: {\"choi", false, &finished);
    EXPECT_FALSE(finished);
    EXPECT_TRUE(payloads.empty() || payloads.back() != "[DONE]");
}
