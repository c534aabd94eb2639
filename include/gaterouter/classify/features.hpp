#pragma once
// Hashed n-gram features of a prompt, for the task classifier: lower-cased word unigrams and bigrams, and
// character 3-grams and 4-grams (over code points, so multi-byte characters stay whole; for Chinese and Japanese,
// which have no spaces, each ideograph or kana is a word of its own and the character n-grams carry the signal).
// Every feature is hashed into one of kFeatureBuckets buckets; the vector is square-root scaled and L2-normalised.
// Extraction reads a bounded number of bytes whatever the prompt's length, and allocates nothing once warm.

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
inline constexpr int kFeatureVersion = 1;

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
    struct Slot {
        std::uint32_t bucket;
        float weight;
    };
    void add(std::uint64_t hash, float weight);
    void scan(std::string_view segment);
    void end_word();
    void push_char(char32_t c);

    std::vector<Slot> slots_;            // open addressing; bucket kEmpty marks a free slot
    std::vector<std::uint32_t> used_;    // occupied slots in first-seen order, to emit and to clear
    std::vector<Feature> features_;
    std::size_t bytes_read_ = 0;

    // Scan state.
    char32_t ring_[4] = {};   // the last characters of the normalised stream, for character n-grams
    std::size_t ring_len_ = 0;
    std::uint64_t word_hash_ = 0;
    std::size_t word_len_ = 0;
    std::uint64_t prev_word_hash_ = 0;
    bool have_prev_word_ = false;
};

// The features of `text` sorted by bucket: for training and tests (allocates).
std::vector<Feature> extract_features(std::string_view text);

}  // namespace gaterouter::classify
