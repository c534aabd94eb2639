#include "gaterouter/classify/features.hpp"

#include "cue_lexicon.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

// One pass over the text's code points feeds two streams at once:
//  - the character stream: lower-cased, digits folded to '0', whitespace runs folded to one space, with a
//    space at each end; every 3 consecutive characters of it make a feature (4-grams as well cost a third of
//    the classifier's time and made it no more accurate on the held-out splits);
//  - the word stream: runs of letters, digits and '_' (an ideograph or kana is a word by itself); every word
//    and every pair of consecutive words make a feature; so do the first two words of the text and of each
//    sentence (as "lead" words, hashed apart), and a word found in the cue lexicon adds its task's cue
//    feature.
// Features inside quotation marks ("", “”, «», 「」) are weighted down, and make no lead words.
// Features are hashed (FNV-1a over code points, with one seed for character n-grams, rolled along the stream,
// and others for words and word pairs, so that "ab" the word and "ab" the characters land apart) and counted
// in a direct-indexed table of byte counters, one per bucket, which is cleared bucket by bucket after use.
// Counting is branch-free: the bucket is always written to the first-seen list, which only advances for a new
// bucket. Counts become values by a square root (a word said ten times is not ten times the evidence), then
// the vector is L2-normalised so that long and short prompts score on the same scale.

namespace gaterouter::classify {
namespace {

// Every character read adds at most one bucket (its 3-gram) and every word three (itself, the pair it ends
// and a lead word); cues add at most kCueCount buckets in all; three separators join the stream. This bounds
// the distinct buckets of one text.
constexpr std::size_t kMaxDistinct = 4 * (kFeatureHeadBytes + kFeatureTailBytes + 3) + kCueCount;

// Each counted bucket remembers, above its 18 bits, the kind of feature that first filled it, and whether
// that was inside quotation marks; its value is scaled by the kind's weight (tuned on the held-out split).
constexpr std::uint32_t kGram3Kind = 0u << 24, kWordKind = 1u << 24, kPairKind = 2u << 24,
                        kLeadKind = 3u << 24, kCueKind = 4u << 24, kQuotedKind = 8u << 24;
// Quoted text is mostly the material to work on ("Translate: "...""), not the request: it says little of the
// task.
constexpr float kQuotedWeight = 0.15f;
// A cue stands for a whole family of words across languages: it weighs as much as many n-grams.
constexpr float kCueWeight = 6.0f;
// clang-format off
constexpr std::array<float, 16> kKindWeight = {
    // 3-gram, word, pair, lead, cue, (unused) x 3; then the same inside quotation marks
    1, 1, 1, 1, kCueWeight, 0, 0, 0,
    kQuotedWeight, kQuotedWeight, kQuotedWeight, kQuotedWeight, kQuotedWeight * kCueWeight, 0, 0, 0,
};
// clang-format on
constexpr std::uint64_t kSeedCue = 0x5851f42d4c957f2dULL;
constexpr std::uint64_t kSeedCjkPair = 0x14057b7ef767814fULL;
constexpr std::size_t kCuePrefix = 6;
constexpr std::uint64_t kSeedLead = 0x7f4a7c159e3779b9ULL;
constexpr int kLeadWords = 2;  // lead words per sentence
constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;
constexpr std::uint64_t kSeedChar = 0xcbf29ce484222325ULL;
constexpr std::uint64_t kSeedWord = 0x9ae16a3b2f90404fULL;
constexpr std::uint64_t kSeedBigram = 0xc3a5c85c97cb3127ULL;

constexpr std::uint64_t fnv(std::uint64_t h, std::uint64_t unit) {
    return (h ^ unit) * kFnvPrime;
}

bool is_continuation(char b) {
    return (static_cast<unsigned char>(b) & 0xC0) == 0x80;
}

// Decodes one code point at `p` (before `end`); a malformed byte reads as U+FFFD and is skipped alone.
char32_t decode_utf8(const unsigned char*& p, const unsigned char* end) {
    const unsigned char b0 = *p;
    if (b0 < 0x80) return ++p, b0;
    int extra;
    char32_t cp;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        extra = 1, cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        extra = 2, cp = b0 & 0x0F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        extra = 3, cp = b0 & 0x07;
    } else {
        return ++p, 0xFFFD;
    }
    if (end - p <= extra) return ++p, 0xFFFD;
    for (int i = 1; i <= extra; ++i) {
        if ((p[i] & 0xC0) != 0x80) return ++p, 0xFFFD;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    p += extra + 1;
    return cp;
}

char32_t to_lower(char32_t c) {
    if (c < 0x80) return c >= 'A' && c <= 'Z' ? c + 32 : c;
    if ((c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) ||
        (c >= 0x410 && c <= 0x42F)) {
        return c + 32;  // Latin-1, Greek, Cyrillic capitals
    }
    if (c >= 0x400 && c <= 0x40F) return c + 80;
    // Latin Extended-A pairs capitals and small letters: even/odd, then odd/even between U+0139 and U+0148
    // and again from U+0179.
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) return c | 1;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c + 1 : c;
    return c;
}

bool is_space(char32_t c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xA0 || (c >= 0x2000 && c <= 0x200B) || c == 0x3000;
}

// Han ideographs and kana: languages written without spaces, where each character is taken as a word.
bool is_cjk(char32_t c) {
    return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3FFFF);
}

// Letters and digits; beyond ASCII, anything but the punctuation and symbol blocks counts as a letter.
bool is_word_char(char32_t c) {
    if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (c < 0xC0) return c == 0xAA || c == 0xB5 || c == 0xBA;
    if (c == 0xD7 || c == 0xF7 || c == 0xFFFD) return false;
    if (c >= 0x2000 && c <= 0x2BFF) return false;  // punctuation, arrows, mathematical operators, shapes
    if (c >= 0x3000 && c <= 0x303F) return false;  // CJK punctuation
    if (c >= 0xFE30 && c <= 0xFE4F) return false;  // CJK compatibility forms
    if ((c >= 0xFF00 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF40) ||
        (c >= 0xFF5B && c <= 0xFF65)) {
        return false;  // full-width punctuation
    }
    if (c >= 0x1F000 && c < 0x20000) return false;  // emoji and pictographs
    return true;
}

// ASCII, by table: lower case, digits folded to '0', whitespace to ' '.
struct AsciiClass {
    char32_t normalised;
    bool word;
};
const std::array<AsciiClass, 128> kAscii = [] {
    std::array<AsciiClass, 128> t{};
    for (char32_t c = 0; c < 128; ++c) {
        char32_t n = to_lower(c);
        if (n >= '0' && n <= '9') n = '0';
        if (is_space(n)) n = ' ';
        t[c] = {n, is_word_char(n)};
    }
    return t;
}();

// sqrt(count) for the byte counters.
const std::array<float, 256> kSqrt = [] {
    std::array<float, 256> t{};
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = std::sqrt(static_cast<float>(i));
    return t;
}();

// The cue lexicon, hashed the way the scan hashes words: a Latin, Greek or Cyrillic term by its first
// kCuePrefix characters (all of it if shorter), a Chinese or Japanese one by its character or its first two.
class CueTable {
  public:
    CueTable() {
        for (const CueTerms& entry : cue_lexicon()) {
            std::string_view terms = entry.terms;
            while (!terms.empty()) {
                const std::size_t space = terms.find(' ');
                insert(key_of(terms.substr(0, space)),
                       static_cast<std::uint16_t>(1u << static_cast<int>(entry.cue)));
                terms = space == std::string_view::npos ? std::string_view{} : terms.substr(space + 1);
            }
        }
    }

    // The cues (one bit each) of a word's key; 0 for none. Most words are turned away by the filter alone.
    std::uint16_t find(std::uint64_t key) const {
        if (((filter_[(key >> 52) & 63] >> ((key >> 46) & 63)) & 1) == 0) return 0;
        for (std::size_t slot = key & (kSize - 1);; slot = (slot + 1) & (kSize - 1)) {
            if (keys_[slot] == key) return cues_[slot];
            if (keys_[slot] == 0) return 0;
        }
    }

    static std::uint64_t pair_key(char32_t first, char32_t second) {
        return fnv(fnv(kSeedCjkPair, first), second);
    }

  private:
    static constexpr std::size_t kSize = 2048;

    static std::uint64_t key_of(std::string_view term) {
        const auto* p = reinterpret_cast<const unsigned char*>(term.data());
        const auto* end = p + term.size();
        const char32_t first = decode_utf8(p, end);
        if (is_cjk(first)) return p < end ? pair_key(first, decode_utf8(p, end)) : fnv(kSeedWord, first);
        std::uint64_t h = fnv(kSeedWord, first);
        for (std::size_t n = 1; n < kCuePrefix && p < end; ++n) h = fnv(h, decode_utf8(p, end));
        return h;
    }

    void insert(std::uint64_t key, std::uint16_t cues) {
        filter_[(key >> 52) & 63] |= std::uint64_t{1} << ((key >> 46) & 63);
        std::size_t slot = key & (kSize - 1);
        while (keys_[slot] != 0 && keys_[slot] != key) slot = (slot + 1) & (kSize - 1);
        keys_[slot] = key;
        cues_[slot] |= cues;
    }

    std::array<std::uint64_t, 64> filter_{};
    std::array<std::uint64_t, kSize> keys_{};
    std::array<std::uint16_t, kSize> cues_{};
};

const CueTable kCueTable;

}  // namespace

FeatureExtractor::FeatureExtractor() : counts_(kFeatureBuckets, Count{0}), used_(kMaxDistinct + 1, 0) {
    features_.reserve(kMaxDistinct);
}

// Called for every feature of every prompt: inlined into the scan, whatever the compiler's estimate of its
// size.
[[gnu::always_inline]] inline void FeatureExtractor::add(std::uint64_t hash, std::uint32_t kind) {
    // Multiplicative hashing keeps the well-mixed high bits; FNV's low bits alone are weak.
    const auto bucket = static_cast<std::uint32_t>((hash * 0x9E3779B97F4A7C15ULL) >> (64 - kFeatureBits));
    const auto count = static_cast<std::uint8_t>(counts_[bucket]);
    used_[used_count_] = bucket | kind | (quoted_ ? kQuotedKind : 0);
    used_count_ += count == 0;
    counts_[bucket] = static_cast<Count>(count + (count < 255));
}

void FeatureExtractor::add_cues(std::uint16_t cues) {
    for (int cue = 0; cues != 0; ++cue, cues >>= 1) {
        if (cues & 1) add(fnv(kSeedCue, static_cast<std::uint64_t>(cue)), kCueKind);
    }
}

// push_char and end_word are inlined too: called, they made the scan keep its state in memory (a sixth of the
// extraction time).
[[gnu::always_inline]] inline void FeatureExtractor::push_char(char32_t c) {
    if (c == ' ') {
        if (last_was_space_) return;
        last_was_space_ = true;
    } else {
        last_was_space_ = false;
    }
    if (stream_len_ >= 2) add(fnv(gram2_, c), kGram3Kind);
    gram2_ = fnv(gram1_, c);
    gram1_ = fnv(kSeedChar, c);
    ++stream_len_;
}

[[gnu::always_inline]] inline void FeatureExtractor::end_word() {
    if (word_len_ == 0) return;
    add(word_hash_, kWordKind);
    if (const std::uint16_t cues = kCueTable.find(word_len_ <= kCuePrefix ? word_hash_ : prefix_hash_))
        add_cues(cues);
    if (lead_left_ > 0 && !quoted_) {
        add(fnv(kSeedLead, word_hash_), kLeadKind);
        --lead_left_;
    }
    if (have_prev_word_) add(fnv(fnv(kSeedBigram, prev_word_hash_), word_hash_), kPairKind);
    prev_word_hash_ = word_hash_;
    have_prev_word_ = true;
    word_hash_ = kSeedWord;
    word_len_ = 0;
}

void FeatureExtractor::scan(std::string_view segment) {
    bytes_read_ += segment.size();
    const auto* p = reinterpret_cast<const unsigned char*>(segment.data());
    const auto* end = p + segment.size();
    while (p < end) {
        char32_t c;
        bool word;
        if (*p < 0x80) {
            const unsigned char b = *p++;
            const AsciiClass& a = kAscii[b];
            c = a.normalised;
            word = a.word;
            if (b == '"') quoted_ = !quoted_;
            if (b == '.' || b == '?' || b == '!' || b == '\n') lead_left_ = kLeadWords;
        } else {
            c = to_lower(decode_utf8(p, end));
            if (c == 0x201C) quoted_ = !quoted_;
            if (c == 0xAB || c == 0x300C || c == 0x300E || c == 0x201E) quoted_ = true;
            if (c == 0xBB || c == 0x300D || c == 0x300F || c == 0x201D) quoted_ = false;
            if (c == 0x3002 || c == 0xFF1F || c == 0xFF01) lead_left_ = kLeadWords;
            if (is_space(c)) c = ' ';
            word = is_word_char(c);
        }
        if (c == ' ') {
            end_word();
            push_char(' ');
            prev_cjk_ = 0;
            continue;
        }
        push_char(c);
        if (!word) {
            end_word();
            prev_cjk_ = 0;
        } else if (c >= 0x3040 && is_cjk(c)) {
            end_word();
            word_hash_ = fnv(kSeedWord, c);
            word_len_ = 1;
            end_word();
            if (prev_cjk_ != 0) {
                if (const std::uint16_t cues = kCueTable.find(CueTable::pair_key(prev_cjk_, c)))
                    add_cues(cues);
            }
            prev_cjk_ = c;
        } else {
            word_hash_ = fnv(word_hash_, c);
            if (++word_len_ == kCuePrefix) prefix_hash_ = word_hash_;
            prev_cjk_ = 0;
        }
    }
}

std::span<const Feature> FeatureExtractor::extract(std::string_view text) {
    bytes_read_ = 0;
    used_count_ = 0;
    stream_len_ = 0;
    last_was_space_ = false;
    word_hash_ = kSeedWord;
    word_len_ = 0;
    have_prev_word_ = false;
    quoted_ = false;
    lead_left_ = kLeadWords;
    prev_cjk_ = 0;

    push_char(' ');
    if (text.size() <= kFeatureHeadBytes + kFeatureTailBytes) {
        scan(text);
    } else {
        // Cut on character boundaries: the head ends before a character it would split, the tail starts
        // after.
        std::size_t head_end = kFeatureHeadBytes;
        while (head_end > 0 && is_continuation(text[head_end])) --head_end;
        std::size_t tail_begin = text.size() - kFeatureTailBytes;
        while (tail_begin < text.size() && is_continuation(text[tail_begin])) ++tail_begin;
        scan(text.substr(0, head_end));
        end_word();
        push_char(' ');
        scan(text.substr(tail_begin));
    }
    end_word();
    push_char(' ');

    features_.resize(used_count_);
    Feature* out = features_.data();
    Count* counts = counts_.data();
    float sum = 0;
    for (std::size_t i = 0; i < used_count_; ++i) {
        const std::uint32_t bucket = used_[i] & (kFeatureBuckets - 1);
        const auto count = static_cast<std::uint8_t>(counts[bucket]);
        counts[bucket] = Count{0};
        const float v = kSqrt[count] * kKindWeight[used_[i] >> 24];
        sum += v * v;
        out[i] = {bucket, v};
    }
    const float scale = sum > 0 ? 1.0f / std::sqrt(sum) : 0.0f;
    for (Feature& f : features_) f.value *= scale;
    return features_;
}

std::vector<Feature> extract_features(std::string_view text) {
    FeatureExtractor extractor;
    const auto features = extractor.extract(text);
    std::vector<Feature> sorted(features.begin(), features.end());
    std::sort(sorted.begin(), sorted.end(),
              [](const Feature& a, const Feature& b) { return a.bucket < b.bucket; });
    return sorted;
}

}  // namespace gaterouter::classify
