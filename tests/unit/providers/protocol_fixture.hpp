#pragma once
// Shared set-up for the protocol tests: a provider and model to translate for, and helpers to run a request
// or a recorded stream through a protocol.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "gaterouter/providers/chat_protocol.hpp"

namespace gaterouter::providers::fixture {

struct ProtocolFixture {
    catalog::Provider provider;
    catalog::Model model;

    ProtocolFixture(const std::string& kind, const std::string& base_path,
                    const std::string& upstream_model) {
        provider.name = kind + "-test";
        provider.kind = kind;
        provider.endpoint = {true, "api.example.com", 443, base_path};
        provider.api_key = "secret-key";
        model.id = "public-model";
        model.provider = &provider;
        model.upstream_model = upstream_model;
    }

    // The upstream request `protocol` builds for an OpenAI request body.
    http::Request build(const ChatProtocol& protocol, const nlohmann::json& openai_body) const {
        std::string body = openai_body.dump();
        openai::ChatRequest view;
        const auto error = openai::parse_chat_request(body, view);
        if (error) throw std::runtime_error(error->message);
        return protocol.build_request(view, body, model);
    }

    // Feeds SSE bytes through the protocol's stream translator; returns the data payloads sent to the client.
    std::vector<std::string> stream(const ChatProtocol& protocol, const std::string& sse, bool include_usage,
                                    bool* finished = nullptr) const {
        auto translator = protocol.stream_translator(model, StreamOptions{include_usage});
        http::SseParser parser;
        std::string out;
        const http::SseParser::EventFn on = [&](const http::SseEvent& e) {
            return translator->on_event(e, out);
        };
        if (parser.feed(sse, on) && parser.finish(on)) translator->on_end(out);
        if (finished != nullptr) *finished = translator->finished();
        std::vector<std::string> payloads;
        http::SseParser client;
        client.feed(out, [&](const http::SseEvent& e) {
            payloads.emplace_back(e.data);
            return true;
        });
        return payloads;
    }
};

// The parsed chunks of a stream, [DONE] left out.
inline std::vector<nlohmann::json> chunks(const std::vector<std::string>& payloads) {
    std::vector<nlohmann::json> out;
    for (const auto& p : payloads) {
        if (p != "[DONE]") out.push_back(nlohmann::json::parse(p));
    }
    return out;
}

}  // namespace gaterouter::providers::fixture
