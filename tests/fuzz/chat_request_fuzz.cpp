// A client's Chat Completions body as the chat endpoint reads it (api/chat_completions.cpp): the request
// view, the `gaterouter` extension taken out and the rest read again, then the classifier's text and
// features.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "gaterouter/classify/features.hpp"
#include "gaterouter/classify/request_text.hpp"
#include "gaterouter/openai/chat_request.hpp"

using namespace gaterouter;

namespace {

bool inside(std::string_view part, std::string_view body) {
    return part.data() >= body.data() && part.data() + part.size() <= body.data() + body.size();
}

// What the rest of the gateway relies on in a view the parser accepted.
void check_view(const openai::ChatRequest& chat, std::string_view body) {
    FUZZ_CHECK(!chat.model.empty());
    FUZZ_CHECK(chat.model_value.type == openai::JsonType::string && inside(chat.model_value.raw, body));
    FUZZ_CHECK(openai::decode_string(chat.model_value) == chat.model);
    FUZZ_CHECK(chat.root.type == openai::JsonType::object && chat.root.raw.front() == '{');
    FUZZ_CHECK(chat.messages.type == openai::JsonType::array && chat.message_count >= 1);
    FUZZ_CHECK(chat.choices >= 1 && chat.choices <= openai::kMaxChoices);
    FUZZ_CHECK(!chat.max_tokens || *chat.max_tokens >= 1);
    FUZZ_CHECK(!chat.stream_options || inside(chat.stream_options->raw, body));
    FUZZ_CHECK(chat.max_prompt_tokens >= chat.estimated_prompt_tokens);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string body(reinterpret_cast<const char*>(data), size);
    openai::ChatRequest chat;
    if (const auto bad = openai::parse_chat_request(body, chat)) {
        FUZZ_CHECK(bad->status == 400);
        (void)bad->body();
        return 0;
    }
    check_view(chat, body);
    if (chat.extension) {
        body = openai::without_member(body, chat.root, "gaterouter");
        // The same request without its extension: still valid, and nothing else changed.
        const openai::ChatRequest before = chat;
        FUZZ_CHECK(!openai::parse_chat_request(body, chat));
        check_view(chat, body);
        FUZZ_CHECK(!chat.extension && chat.model == before.model && chat.stream == before.stream &&
                   chat.message_count == before.message_count);
    }
    std::string text;
    const classify::ClassifierInput input = classify::classifier_input(chat, text);
    (void)classify::extract_features(input.text);
    return 0;
}
