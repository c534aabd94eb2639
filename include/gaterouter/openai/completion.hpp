#pragma once
// Builders for OpenAI response bodies, for protocols that must make them from another vendor's answer:
// `chat.completion` objects and `chat.completion.chunk` SSE events.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace gaterouter::openai {

struct Usage {
    std::int64_t prompt_tokens = 0;      // all input tokens, cached ones included
    std::int64_t completion_tokens = 0;  // all output tokens, reasoning ones included
    std::int64_t cached_tokens = 0;      // input tokens read from a cache
    std::int64_t reasoning_tokens = 0;   // output tokens spent thinking
    nlohmann::json to_json() const;
};

// Token counts are bounded where they enter from an upstream: a count that is not a non-negative number reads
// as 0 and one past kMaxReportedTokens as that bound, so neither the counts nor what they cost can overflow
// (an answer that reports more than any model reads or writes is charged as the bound, which closes any
// budget it falls under).
inline constexpr std::int64_t kMaxReportedTokens = 100'000'000;
std::int64_t token_count(const nlohmann::json& usage, std::string_view key);

// The `usage` object of an OpenAI-shaped completion or chunk (`text` is the whole JSON object); nothing when
// it has none (or it is null). Only the usage member is parsed into a tree.
std::optional<Usage> read_usage(std::string_view text);

// A whole answer read once: whether it is a JSON object at all (an answer relayed as the upstream sent it is
// checked here, not scanned twice), and its usage when it reports one.
struct AnswerUsage {
    bool is_object = false;
    std::optional<Usage> usage;
};
AnswerUsage read_answer_usage(std::string_view text);

std::int64_t unix_now();

// A `chat.completion` with one choice made of `message` (an assistant message object).
nlohmann::json completion(std::string_view id, std::string_view model, const nlohmann::json& message,
                          std::string_view finish_reason, const Usage& usage);

// Writes the chunks of one streamed answer; all chunks share the id, model and creation time.
class ChunkWriter {
  public:
    ChunkWriter() = default;
    void identify(std::string id, std::string model);
    // data: {"choices":[{"index":0,"delta":<delta>,"finish_reason":<finish or null>}], ...}\n\n
    void delta(std::string& out, const nlohmann::json& delta, std::string_view finish_reason = {}) const;
    // data: {"choices":[],"usage":{...}}\n\n — the include_usage chunk.
    void usage(std::string& out, const Usage& usage) const;
    static void done(std::string& out) { out.append("data: [DONE]\n\n"); }

  private:
    nlohmann::json base() const;
    std::string id_;
    std::string model_;
    std::int64_t created_ = 0;
};

}  // namespace gaterouter::openai
