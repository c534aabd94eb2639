// The model shipped in data/classifier/model.txt gets obvious prompts right.
#include "gaterouter/classify/task_classifier.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

using namespace gaterouter::classify;

namespace {

const std::string kModelPath = std::string(GATEROUTER_SOURCE_DIR) + "/data/classifier/model.txt";

}  // namespace

TEST(ShippedModel, ClassifiesObviousPrompts) {
    if (!std::filesystem::exists(kModelPath)) GTEST_SKIP() << kModelPath << " is not there yet";
    const TaskClassifier model = TaskClassifier::load(kModelPath);
    EXPECT_GT(model.weight_count(), 1000u);

    struct Case {
        const char* text;
        TaskType task;
    };
    const Case cases[] = {
        {"Hi! How's your day going?", TaskType::chat},
        {"Classify the sentiment of this review as positive, negative or neutral: \"The battery died after "
         "two "
         "days.\"",
         TaskType::classification},
        {"Summarize the following article in three bullet points:\n\nThe city council voted on Tuesday to "
         "expand "
         "the bike lane network, citing a rise in cycling commuters and fewer accidents on protected routes.",
         TaskType::summarization},
        {"Extract every email address and phone number from this text: contact jane@example.com or call "
         "555-0100.",
         TaskType::extraction},
        {"Translate into French: Where is the train station?", TaskType::translation},
        {"Write a Python function that checks whether a string is a palindrome.", TaskType::code},
        {"Solve for x: 3x + 7 = 22.", TaskType::math},
        {"Write a short poem about the autumn rain.", TaskType::creative},
        {"请把这句话翻译成英文：我明天去北京。", TaskType::translation},
    };
    for (const auto& c : cases) {
        ClassifierInput input;
        input.text = c.text;
        input.prompt_tokens = 40;
        const Classification got = model.classify(input);
        EXPECT_EQ(task_name(got.task), task_name(c.task)) << c.text;
        EXPECT_GT(got.confidence, 0.0f);
    }
}
