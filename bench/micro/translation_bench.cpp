// Micro-benchmarks of the per-request work the gateway adds: reading a request, building the upstream request
// for each protocol, and translating one stream event. Figures: bench/README.md.
#include <benchmark/benchmark.h>

#include <string>

#include "gaterouter/openai/chat_request.hpp"
#include "gaterouter/providers/anthropic_protocol.hpp"
#include "gaterouter/providers/gemini_protocol.hpp"
#include "gaterouter/providers/openai_protocol.hpp"

using namespace gaterouter;

namespace {

// A typical ~1 KB chat request: a system prompt, a few turns, sampling fields.
std::string request_body() {
    std::string long_turn(600, 'x');
    for (std::size_t i = 0; i < long_turn.size(); i += 7) long_turn[i] = ' ';
    return R"({"model":"public-model","messages":[{"role":"system","content":"You are a helpful assistant that answers briefly."},)"
           R"({"role":"user","content":"What is the capital of France?"},{"role":"assistant","content":"Paris."},)"
           R"({"role":"user","content":")" +
           long_turn + R"("}],"temperature":0.7,"max_tokens":256,"stream":false})";
}

struct Setup {
    catalog::Provider provider;
    catalog::Model model;
    Setup(const char* kind, const char* base_path) {
        provider.name = kind;
        provider.kind = kind;
        provider.endpoint = {true, "api.example.com", 443, base_path};
        provider.api_key = "k";
        model.id = "public-model";
        model.provider = &provider;
        model.upstream_model = "upstream-model";
    }
};

void BM_ParseChatRequest(benchmark::State& state) {
    const std::string body = request_body();
    for (auto _ : state) {
        openai::ChatRequest r;
        benchmark::DoNotOptimize(openai::parse_chat_request(body, r));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_ParseChatRequest);

template <class Protocol>
void build_request(benchmark::State& state, const char* kind, const char* base_path) {
    const Setup s(kind, base_path);
    const Protocol protocol;
    const std::string original = request_body();
    for (auto _ : state) {
        std::string body = original;
        openai::ChatRequest r;
        openai::parse_chat_request(body, r);
        benchmark::DoNotOptimize(protocol.build_request(r, body, s.model));
    }
}
void BM_BuildRequest(benchmark::State& state, int protocol) {
    if (protocol == 0) build_request<providers::OpenAiProtocol>(state, "openai", "/v1");
    if (protocol == 1) build_request<providers::AnthropicProtocol>(state, "anthropic", "/v1");
    if (protocol == 2) build_request<providers::GeminiProtocol>(state, "gemini", "/v1beta");
}
BENCHMARK_CAPTURE(BM_BuildRequest, openai, 0);
BENCHMARK_CAPTURE(BM_BuildRequest, anthropic, 1);
BENCHMARK_CAPTURE(BM_BuildRequest, gemini, 2);

template <class Protocol>
void stream_event(benchmark::State& state, const char* kind, const char* event_name, const char* data) {
    const Setup s(kind, "/v1");
    const Protocol protocol;
    auto translator = protocol.stream_translator(s.model, providers::StreamOptions{true});
    std::string out;
    const http::SseEvent event{event_name, data};
    for (auto _ : state) {
        out.clear();
        translator->on_event(event, out);
        benchmark::DoNotOptimize(out);
    }
}
void BM_StreamEvent(benchmark::State& state, int protocol) {
    if (protocol == 0) {
        stream_event<providers::OpenAiProtocol>(
            state, "openai", "",
            R"({"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" token"},"finish_reason":null}]})");
    }
    if (protocol == 1) {
        stream_event<providers::AnthropicProtocol>(
            state, "anthropic", "content_block_delta",
            R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" token"}})");
    }
    if (protocol == 2) {
        stream_event<providers::GeminiProtocol>(
            state, "gemini", "",
            R"({"candidates":[{"content":{"parts":[{"text":" token"}],"role":"model"},"index":0}],"modelVersion":"g","responseId":"r"})");
    }
}
BENCHMARK_CAPTURE(BM_StreamEvent, openai, 0);
BENCHMARK_CAPTURE(BM_StreamEvent, anthropic, 1);
BENCHMARK_CAPTURE(BM_StreamEvent, gemini, 2);

}  // namespace
