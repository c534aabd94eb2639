#include "gaterouter/classify/features.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

using namespace gaterouter::classify;

namespace {

bool same(const std::vector<Feature>& a, const std::vector<Feature>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].bucket != b[i].bucket || std::fabs(a[i].value - b[i].value) > 1e-6f) return false;
    }
    return true;
}

std::string repeat(std::string_view piece, std::size_t times) {
    std::string s;
    for (std::size_t i = 0; i < times; ++i) s += piece;
    return s;
}

}  // namespace

TEST(Features, AreDeterministicSortedAndNormalised) {
    const std::string text = "Write a Python function that reverses a linked list, then explain it.";
    const auto a = extract_features(text);
    const auto b = extract_features(text);
    ASSERT_FALSE(a.empty());
    EXPECT_TRUE(same(a, b));
    float norm = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_LT(a[i].bucket, kFeatureBuckets);
        if (i > 0) {
            EXPECT_LT(a[i - 1].bucket, a[i].bucket);  // each bucket once
        }
        EXPECT_GT(a[i].value, 0.0f);
        norm += a[i].value * a[i].value;
    }
    EXPECT_NEAR(norm, 1.0f, 1e-4f);
}

TEST(Features, IgnoreCaseWhitespaceRunsAndDigitValues) {
    EXPECT_TRUE(same(extract_features("Hello   World"), extract_features("hello world")));
    EXPECT_TRUE(same(extract_features("ÉCOLE Straße ПРИВЕТ"), extract_features("école straße привет")));
    EXPECT_TRUE(same(extract_features("what is 17% of 2350?"), extract_features("what is 42% of 9999?")));
    EXPECT_FALSE(same(extract_features("hello world"), extract_features("hello word")));
}

TEST(Features, EmptyTextHasNone) {
    EXPECT_TRUE(extract_features("").empty());
    EXPECT_TRUE(extract_features(" \n\t ").empty());
}

TEST(Features, CjkTextYieldsCharacterFeatures) {
    const auto zh = extract_features("请把这句话翻译成英文");
    const auto ja = extract_features("この文章を英語に翻訳してください");
    EXPECT_GT(zh.size(), 20u);  // ten characters: words, bigrams, 3-grams
    EXPECT_FALSE(same(zh, ja));
}

TEST(Features, MalformedUtf8IsHarmless) {
    const std::string bad = "abc\xFF\xC3 def \xE4\xBD";
    const auto f = extract_features(bad);
    EXPECT_FALSE(f.empty());
    EXPECT_TRUE(same(f, extract_features(bad)));
}

TEST(Features, ExtractorReuseLeavesNoResidue) {
    FeatureExtractor extractor;
    const std::string a = "translate into French: good morning";
    const std::string b = repeat("long filler text with many different words number ", 80);
    const auto first = extractor.extract(a);
    const std::vector<Feature> first_copy(first.begin(), first.end());
    extractor.extract(b);
    const auto again = extractor.extract(a);
    EXPECT_TRUE(same(first_copy, std::vector<Feature>(again.begin(), again.end())));
}

TEST(Features, ReadOnlyTheByteBudgetOfALongPrompt) {
    const std::string head = "Summarize the following report for the board. ";
    const std::string tail = " What are the three main risks?";
    const std::string filler = repeat("lorem ipsum dolor sit amet ", 40'000);  // about 1 MB
    const std::string middle_a = head + filler + "UNIQUEMIDDLEWORD" + filler + tail;
    const std::string middle_b = head + filler + "anotherword" + filler + tail;
    ASSERT_GT(middle_a.size(), 1'000'000u);

    FeatureExtractor extractor;
    const auto a = extractor.extract(middle_a);
    const std::vector<Feature> a_copy(a.begin(), a.end());
    EXPECT_EQ(extractor.bytes_read(), kFeatureHeadBytes + kFeatureTailBytes);
    const auto b = extractor.extract(middle_b);
    // What lies between the head and the tail is never read.
    EXPECT_TRUE(same(a_copy, std::vector<Feature>(b.begin(), b.end())));

    // The tail is read: a different question at the end changes the features.
    const auto c = extractor.extract(head + filler + filler + " Translate this into German.");
    EXPECT_FALSE(same(a_copy, std::vector<Feature>(c.begin(), c.end())));
}

TEST(Features, BudgetCutsBetweenCharacters) {
    const std::string text = repeat("你", 3000);  // 3 bytes each: the budget's edges fall inside characters
    FeatureExtractor extractor;
    extractor.extract(text);
    EXPECT_EQ(extractor.bytes_read(), 1706u * 3 + 341u * 3);  // whole characters within the budget
    // Only whole characters were read: the features are those of "你" runs, nothing from a U+FFFD.
    const auto f = extract_features(text);
    const auto g = extract_features(repeat("你", 1700) + " " + repeat("你", 340));
    EXPECT_EQ(f.size(), g.size());
}

TEST(Features, HostileTextStaysWithinItsBounds) {
    // One-letter words, sentence after sentence, cue words and quotes: as many distinct buckets per byte as
    // it gets.
    std::string text;
    for (int i = 0; text.size() < 20'000; ++i) {
        text += static_cast<char>('a' + i % 26);
        text += static_cast<char>('a' + (i / 26) % 26);
        text += i % 3 == 0 ? ". " : i % 7 == 0 ? " \"translate\" " : " ";
    }
    FeatureExtractor extractor;
    const auto features = extractor.extract(text);
    EXPECT_EQ(extractor.bytes_read(), kFeatureHeadBytes + kFeatureTailBytes);
    EXPECT_GT(features.size(), 2 * (kFeatureHeadBytes + kFeatureTailBytes) / 3);
    EXPECT_LE(features.size(), kFeatureBuckets);
    for (const Feature& f : features) EXPECT_LT(f.bucket, kFeatureBuckets);
}
