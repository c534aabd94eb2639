#pragma once
// A wire protocol the simulator speaks: how it reads a chat request and how it writes the answer, whole or
// streamed. One class per protocol (OpenAI, Anthropic, Gemini); the serving logic is shared.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gaterouter/http/message.hpp"

namespace gaterouter::sim {

// What the simulator needs from a request, whatever its protocol.
struct ChatCall {
    std::string model;
    bool stream = false;
    bool include_usage = false;
    std::optional<int> max_tokens;
    std::string tool_name;           // the first tool declared, if any
    bool after_tool_result = false;  // the last turn carries a tool's result
    int prompt_tokens = 1;
};

// The answer to give: text of `words`, or a call of `tool_name` when the request offered tools and is not
// answering one already (so a client can test a whole tool round trip).
struct Answer {
    std::string id;
    std::string model;
    std::vector<std::string> words;
    std::string tool_name;   // non-empty: answer with a tool call
    bool truncated = false;  // capped by max_tokens
    bool include_usage = false;
    int prompt_tokens = 0;
    int completion_tokens = 0;
    std::optional<bool> correct;  // the correctness feature's verdict, sent as x-sim-correct
};

struct StreamPlan {
    std::vector<std::string> events;  // complete SSE events, in order
    std::size_t first_content = 0;    // events before this go out at once
    std::size_t content_count = 0;    // content events: paced by ttft_ms and token_interval_ms
};

class Dialect {
  public:
    virtual ~Dialect() = default;
    // Reads `request`; false with `error` set when it is not a valid chat request.
    virtual bool read(const http::Request& request, ChatCall& call, std::string& error) const = 0;
    // The text parts of the request's last user message, concatenated; empty when there is none. Only the
    // correctness feature asks, so the request path reads it only when that is configured.
    virtual std::string last_user_text(const http::Request& request) const = 0;
    virtual std::string whole(const Answer& answer) const = 0;
    virtual StreamPlan stream(const Answer& answer) const = 0;
    virtual std::string error_body(unsigned status, std::string_view message) const = 0;
};

std::unique_ptr<Dialect> make_openai_dialect();
std::unique_ptr<Dialect> make_anthropic_dialect();
std::unique_ptr<Dialect> make_gemini_dialect();

// The text of an answer's words, prefixed with the model's name so tests can see who answered.
std::string answer_text(const Answer& answer);

}  // namespace gaterouter::sim
