#include "gaterouter/classify/features.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

// One pass over the text's code points feeds two streams at once:
//  - the character stream: lower-cased, digits folded to '0', whitespace runs folded to one space, with a space
//    at each end; every 3 and 4 consecutive characters of it make a feature;
//  - the word stream: runs of letters, digits and '_' (an ideograph or kana is a word by itself); every word and
//    every pair of consecutive words make a feature.
// Features are hashed (FNV-1a over code points, one seed per kind, so "ab" the word and "ab" the characters land
// apart) and counted in a small open-addressing table that is cleared slot by slot after use, never wholesale.
// Counts become values by a square root (a word said ten times is not ten times the evidence), then the vector is
// L2-normalised so that long and short prompts score on the same scale.

namespace gaterouter::classify {
namespace {

constexpr std::uint32_t kSlotBits = 15;
constexpr std::uint32_t kSlots = 1u << kSlotBits;
// Distinct features kept per prompt: the read budget yields fewer than this for ordinary text; a hostile one is
// cut here so the table never fills past ~40%.
constexpr std::size_t kMaxDistinct = 13'000;
constexpr std::uint32_t kEmpty = UINT32_MAX;

constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;
constexpr std::uint64_t kSeedChar3 = 0xcbf29ce484222325ULL;
constexpr std::uint64_t kSeedChar4 = 0x84222325cbf29ce4ULL;
constexpr std::uint64_t kSeedWord = 0x9ae16a3b2f90404fULL;
constexpr std::uint64_t kSeedBigram = 0xc3a5c85c97cb3127ULL;

constexpr std::uint64_t fnv(std::uint64_t h, std::uint64_t unit) { return (h ^ unit) * kFnvPrime; }

bool is_continuation(char b) { return (static_cast<unsigned char>(b) & 0xC0) == 0x80; }

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

}  // namespace

FeatureExtractor::FeatureExtractor() : slots_(kSlots, Slot{kEmpty, 0}) {
    used_.reserve(kMaxDistinct);
    features_.reserve(kMaxDistinct);
}

void FeatureExtractor::add(std::uint64_t hash, float weight) {
    // Multiplicative hashing keeps the well-mixed high bits; FNV's low bits alone are weak.
    const auto bucket = static_cast<std::uint32_t>((hash * 0x9E3779B97F4A7C15ULL) >> (64 - kFeatureBits));
    std::uint32_t slot = (bucket * 2654435761u) >> (32 - kSlotBits);
    for (;;) {
        Slot& s = slots_[slot];
        if (s.bucket == bucket) {
            s.weight += weight;
            return;
        }
        if (s.bucket == kEmpty) {
            if (used_.size() >= kMaxDistinct) return;
            s = {bucket, weight};
            used_.push_back(slot);
            return;
        }
        slot = (slot + 1) & (kSlots - 1);
    }
}

void FeatureExtractor::push_char(char32_t c) {
    if (c == ' ' && ring_len_ > 0 && ring_[3] == ' ') return;
    ring_[0] = ring_[1], ring_[1] = ring_[2], ring_[2] = ring_[3], ring_[3] = c;
    if (ring_len_ < 4) ++ring_len_;
    if (ring_len_ >= 3) add(fnv(fnv(fnv(kSeedChar3, ring_[1]), ring_[2]), ring_[3]), 1.0f);
    if (ring_len_ == 4) add(fnv(fnv(fnv(fnv(kSeedChar4, ring_[0]), ring_[1]), ring_[2]), ring_[3]), 1.0f);
}

void FeatureExtractor::end_word() {
    if (word_len_ == 0) return;
    add(word_hash_, 1.0f);
    if (have_prev_word_) add(fnv(fnv(kSeedBigram, prev_word_hash_), word_hash_), 1.0f);
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
        char32_t c = to_lower(decode_utf8(p, end));
        if (is_space(c)) {
            end_word();
            push_char(' ');
            continue;
        }
        if (c >= '0' && c <= '9') c = '0';
        push_char(c);
        if (!is_word_char(c)) {
            end_word();
        } else if (is_cjk(c)) {
            end_word();
            word_hash_ = fnv(kSeedWord, c);
            word_len_ = 1;
            end_word();
        } else {
            word_hash_ = fnv(word_hash_, c);
            ++word_len_;
        }
    }
}

std::span<const Feature> FeatureExtractor::extract(std::string_view text) {
    bytes_read_ = 0;
    ring_len_ = 0;
    word_hash_ = kSeedWord;
    word_len_ = 0;
    have_prev_word_ = false;

    push_char(' ');
    if (text.size() <= kFeatureHeadBytes + kFeatureTailBytes) {
        scan(text);
    } else {
        // Cut on character boundaries: the head ends before a character it would split, the tail starts after.
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

    float sum = 0;
    for (const std::uint32_t slot : used_) sum += slots_[slot].weight;  // the squared norm of the square roots
    const float scale = sum > 0 ? 1.0f / std::sqrt(sum) : 0.0f;
    features_.clear();
    for (const std::uint32_t slot : used_) {
        Slot& s = slots_[slot];
        features_.push_back({s.bucket, std::sqrt(s.weight) * scale});
        s.bucket = kEmpty;
    }
    used_.clear();
    return features_;
}

std::vector<Feature> extract_features(std::string_view text) {
    FeatureExtractor extractor;
    const auto features = extractor.extract(text);
    std::vector<Feature> sorted(features.begin(), features.end());
    std::sort(sorted.begin(), sorted.end(), [](const Feature& a, const Feature& b) { return a.bucket < b.bucket; });
    return sorted;
}

}  // namespace gaterouter::classify
