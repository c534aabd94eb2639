#pragma once
// The task cue lexicon behind the extractor's cue features (internal to the classify area).

#include <cstdint>
#include <span>

namespace gaterouter::classify {

enum class Cue : std::uint8_t {
    chat,
    classification,
    summarization,
    extraction,
    translation,
    code,
    math,
    reasoning,
    creative,
    language,  // a language's name: mostly translation, but not only
};
inline constexpr int kCueCount = 10;

struct CueTerms {
    Cue cue;
    const char* terms;  // space-separated, lower case, UTF-8
};

std::span<const CueTerms> cue_lexicon();

}  // namespace gaterouter::classify
