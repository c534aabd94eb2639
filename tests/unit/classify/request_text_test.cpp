#include "gaterouter/classify/request_text.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace gaterouter;
using namespace gaterouter::classify;

namespace {

struct Extracted {
    openai::ChatRequest request;
    std::string text;
    ClassifierInput input;
};

// Parses `body` (which must outlive the result) and extracts the classifier's input from it.
void extract(const std::string& body, Extracted& out) {
    ASSERT_FALSE(openai::parse_chat_request(body, out.request)) << body;
    out.input = classifier_input(out.request, out.text);
}

std::string user_message(const std::string& content_json) {
    return R"({"model":"m","messages":[{"role":"user","content":)" + content_json + "}]}";
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        const std::size_t n = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (std::size_t k = 1; k < n; ++k) {
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        }
        i += n;
    }
    return true;
}

}  // namespace

TEST(ClassifierInput, CollectsSystemDeveloperAndUserText) {
    const std::string body =
        R"({"model":"m","messages":[)"
        R"({"role":"system","content":"You are terse."},)"
        R"({"content":"Use British spelling.","role":"developer"},)"
        R"({"role":"user","content":"Translate: bonjour"},)"
        R"({"role":"assistant","content":"Hello"},)"
        R"({"role":"tool","tool_call_id":"1","content":"{\"x\":1}"},)"
        R"({"role":"user","content":[{"type":"text","text":"And merci?"},)"
        R"({"type":"image_url","image_url":{"url":"https://x/y.png"}},{"type":"text","text":"Thanks"}]}],)"
        R"("tools":[{"type":"function","function":{"name":"f"}}],)"
        R"("response_format":{"type":"json_object"},"max_tokens":300})";
    Extracted e;
    extract(body, e);
    EXPECT_EQ(e.text, "You are terse.\nUse British spelling.\nTranslate: bonjour\nAnd merci?\nThanks");
    EXPECT_EQ(e.input.text, e.text);
    EXPECT_TRUE(e.input.has_tools);
    EXPECT_TRUE(e.input.json_output);
    EXPECT_EQ(e.input.max_tokens, 300);
    EXPECT_EQ(e.input.prompt_tokens, e.request.estimated_prompt_tokens);
    EXPECT_GT(e.input.prompt_tokens, 0u);
}

TEST(ClassifierInput, DecodesEscapes) {
    Extracted e;
    extract(user_message(R"("caf\u00e9 \"quoted\"\n\ttab \\ \/ \ud83d\ude00")"), e);
    EXPECT_EQ(e.text, "caf\xC3\xA9 \"quoted\"\n\ttab \\ / \xF0\x9F\x98\x80");
    EXPECT_FALSE(e.input.has_tools);
    EXPECT_FALSE(e.input.json_output);
    EXPECT_FALSE(e.input.max_tokens);
}

TEST(ClassifierInput, ReusesTheBufferAndToleratesOddMessages) {
    Extracted e;
    e.text = "left over";
    extract(
        R"({"model":"m","messages":[{"role":"user"},{"role":"user","content":null},{"role":"user","content":""}]})",
        e);
    EXPECT_EQ(e.text, "");
}

TEST(ClassifierInput, BoundsALongPromptToItsHeadAndTheLastUserMessagesTail) {
    std::string document;
    while (document.size() < 1'000'000) document += "The quarterly report shows steady growth. ";
    const std::string body = R"({"model":"m","messages":[{"role":"system","content":"You summarize."},)"
                             R"({"role":"user","content":")" +
                             document + R"(Summarize the above in three bullet points."}]})";
    Extracted e;
    extract(body, e);
    EXPECT_LE(e.text.size(), kPromptHeadBytes + 1 + kPromptTailBytes);
    EXPECT_GT(e.text.size(), kPromptHeadBytes);
    EXPECT_EQ(e.text.rfind("You summarize.\nThe quarterly report", 0), 0u);
    EXPECT_TRUE(e.text.ends_with("Summarize the above in three bullet points."));
    EXPECT_GT(e.input.prompt_tokens, 200'000u);
}

TEST(ClassifierInput, TheHeadAndTailNeverSplitACharacterOrAnEscape) {
    // Escaped CJK (as Python's json.dumps writes it) and raw multi-byte text, at every alignment of the cut.
    for (std::size_t pad = 0; pad < 12; ++pad) {
        std::string escaped(pad, 'a'), raw(pad, 'a');
        for (int i = 0; i < 3000; ++i) escaped += "\\u4f60\\ud83d\\ude00\\n";
        for (int i = 0; i < 3000; ++i) raw += "\xE4\xBD\xA0\xF0\x9F\x98\x80\\\\";
        for (const std::string& content : {escaped, raw}) {
            Extracted e;
            extract(user_message("\"" + content + "\""), e);
            EXPECT_TRUE(valid_utf8(e.text)) << "pad " << pad;
            EXPECT_EQ(e.text.find("\xEF\xBF\xBD"), std::string::npos) << "pad " << pad;  // no U+FFFD
            EXPECT_LE(e.text.size(), kPromptHeadBytes + 1 + kPromptTailBytes);
            EXPECT_GT(e.text.size(), kPromptHeadBytes + 200);  // the head, and a tail
        }
    }
}

TEST(ClassifierInput, TheTailComesFromTheLastTextPart) {
    const std::string long_part(8000, 'x');
    Extracted e;
    extract(user_message(R"([{"type":"text","text":")" + long_part +
                         R"("},{"type":"text","text":"Which language is this?"}])"),
            e);
    EXPECT_LE(e.text.size(), kPromptHeadBytes + 1 + kPromptTailBytes);
    EXPECT_TRUE(e.text.ends_with("\nWhich language is this?"));
}
