#include "gaterouter/classify/task_classifier.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gaterouter/classify/trainer.hpp"

using namespace gaterouter::classify;

namespace {

// A tiny synthetic set: each task has its own vocabulary.
const std::vector<std::pair<TaskType, std::string>> kSynthetic = {
    {TaskType::chat, "hey how are you doing today"},
    {TaskType::chat, "hello friend nice to meet you"},
    {TaskType::chat, "good morning how was your weekend"},
    {TaskType::classification, "classify the sentiment of this review as positive or negative"},
    {TaskType::classification, "label this ticket category billing or technical"},
    {TaskType::classification, "is this message spam classify it"},
    {TaskType::summarization, "summarize this article in three bullet points"},
    {TaskType::summarization, "give a short summary of the meeting notes"},
    {TaskType::summarization, "tl;dr summarize the following thread"},
    {TaskType::extraction, "extract every email address and phone number from the text"},
    {TaskType::extraction, "pull out the dates and amounts from this invoice"},
    {TaskType::extraction, "extract the names of all companies mentioned"},
    {TaskType::translation, "translate this sentence into french"},
    {TaskType::translation, "translate the paragraph from german to english"},
    {TaskType::translation, "how do you say thank you in japanese translate"},
    {TaskType::code, "write a python function that sorts a list"},
    {TaskType::code, "fix the bug in this javascript function returning undefined"},
    {TaskType::code, "implement a rust struct with a constructor function"},
    {TaskType::math, "solve the equation 3x + 5 = 20 for x"},
    {TaskType::math, "compute the integral of x^2 from 0 to 1"},
    {TaskType::math, "what is the derivative of sin(x) * x^2"},
    {TaskType::reasoning, "if all cats are mammals and tom is a cat is tom a mammal explain the logic"},
    {TaskType::reasoning, "three people one liar who is lying deduce it logically"},
    {TaskType::reasoning, "weigh the pros and cons and decide which plan is better logically"},
    {TaskType::creative, "write a poem about the sea and the moon"},
    {TaskType::creative, "tell a bedtime story about a brave dragon"},
    {TaskType::creative, "write a funny poem for my sister's birthday"},
};

std::vector<TrainingExample> synthetic_examples() {
    std::vector<TrainingExample> out;
    for (const auto& [task, text] : kSynthetic) out.push_back({task, extract_features(text)});
    return out;
}

TrainingOptions quick_options() {
    TrainingOptions o;
    o.epochs = 30;
    return o;
}

TaskType predict(const TaskClassifier& model, std::string_view text) {
    ClassifierInput input;
    input.text = text;
    return model.classify(input).task;
}

std::string model_text(const TaskClassifier& model) {
    std::ostringstream out;
    model.write(out);
    return out.str();
}

const std::string kHeaderStart = "gaterouter-task-classifier 1 features " + std::to_string(kFeatureVersion) +
                                 " buckets " + std::to_string(kFeatureBuckets) + " classes ";
const std::string kHeader =
    kHeaderStart + "chat,classification,summarization,extraction,translation,code,math,reasoning,creative\n";

std::string read_error(const std::string& text) {
    std::istringstream in(text);
    try {
        TaskClassifier::read(in, "model.txt");
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(TaskNames, RoundTrip) {
    for (std::size_t i = 0; i < kTaskCount; ++i) {
        const auto task = static_cast<TaskType>(i);
        EXPECT_EQ(parse_task(task_name(task)), task);
    }
    EXPECT_EQ(task_name(TaskType::summarization), "summarization");
    EXPECT_FALSE(parse_task("poetry"));
    EXPECT_EQ(parse_weight("heavy"), Weight::heavy);
    EXPECT_EQ(weight_name(Weight::light), "light");
    EXPECT_FALSE(parse_weight("medium"));
}

TEST(TaskClassifier, AnUntrainedModelIsUniform) {
    const TaskClassifier model;
    ClassifierInput input;
    input.text = "anything at all";
    const auto c = model.classify(input);
    EXPECT_EQ(c.task, TaskType::chat);
    EXPECT_NEAR(c.confidence, 1.0f / kTaskCount, 1e-6f);
}

TEST(TaskClassifier, TrainingLearnsATinySyntheticSet) {
    const auto examples = synthetic_examples();
    const TaskClassifier model = train(examples, quick_options());
    const Evaluation e = evaluate(model, examples);
    EXPECT_EQ(e.correct(), e.total());
    EXPECT_DOUBLE_EQ(e.accuracy(), 1.0);
    EXPECT_DOUBLE_EQ(e.recall(TaskType::math), 1.0);

    // And generalises to new phrasings built from the same vocabulary.
    EXPECT_EQ(predict(model, "please translate this into french"), TaskType::translation);
    EXPECT_EQ(predict(model, "write a poem about the moon"), TaskType::creative);
    EXPECT_EQ(predict(model, "extract the phone number from this text"), TaskType::extraction);
    EXPECT_EQ(predict(model, "summarize these meeting notes"), TaskType::summarization);
    EXPECT_EQ(predict(model, "fix this python function"), TaskType::code);

    ClassifierInput input;
    input.text = "solve the equation 2x = 10";
    const auto c = model.classify(input);
    EXPECT_EQ(c.task, TaskType::math);
    EXPECT_GT(c.confidence, 0.3f);
    EXPECT_LE(c.confidence, 1.0f);
}

TEST(TaskClassifier, TrainingIsDeterministic) {
    const auto examples = synthetic_examples();
    EXPECT_EQ(model_text(train(examples, quick_options())), model_text(train(examples, quick_options())));
    TrainingOptions other = quick_options();
    other.seed = 7;
    EXPECT_NE(model_text(train(examples, quick_options())), model_text(train(examples, other)));
}

TEST(TaskClassifier, WritesAndReadsBackTheSameModel) {
    const TaskClassifier model = train(synthetic_examples(), quick_options());
    const std::string text = model_text(model);
    EXPECT_EQ(text.rfind(kHeader, 0), 0u);
    std::istringstream in(text);
    const TaskClassifier back = TaskClassifier::read(in, "memory");
    EXPECT_EQ(back.weight_count(), model.weight_count());
    EXPECT_EQ(model_text(back), text);
    const auto features = extract_features("translate this into german please");
    const auto p = model.probabilities(features), q = back.probabilities(features);
    for (std::size_t c = 0; c < kTaskCount; ++c) EXPECT_NEAR(p[c], q[c], 1e-3f);

    const std::string path = ::testing::TempDir() + "task_classifier_model.txt";
    model.save(path);
    EXPECT_EQ(model_text(TaskClassifier::load(path)), text);
}

TEST(TaskClassifier, PruningDropsSmallWeights) {
    TrainingOptions light_pruning = quick_options(), heavy_pruning = quick_options();
    light_pruning.prune_below = 0.001f;
    heavy_pruning.prune_below = 0.3f;
    const auto examples = synthetic_examples();
    EXPECT_LT(train(examples, heavy_pruning).weight_count(), train(examples, light_pruning).weight_count());
}

TEST(TaskClassifier, QuotedMaterialWeighsLessThanTheRequest) {
    const TaskClassifier model = train(synthetic_examples(), quick_options());
    EXPECT_EQ(predict(model, "write a poem about the sea and the moon"), TaskType::creative);
    EXPECT_EQ(predict(model, "Translate into French: \"write a poem about the sea and the moon\""),
              TaskType::translation);
    EXPECT_EQ(predict(model, "Summarize: «write a poem about the sea and the moon, a funny poem»"),
              TaskType::summarization);
}

TEST(TaskClassifier, CueWordsCarryAcrossLanguages) {
    // Trained on English only: the cue lexicon maps these words onto the English ones' task cues.
    const TaskClassifier model = train(synthetic_examples(), quick_options());
    EXPECT_EQ(predict(model, "Übersetze bitte ins Deutsche"), TaskType::translation);
    EXPECT_EQ(predict(model, "Résume cet article en deux phrases"), TaskType::summarization);
    EXPECT_EQ(predict(model, "把这段话翻译成日语"), TaskType::translation);
    EXPECT_EQ(predict(model, "Напиши стихотворение о море"), TaskType::creative);
}

TEST(TaskClassifier, TheLoaderRejectsMalformedFiles) {
    const std::string bias = "bias 0 0.5\n";
    struct Case {
        std::string text;
        std::string expected;  // a piece of the message
    };
    const std::vector<Case> cases = {
        {"", "empty file"},
        {"hello world\n", "not a task classifier model"},
        {"gaterouter-task-classifier 1 features 1\n", "bad header"},
        {"gaterouter-task-classifier 2 features 1 buckets 262144 classes chat\n",
         "unsupported format version 2"},
        {"gaterouter-task-classifier 1 features 99 buckets 262144 classes chat\n", "retrain"},
        {"gaterouter-task-classifier 1 features " + std::to_string(kFeatureVersion) +
             " buckets 1024 classes chat\n",
         "1024 feature buckets"},
        {kHeaderStart + "chat,code\n", "missing"},
        {kHeaderStart + "chat,poetry\n", "unknown class 'poetry'"},
        {kHeaderStart + "chat,chat\n", "listed twice"},
        {kHeader + bias + "12 3\n", "model.txt:3: expected 'bucket class weight'"},
        {kHeader + "12 3 0.5 7\n", "model.txt:2:"},
        {kHeader + "twelve 3 0.5\n", "bad bucket 'twelve'"},
        {kHeader + "12 x 0.5\n", "bad class index"},
        {kHeader + "12 9 0.5\n", "class index out of range"},
        {kHeader + "262144 0 0.5\n", "bucket out of range"},
        {kHeader + "-1 0 0.5\n", "bad bucket"},
        {kHeader + "12 3 abc\n", "bad weight 'abc'"},
        {kHeader + "12 3 0.5e\n", "bad weight"},
        {kHeader + "12 3 nan\n", "not a finite number"},
        {kHeader + "12 3 inf\n", "not a finite number"},
        {kHeader + bias + bias, "bias given twice"},
        {kHeader + "12 3 0.5\n12 3 0.25\n", "given twice"},
    };
    for (const auto& c : cases) {
        const std::string message = read_error(c.text);
        EXPECT_NE(message.find(c.expected), std::string::npos)
            << "input: " << c.text << "\nmessage: " << message;
        EXPECT_NE(message.find("model.txt"), std::string::npos) << message;
    }
    EXPECT_EQ(read_error(kHeader + bias + "12 3 0.5\n\n7 8 -1e-3\r\n"), "");  // blank lines and CRLF are fine
}

TEST(TaskClassifier, RefusesAModelTrainedOnOlderFeatures) {
    const std::string older = std::to_string(kFeatureVersion - 1);
    std::string text = kHeader + "bias 0 0.5\n12 3 0.5\n";
    const std::string version = " features " + std::to_string(kFeatureVersion) + " ";
    text.replace(text.find(version), version.size(), " features " + older + " ");
    const std::string expected = "model.txt:1: trained on feature version " + older +
                                 ", this build extracts version " + std::to_string(kFeatureVersion) +
                                 ": retrain the model";
    EXPECT_NE(read_error(text).find(expected), std::string::npos) << read_error(text);
}

TEST(TaskClassifier, LoadNamesAMissingFile) {
    try {
        TaskClassifier::load("/nonexistent/model.txt");
        FAIL() << "expected an exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/model.txt"), std::string::npos);
    }
}

TEST(WeightClass, FollowsTheRule) {
    ClassifierInput in;
    in.text = "hi there";
    in.prompt_tokens = 10;
    // Short prompts of simple tasks are light, unless tools are involved or a long answer is allowed.
    EXPECT_EQ(weight_class(TaskType::chat, in), Weight::light);
    EXPECT_EQ(weight_class(TaskType::translation, in), Weight::light);
    EXPECT_EQ(weight_class(TaskType::classification, in), Weight::light);
    EXPECT_EQ(weight_class(TaskType::extraction, in), Weight::light);
    in.max_tokens = 512;
    EXPECT_EQ(weight_class(TaskType::chat, in), Weight::light);
    in.max_tokens = 1000;
    EXPECT_EQ(weight_class(TaskType::chat, in), Weight::standard);
    in.max_tokens.reset();
    in.has_tools = true;
    EXPECT_EQ(weight_class(TaskType::chat, in), Weight::standard);
    in.has_tools = false;
    in.prompt_tokens = 60;
    EXPECT_EQ(weight_class(TaskType::chat, in), Weight::standard);

    // Other tasks are never light.
    in.prompt_tokens = 10;
    EXPECT_EQ(weight_class(TaskType::creative, in), Weight::standard);
    EXPECT_EQ(weight_class(TaskType::summarization, in), Weight::standard);
    EXPECT_EQ(weight_class(TaskType::code, in), Weight::standard);
    EXPECT_EQ(weight_class(TaskType::math, in), Weight::standard);

    // Deep tasks become heavy with a long prompt or a cue for deliberate work; other tasks do not.
    in.prompt_tokens = 801;
    EXPECT_EQ(weight_class(TaskType::code, in), Weight::heavy);
    EXPECT_EQ(weight_class(TaskType::summarization, in), Weight::standard);
    in.prompt_tokens = 30;
    in.text = "Prove that there are infinitely many primes.";
    EXPECT_EQ(weight_class(TaskType::math, in), Weight::heavy);
    EXPECT_EQ(weight_class(TaskType::reasoning, in), Weight::heavy);
    EXPECT_EQ(weight_class(TaskType::chat, in), Weight::light);  // cues matter only for the deep tasks
    EXPECT_EQ(weight_class(TaskType::creative, in), Weight::standard);
    in.text = "Let's think step by step about the schedule.";
    EXPECT_EQ(weight_class(TaskType::reasoning, in), Weight::heavy);

    // Any task is heavy with a very long prompt or a very long answer allowed.
    in.text = "hi";
    in.prompt_tokens = 3001;
    EXPECT_EQ(weight_class(TaskType::chat, in), Weight::heavy);
    in.prompt_tokens = 10;
    in.max_tokens = 2001;
    EXPECT_EQ(weight_class(TaskType::translation, in), Weight::heavy);
    in.max_tokens = 2000;
    EXPECT_EQ(weight_class(TaskType::translation, in), Weight::standard);
}

TEST(WeightClass, ReasoningCues) {
    EXPECT_TRUE(has_reasoning_cue("Think STEP BY STEP."));
    EXPECT_TRUE(has_reasoning_cue("please analyse the trade-offs"));
    EXPECT_TRUE(has_reasoning_cue("Analyze this"));
    EXPECT_TRUE(has_reasoning_cue("Design a rate limiter"));
    EXPECT_TRUE(has_reasoning_cue("derive the formula"));
    EXPECT_FALSE(has_reasoning_cue("improve my essay"));  // "prove" only at a word start
    EXPECT_FALSE(has_reasoning_cue("hello there"));
    EXPECT_FALSE(has_reasoning_cue(""));
    // Within the byte budget only: a cue in the middle of a long prompt is not seen, one at its end is.
    const std::string filler(100'000, 'x');
    EXPECT_FALSE(has_reasoning_cue(filler + " prove it " + filler));
    EXPECT_TRUE(has_reasoning_cue(filler + " prove it"));
}
