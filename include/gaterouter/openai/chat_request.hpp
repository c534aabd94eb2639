#pragma once
// A read-only view of a Chat Completions request: the fields the gateway decides on, read straight from the
// body's bytes (which must outlive the view). Everything else in the body is passed through untouched.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gaterouter/openai/error.hpp"
#include "gaterouter/openai/json_scan.hpp"

namespace gaterouter::openai {

struct ChatRequest {
    std::string_view body;
    JsonValue root;
    std::string model;
    JsonValue model_value;  // where the model sits in `body`, to splice the upstream's name in
    bool stream = false;
    bool include_usage = false;               // stream_options.include_usage
    std::optional<JsonValue> stream_options;  // where it sits in `body` (an object or null), when sent
    std::optional<std::int64_t> max_tokens;   // max_completion_tokens, or the older max_tokens
    std::uint32_t choices = 1;                // n: answers asked for, each up to max_tokens long
    JsonValue messages;
    std::optional<JsonValue> extension;  // GateRouter's own `gaterouter` object: never sent upstream
    std::size_t message_count = 0;

    // What the request needs of a model, for the capability checks before routing.
    bool wants_tools = false;  // a non-empty `tools` list
    bool has_images = false;   // an image_url content part
    bool json_mode = false;    // response_format json_object or json_schema
    std::size_t image_count = 0;
    std::size_t tools_bytes = 0;
    std::uint32_t estimated_prompt_tokens = 0;
    // No tokenizer makes more than one token of a byte: what the prompt costs at most, to reserve.
    std::uint32_t max_prompt_tokens = 0;
};

// OpenAI's bound on `n`.
inline constexpr std::int64_t kMaxChoices = 128;

// A fast approximation of a prompt's tokens (no tokenizer), and its upper bound: see the comments in the
// implementation.
std::uint32_t estimate_prompt_tokens(std::size_t text_bytes, std::size_t tools_bytes, std::size_t messages,
                                     std::size_t images);
std::uint32_t max_prompt_tokens(std::size_t text_bytes, std::size_t tools_bytes, std::size_t messages,
                                std::size_t images);

// Fills `out` from `body`; on bad input returns the 400 error to send (with the offending param named).
std::optional<ApiError> parse_chat_request(std::string_view body, ChatRequest& out);

}  // namespace gaterouter::openai
