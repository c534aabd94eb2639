#include <array>

#include "gaterouter/classify/task_classifier.hpp"

namespace gaterouter::classify {
namespace {

constexpr std::uint32_t kHeavyPromptTokens = 3000;
constexpr std::int64_t kHeavyOutputTokens = 2000;
constexpr std::uint32_t kLongDeepPromptTokens = 800;
constexpr std::uint32_t kLightPromptTokens = 60;
constexpr std::int64_t kLightOutputTokens = 512;

// Word starts that ask for deliberate work; "prove" also catches "proves" and "proven", "analy" both spellings.
constexpr std::array<std::string_view, 12> kCues = {
    "step by step", "step-by-step", "prove",    "proof",   "derive",  "design",
    "analy",        "trade-off",    "tradeoff", "rigorous", "justify", "think carefully",
};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool cue_in(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (!is_alpha(text[i]) || (i > 0 && is_alpha(text[i - 1]))) continue;
        const char first = lower(text[i]);
        for (const std::string_view cue : kCues) {
            if (cue[0] != first || text.size() - i < cue.size()) continue;
            std::size_t k = 1;
            while (k < cue.size() && lower(text[i + k]) == cue[k]) ++k;
            if (k == cue.size()) return true;
        }
    }
    return false;
}

}  // namespace

bool has_reasoning_cue(std::string_view text) {
    if (text.size() <= kFeatureHeadBytes + kFeatureTailBytes) return cue_in(text);
    return cue_in(text.substr(0, kFeatureHeadBytes)) || cue_in(text.substr(text.size() - kFeatureTailBytes));
}

// The weight class, first match wins:
//  heavy     the prompt is long (over 3000 tokens), or the caller allows a long answer (max_tokens over 2000),
//            or the task is reasoning, math or code and either its prompt is over 800 tokens or it asks for
//            deliberate work (has_reasoning_cue);
//  light     a short prompt (under 60 tokens) of chat, classification, translation or extraction, without tools,
//            and max_tokens absent or at most 512: small models answer these as well as large ones;
//  standard  everything else.
Weight weight_class(TaskType task, const ClassifierInput& input) {
    const std::int64_t max_tokens = input.max_tokens.value_or(0);
    if (input.prompt_tokens > kHeavyPromptTokens || max_tokens > kHeavyOutputTokens) return Weight::heavy;
    const bool deep = task == TaskType::reasoning || task == TaskType::math || task == TaskType::code;
    if (deep && (input.prompt_tokens > kLongDeepPromptTokens || has_reasoning_cue(input.text))) return Weight::heavy;
    const bool simple = task == TaskType::chat || task == TaskType::classification ||
                        task == TaskType::translation || task == TaskType::extraction;
    if (simple && input.prompt_tokens < kLightPromptTokens && !input.has_tools && max_tokens <= kLightOutputTokens) {
        return Weight::light;
    }
    return Weight::standard;
}

}  // namespace gaterouter::classify
