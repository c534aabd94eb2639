#pragma once
// Hashed n-gram features of a prompt, for the task classifier: lower-cased word unigrams and bigrams, and
// character 3-grams (over code points, so multi-byte characters stay whole; for Chinese and Japanese, which
// have no spaces, each ideograph or kana is a word of its own and the character 3-grams carry the signal).
// Three more kinds carry what a small training set cannot teach from n-grams alone: the first two words of
// each sentence (where the request usually is: "Translate ...", "Summarize ..."), task cues from a lexicon of
// task words in nine languages (src/classify/cue_lexicon.cpp), and lower weights inside quotation marks,
// where the material to work on usually is. Every feature is hashed into one of kFeatureBuckets buckets; the
// vector is square-root scaled and L2-normalised. Extraction reads a bounded number of bytes whatever the
// prompt's length, and allocates nothing once warm.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace gaterouter::classify {

inline constexpr std::uint32_t kFeatureBits = 18;
inline constexpr std::uint32_t kFeatureBuckets = 1u << kFeatureBits;
// Part of the model file's header: bump it whenever extraction changes, so that a model trained on other
// features is refused at load instead of classifying nonsense.
inline constexpr int kFeatureVersion = 2;

// The text read from a longer prompt: its first kFeatureHeadBytes and its last kFeatureTailBytes.
inline constexpr std::size_t kFeatureHeadBytes = 5 * 1024;
inline constexpr std::size_t kFeatureTailBytes = 1024;

struct Feature {
    std::uint32_t bucket = 0;
    float value = 0;
};

// Reusable extraction scratch. Not thread-safe: one per thread (the classifier keeps a thread_local one).
class FeatureExtractor {
  public:
    FeatureExtractor();

    // The features of `text`, in first-seen order, each bucket once. Valid until the next call.
    std::span<const Feature> extract(std::string_view text);
    // Bytes of the text the last call read (at most kFeatureHeadBytes + kFeatureTailBytes).
    std::size_t bytes_read() const { return bytes_read_; }

  private:
    void add(std::uint64_t hash, std::uint32_t kind);
    void add_cues(std::uint16_t cues);
    void scan(std::string_view segment);
    void end_word();
    void push_char(char32_t c);

    // A byte per bucket, saturating; all zero between calls. Not a character type, whose stores the compiler
    // must assume may change any member, which would reload the scan state from memory after every count.
    enum class Count : std::uint8_t {};
    std::vector<Count> counts_;
    std::vector<std::uint32_t> used_;  // buckets in first-seen order, one slot more than can ever be used
    std::size_t used_count_ = 0;
    std::vector<Feature> features_;
    std::size_t bytes_read_ = 0;

    // Scan state: rolling hashes of the last 1 and 2 characters of the normalised stream, and of the word.
    std::uint64_t gram1_ = 0, gram2_ = 0;
    std::size_t stream_len_ = 0;
    bool last_was_space_ = false;
    std::uint64_t word_hash_ = 0;
    std::size_t word_len_ = 0;
    std::uint64_t prev_word_hash_ = 0;
    bool have_prev_word_ = false;
    std::uint64_t prefix_hash_ = 0;  // of the word's first characters, for the cue lexicon
    char32_t prev_cjk_ = 0;
    bool quoted_ = false;
    int lead_left_ = 0;
};

// The features of `text` sorted by bucket: for training and tests (allocates).
std::vector<Feature> extract_features(std::string_view text);

}  // namespace gaterouter::classify
