#pragma once
// The body of the three protocol targets (openai_protocol, anthropic_protocol, gemini_protocol): every input
// goes through each way a protocol reads bytes it did not write.
// - As an upstream's answer: translate_response, translate_error, translate_embeddings_response, and as an
//   upstream's SSE stream through stream_translator()->on_event / on_end.
// - As a client's chat body that the request view accepted: build_request, which the Anthropic and Gemini
//   protocols translate whole (tool arguments and tool results are JSON inside strings, parsed there).
// Whatever a protocol makes for the client or the upstream must be JSON again, except what it relays as it
// came (the OpenAI protocol's stream events).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "fuzz_model.hpp"
#include "gaterouter/http/sse.hpp"
#include "gaterouter/openai/completion.hpp"
#include "gaterouter/openai/json_scan.hpp"
#include "gaterouter/providers/chat_protocol.hpp"
#include "gaterouter/providers/embeddings_protocol.hpp"

namespace gaterouter::fuzz {

inline bool is_json_object(std::string_view text) {
    openai::JsonSyntaxError ignored;
    const auto root = openai::scan_json(text, ignored);
    return root && root->type == openai::JsonType::object;
}

struct ProtocolUnderTest {
    const providers::ChatProtocol& chat;
    const providers::EmbeddingsProtocol* embeddings;  // null: the protocol has no embeddings API
    const catalog::Model& model;
    bool relays_events;  // stream events and whole answers go to the client as the upstream wrote them
};

inline void translate_stream(const ProtocolUnderTest& p, std::string_view sse, bool include_usage) {
    const auto translator = p.chat.stream_translator(p.model, providers::StreamOptions{include_usage});
    http::SseParser parser;
    std::string out;
    const http::SseParser::EventFn on_event = [&](const http::SseEvent& e) {
        return translator->on_event(e, out);
    };
    if (parser.feed(sse, on_event) && parser.finish(on_event)) translator->on_end(out);
    if (const auto& usage = translator->usage()) {
        FUZZ_CHECK(usage->prompt_tokens >= 0 && usage->prompt_tokens <= 3 * openai::kMaxReportedTokens);
        FUZZ_CHECK(usage->completion_tokens >= 0 &&
                   usage->completion_tokens <= 2 * openai::kMaxReportedTokens);
    }
    if (p.relays_events) return;
    http::SseParser client;
    FUZZ_CHECK(client.feed(out, [](const http::SseEvent& e) {
        FUZZ_CHECK(e.data == "[DONE]" || is_json_object(e.data));
        return true;
    }));
}

// A whole answer as the gateway takes it: what a protocol translated is a JSON object; what it relayed as it
// came is one exactly when the scan that reads its usage says so (that scan is the gateway's only check).
inline void check_answer(const ProtocolUnderTest& p, const std::optional<std::string>& answer) {
    if (!answer) return;
    const bool is_object = is_json_object(*answer);
    FUZZ_CHECK(is_object || p.relays_events);
    FUZZ_CHECK(openai::read_answer_usage(*answer).is_object == is_object);
}

inline void fuzz_protocol(const ProtocolUnderTest& p, const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);

    check_answer(p, p.chat.translate_response(text, p.model));
    // Every status an upstream may fail with; the length of the input picks one.
    const unsigned status = 400 + static_cast<unsigned>(size % 200);
    const openai::ApiError error = p.chat.translate_error(status, text, p.model);
    FUZZ_CHECK(error.status >= 400 && error.status <= 599);
    FUZZ_CHECK(is_json_object(error.body()));
    translate_stream(p, text, size % 2 == 0);

    if (p.embeddings != nullptr) {
        providers::EmbeddingsRequest request;
        request.model = p.model.id;
        request.inputs = {"one", "two"};
        request.base64 = size % 2 == 0;
        check_answer(p, p.embeddings->translate_embeddings_response(text, request, p.model));
    }

    std::string body = text;
    openai::ChatRequest view;
    if (!openai::parse_chat_request(body, view)) {
        const http::Request up = p.chat.build_request(view, body, p.model);
        FUZZ_CHECK(is_json_object(up.body()));
    }
}

}  // namespace gaterouter::fuzz
