#include <array>
#include <cstdint>
#include <string_view>

#include "gaterouter/classify/task_classifier.hpp"

namespace gaterouter::classify {
namespace {

constexpr std::uint32_t kHeavyPromptTokens = 3000;
constexpr std::int64_t kHeavyOutputTokens = 2000;
constexpr std::uint32_t kLongDeepPromptTokens = 800;
constexpr std::uint32_t kLightPromptTokens = 60;
constexpr std::int64_t kLightOutputTokens = 512;

// Word starts that ask for deliberate work; "prove" also catches "proves" and "proven", "analy" both
// spellings.
constexpr std::array<std::string_view, 12> kCues = {
    "step by step", "step-by-step", "prove",    "proof",    "derive",  "design",
    "analy",        "trade-off",    "tradeoff", "rigorous", "justify", "think carefully",
};

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

// Letter index 1..26 of an ASCII letter, 0 for any other byte.
const std::array<std::uint8_t, 256> kLetter = [] {
    std::array<std::uint8_t, 256> t{};
    for (int c = 'a'; c <= 'z'; ++c) t[c] = t[c - 32] = static_cast<std::uint8_t>(c - 'a' + 1);
    return t;
}();

// The first two letters of some cue, so that only a few word starts are compared in full.
const std::array<bool, 27 * 27> kCuePairs = [] {
    std::array<bool, 27 * 27> t{};
    for (const std::string_view cue : kCues) t[kLetter[cue[0]] * 27 + kLetter[cue[1]]] = true;
    return t;
}();

bool cue_at(std::string_view text, std::size_t i) {
    for (const std::string_view cue : kCues) {
        if (text.size() - i < cue.size()) continue;
        std::size_t k = 0;
        while (k < cue.size() && lower(text[i + k]) == cue[k]) ++k;
        if (k == cue.size()) return true;
    }
    return false;
}

bool cue_in(std::string_view text) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    std::uint8_t prev = 0;  // the letter before, 0 if none
    for (std::size_t i = 0; i + 1 < text.size(); ++i) {
        const std::uint8_t letter = kLetter[s[i]];
        // A word start whose first two letters begin a cue: rare, so the branch is well predicted.
        const bool candidate = (prev == 0) & kCuePairs[letter * 27 + kLetter[s[i + 1]]];
        prev = letter;
        if (candidate && cue_at(text, i)) return true;
    }
    return false;
}

}  // namespace

bool has_reasoning_cue(std::string_view text) {
    if (text.size() <= kFeatureHeadBytes + kFeatureTailBytes) return cue_in(text);
    return cue_in(text.substr(0, kFeatureHeadBytes)) || cue_in(text.substr(text.size() - kFeatureTailBytes));
}

// The weight class, first match wins:
//  heavy     the prompt is long (over 3000 tokens), or the caller allows a long answer (max_tokens over
//  2000),
//            or the task is reasoning, math or code and either its prompt is over 800 tokens or it asks for
//            deliberate work (has_reasoning_cue);
//  light     a short prompt (under 60 tokens) of chat, classification, translation or extraction, without
//  tools,
//            and max_tokens absent or at most 512: small models answer these as well as large ones;
//  standard  everything else.
Weight weight_class(TaskType task, const ClassifierInput& input) {
    const std::int64_t max_tokens = input.max_tokens.value_or(0);
    if (input.prompt_tokens > kHeavyPromptTokens || max_tokens > kHeavyOutputTokens) return Weight::heavy;
    const bool deep = task == TaskType::reasoning || task == TaskType::math || task == TaskType::code;
    if (deep && (input.prompt_tokens > kLongDeepPromptTokens || has_reasoning_cue(input.text)))
        return Weight::heavy;
    const bool simple = task == TaskType::chat || task == TaskType::classification ||
                        task == TaskType::translation || task == TaskType::extraction;
    if (simple && input.prompt_tokens < kLightPromptTokens && !input.has_tools &&
        max_tokens <= kLightOutputTokens) {
        return Weight::light;
    }
    return Weight::standard;
}

}  // namespace gaterouter::classify
