// Upstream answers and stream events with any one field set to null, to a value of the wrong type, or left
// out: a translator must never throw on them (an exception would cut the client's stream at the server's
// catch-all, with no error event and no failure for the breaker), and what it sends the client must stay well
// formed. Every field of a realistic answer and stream of each translating protocol is tried, one at a time.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "gaterouter/providers/anthropic_protocol.hpp"
#include "gaterouter/providers/gemini_protocol.hpp"
#include "protocol_fixture.hpp"

namespace gaterouter::providers {
namespace {

using nlohmann::json;

struct Event {
    std::string name;  // the SSE event name; empty for none
    json data;
};

// Every value below the root, by its JSON pointer.
void paths_of(const json& value, const json::json_pointer& at, std::vector<json::json_pointer>& out) {
    if (value.is_object()) {
        for (const auto& [key, member] : value.items()) {
            out.push_back(at / key);
            paths_of(member, at / key, out);
        }
    } else if (value.is_array()) {
        for (std::size_t i = 0; i < value.size(); ++i) {
            out.push_back(at / i);
            paths_of(value[i], at / i, out);
        }
    }
}

// The variants of `doc` with the value at `path` replaced by each wrong kind of value, or removed.
std::vector<json> mutations(const json& doc, const json::json_pointer& path) {
    std::vector<json> out;
    for (const json& wrong : {json(nullptr), json(5), json(-1), json(1e300), json("x"), json::array(),
                              json::object(), json(true)}) {
        json m = doc;
        m[path] = wrong;
        out.push_back(std::move(m));
    }
    json removed = doc;
    if (removed[path.parent_pointer()].is_object()) {
        removed[path.parent_pointer()].erase(path.back());
    } else {
        removed[path.parent_pointer()].erase(std::stoul(path.back()));
    }
    out.push_back(std::move(removed));
    return out;
}

std::string sse_of(const std::vector<Event>& events) {
    std::string sse;
    for (const Event& e : events) {
        if (!e.name.empty()) sse += "event: " + e.name + "\n";
        sse += "data: " + e.data.dump() + "\n\n";
    }
    return sse;
}

// What reaches the client is JSON objects, then at most one [DONE], last; a finished stream ended with [DONE]
// or an error event.
void expect_well_formed(const std::vector<std::string>& payloads, bool finished, const std::string& what) {
    for (std::size_t i = 0; i < payloads.size(); ++i) {
        if (payloads[i] == "[DONE]") {
            EXPECT_EQ(i + 1, payloads.size()) << what;
            continue;
        }
        const json chunk = json::parse(payloads[i], nullptr, false);
        EXPECT_TRUE(chunk.is_object()) << what << ": " << payloads[i];
    }
    if (finished) {
        ASSERT_FALSE(payloads.empty()) << what;
        EXPECT_TRUE(payloads.back() == "[DONE]" ||
                    json::parse(payloads.back(), nullptr, false).contains("error"))
            << what << ": " << payloads.back();
    }
}

void mutate_stream(const ChatProtocol& protocol, const fixture::ProtocolFixture& f,
                   const std::vector<Event>& events) {
    std::size_t tried = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
        std::vector<json::json_pointer> paths;
        paths_of(events[i].data, json::json_pointer(), paths);
        for (const auto& path : paths) {
            for (json& mutated : mutations(events[i].data, path)) {
                std::vector<Event> changed = events;
                changed[i].data = std::move(mutated);
                const std::string what = "event " + std::to_string(i) + " " + path.to_string() + " = " +
                                         changed[i].data.dump().substr(0, 200);
                for (const bool include_usage : {false, true}) {
                    bool finished = false;
                    std::vector<std::string> payloads;
                    EXPECT_NO_THROW(payloads = f.stream(protocol, sse_of(changed), include_usage, &finished))
                        << what;
                    expect_well_formed(payloads, finished, what);
                }
                ++tried;
            }
        }
    }
    EXPECT_GT(tried, 100U);
}

void mutate_answer(const ChatProtocol& protocol, const fixture::ProtocolFixture& f, const json& answer) {
    std::vector<json::json_pointer> paths;
    paths_of(answer, json::json_pointer(), paths);
    ASSERT_TRUE(protocol.translate_response(answer.dump(), f.model)) << "the unchanged answer translates";
    for (const auto& path : paths) {
        for (const json& mutated : mutations(answer, path)) {
            std::optional<std::string> out;
            EXPECT_NO_THROW(out = protocol.translate_response(mutated.dump(), f.model)) << mutated.dump();
            if (out) {
                EXPECT_TRUE(json::parse(*out, nullptr, false).is_object()) << mutated.dump();
            }
        }
    }
}

const std::vector<Event> kAnthropicStream = {
    {"message_start",
     {{"type", "message_start"},
      {"message",
       {{"id", "msg_1"},
        {"type", "message"},
        {"role", "assistant"},
        {"model", "claude"},
        {"content", json::array()},
        {"stop_reason", nullptr},
        {"usage", {{"input_tokens", 10}, {"output_tokens", 1}, {"cache_read_input_tokens", 2}}}}}}},
    {"ping", {{"type", "ping"}}},
    {"content_block_start",
     {{"type", "content_block_start"},
      {"index", 0},
      {"content_block", {{"type", "thinking"}, {"thinking", ""}, {"signature", ""}}}}},
    {"content_block_delta",
     {{"type", "content_block_delta"},
      {"index", 0},
      {"delta", {{"type", "thinking_delta"}, {"thinking", "hm"}}}}},
    {"content_block_delta",
     {{"type", "content_block_delta"},
      {"index", 0},
      {"delta", {{"type", "signature_delta"}, {"signature", "s"}}}}},
    {"content_block_stop", {{"type", "content_block_stop"}, {"index", 0}}},
    {"content_block_start",
     {{"type", "content_block_start"}, {"index", 1}, {"content_block", {{"type", "text"}, {"text", ""}}}}},
    {"content_block_delta",
     {{"type", "content_block_delta"}, {"index", 1}, {"delta", {{"type", "text_delta"}, {"text", "Hi"}}}}},
    {"content_block_stop", {{"type", "content_block_stop"}, {"index", 1}}},
    {"content_block_start",
     {{"type", "content_block_start"},
      {"index", 2},
      {"content_block",
       {{"type", "tool_use"}, {"id", "toolu_1"}, {"name", "f"}, {"input", json::object()}}}}},
    {"content_block_delta",
     {{"type", "content_block_delta"},
      {"index", 2},
      {"delta", {{"type", "input_json_delta"}, {"partial_json", "{\"a\":1}"}}}}},
    {"content_block_stop", {{"type", "content_block_stop"}, {"index", 2}}},
    {"message_delta",
     {{"type", "message_delta"},
      {"delta", {{"stop_reason", "tool_use"}, {"stop_sequence", nullptr}}},
      {"usage", {{"output_tokens", 5}}}}},
    {"message_stop", {{"type", "message_stop"}}},
};

const std::vector<Event> kGeminiStream = {
    {"",
     {{"candidates",
       json::array(
           {{{"content", {{"role", "model"}, {"parts", json::array({{{"text", "hm"}, {"thought", true}}})}}},
             {"index", 0}}})},
      {"usageMetadata", {{"promptTokenCount", 10}, {"candidatesTokenCount", 1}, {"totalTokenCount", 11}}},
      {"modelVersion", "gemini"},
      {"responseId", "r1"}}},
    {"",
     {{"candidates",
       json::array(
           {{{"content", {{"role", "model"}, {"parts", json::array({{{"text", "Hi"}}})}}}, {"index", 0}}})},
      {"responseId", "r1"}}},
    {"",
     {{"candidates",
       json::array({{{"content",
                      {{"role", "model"},
                       {"parts", json::array({{{"functionCall", {{"name", "f"}, {"args", {{"a", 1}}}}}}})}}},
                     {"finishReason", "STOP"},
                     {"index", 0}}})},
      {"usageMetadata",
       {{"promptTokenCount", 10},
        {"candidatesTokenCount", 5},
        {"thoughtsTokenCount", 2},
        {"cachedContentTokenCount", 3},
        {"totalTokenCount", 17}}},
      {"responseId", "r1"}}},
};

TEST(UpstreamFieldMutation, AnthropicStreamEventsNeverThrow) {
    const fixture::ProtocolFixture f{"anthropic", "/v1", "claude"};
    mutate_stream(AnthropicProtocol(), f, kAnthropicStream);
}

TEST(UpstreamFieldMutation, GeminiStreamEventsNeverThrow) {
    const fixture::ProtocolFixture f{"gemini", "/v1beta", "gemini"};
    mutate_stream(GeminiProtocol(), f, kGeminiStream);
}

TEST(UpstreamFieldMutation, AnthropicAnswersNeverThrow) {
    const fixture::ProtocolFixture f{"anthropic", "/v1", "claude"};
    mutate_answer(
        AnthropicProtocol(), f,
        {{"id", "msg_1"},
         {"type", "message"},
         {"role", "assistant"},
         {"model", "claude"},
         {"content",
          json::array({{{"type", "thinking"}, {"thinking", "hm"}, {"signature", "s"}},
                       {{"type", "text"}, {"text", "Hi"}},
                       {{"type", "tool_use"}, {"id", "t1"}, {"name", "f"}, {"input", {{"a", 1}}}}})},
         {"stop_reason", "tool_use"},
         {"stop_sequence", nullptr},
         {"usage", {{"input_tokens", 10}, {"output_tokens", 5}, {"cache_read_input_tokens", 2}}}});
}

TEST(UpstreamFieldMutation, GeminiAnswersNeverThrow) {
    const fixture::ProtocolFixture f{"gemini", "/v1beta", "gemini"};
    json answer = kGeminiStream[2].data;
    answer["candidates"][0]["content"]["parts"].push_back({{"text", "Hi"}});
    answer["candidates"][0]["content"]["parts"].push_back({{"text", "hm"}, {"thought", true}});
    answer["modelVersion"] = "gemini";
    mutate_answer(GeminiProtocol(), f, answer);
}

}  // namespace
}  // namespace gaterouter::providers
