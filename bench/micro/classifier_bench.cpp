// Micro-benchmarks of the task classifier: feature extraction, classification of a 2 KB prompt (goal: a
// median under 20 µs), and the whole step from a parsed request, for a 2 KB and a 1 MB prompt (bounded cost).
// Uses the shipped model (data/classifier/model.txt, found beside this source file) when it is there, else a
// model trained here on a few lines. Figures: bench/README.md.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>
#include <vector>

#include "gaterouter/classify/features.hpp"
#include "gaterouter/classify/request_text.hpp"
#include "gaterouter/classify/task_classifier.hpp"
#include "gaterouter/classify/trainer.hpp"

using namespace gaterouter;
using namespace gaterouter::classify;

namespace {

// About 2 KB of ordinary prose and code: a system prompt and a user's request.
const std::string& prompt_2kb() {
    static const std::string text = [] {
        std::string t =
            "You are a senior software engineer helping a small team maintain a web service written in Go "
            "and "
            "TypeScript. Answer precisely, cite the lines you change, and keep explanations short unless "
            "asked.\n"
            "I have a handler that reads a JSON body, validates it against a schema, writes a row to "
            "Postgres and "
            "then publishes an event to a queue. Under load we see timeouts: the p99 latency jumps from 40 "
            "ms to "
            "over two seconds whenever the queue broker restarts, and some requests are processed twice. "
            "Here is "
            "the code:\n\nfunc (h *Handler) Create(w http.ResponseWriter, r *http.Request) {\n"
            "    var req CreateRequest\n    if err := json.NewDecoder(r.Body).Decode(&req); err != nil {\n"
            "        http.Error(w, \"bad request\", http.StatusBadRequest)\n        return\n    }\n"
            "    if err := h.validator.Validate(req); err != nil {\n        http.Error(w, err.Error(), 422)\n"
            "        return\n    }\n    tx, err := h.db.BeginTx(r.Context(), nil)\n    if err != nil { "
            "panic(err) }\n"
            "    id, err := insertOrder(tx, req)\n    if err != nil { tx.Rollback(); http.Error(w, \"db\", "
            "500); "
            "return }\n    if err := h.queue.Publish(\"orders.created\", id); err != nil {\n"
            "        tx.Rollback()\n        http.Error(w, \"queue\", 503)\n        return\n    }\n"
            "    tx.Commit()\n    w.WriteHeader(http.StatusCreated)\n}\n\n"
            "The queue client retries forever with a fixed one second delay, and the database pool has "
            "twenty "
            "connections. What is causing the latency spikes and the duplicate processing? Please suggest a "
            "better design, for example an outbox table, explain the trade-offs against publishing inside "
            "the "
            "transaction, and show the corrected handler with idempotency keys so that a client retry after "
            "a "
            "timeout does not create a second order. Also tell me which metrics I should add to see this "
            "coming.";
        return t;
    }();
    return text;
}

TaskClassifier make_model() {
    const std::filesystem::path shipped =
        std::filesystem::path(__FILE__).parent_path() / "../../data/classifier/model.txt";
    if (std::filesystem::exists(shipped)) return TaskClassifier::load(shipped.string());
    const std::vector<std::pair<TaskType, std::string>> lines = {
        {TaskType::chat, "hello how are you"},
        {TaskType::classification, "classify this review"},
        {TaskType::summarization, "summarize the text"},
        {TaskType::extraction, "extract the email addresses"},
        {TaskType::translation, "translate to french"},
        {TaskType::code, "write a go function and fix the bug"},
        {TaskType::math, "solve the equation"},
        {TaskType::reasoning, "explain the trade-offs"},
        {TaskType::creative, "write a poem"},
    };
    std::vector<TrainingExample> examples;
    for (const auto& [task, text] : lines) examples.push_back({task, extract_features(text)});
    return train(examples, TrainingOptions{});
}

const TaskClassifier& model() {
    static const TaskClassifier m = make_model();
    return m;
}

std::string request_body(const std::string& user_text) {
    return R"({"model":"auto","messages":[{"role":"system","content":"You are a helpful assistant."},)"
           R"({"role":"user","content":)" +
           openai::quote_json(user_text) + R"(}],"max_tokens":800})";
}

void BM_ExtractFeatures(benchmark::State& state) {
    FeatureExtractor extractor;
    const std::string& text = prompt_2kb();
    for (auto _ : state) benchmark::DoNotOptimize(extractor.extract(text).data());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ExtractFeatures);

void BM_Classify2KB(benchmark::State& state) {
    const TaskClassifier& m = model();
    ClassifierInput input;
    input.text = prompt_2kb();
    input.prompt_tokens = static_cast<std::uint32_t>(input.text.size() / 4);
    for (auto _ : state) benchmark::DoNotOptimize(m.classify(input));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.text.size()));
}
BENCHMARK(BM_Classify2KB);

// From a parsed request (parsing itself is BM_ParseChatRequest's): collect the text, then classify.
void classify_request(benchmark::State& state, const std::string& user_text) {
    const TaskClassifier& m = model();
    const std::string body = request_body(user_text);
    openai::ChatRequest request;
    if (openai::parse_chat_request(body, request)) {
        state.SkipWithError("bad request body");
        return;
    }
    std::string text;
    for (auto _ : state) {
        const ClassifierInput input = classifier_input(request, text);
        benchmark::DoNotOptimize(m.classify(input));
    }
}
void BM_ClassifyRequest2KB(benchmark::State& state) {
    classify_request(state, prompt_2kb());
}
BENCHMARK(BM_ClassifyRequest2KB);

void BM_ClassifyRequest1MB(benchmark::State& state) {
    std::string big;
    while (big.size() < (1u << 20)) big += prompt_2kb();
    classify_request(state, big);
}
BENCHMARK(BM_ClassifyRequest1MB);

}  // namespace
