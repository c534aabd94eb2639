#include "gaterouter/catalog/task.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gaterouter/catalog/catalog.hpp"
#include "gaterouter/config/config.hpp"

using namespace gaterouter;
using namespace gaterouter::catalog;

namespace {

config::Config config_of(const std::string& models) {
    return config::load_config_text(
        "providers: [{name: p, kind: openai, base_url: 'http://h'}]\nmodels:\n" + models, "test.yaml");
}

}  // namespace

TEST(Task, NamesRoundTrip) {
    for (std::size_t i = 0; i < kTaskCount; ++i) {
        const auto task = static_cast<TaskType>(i);
        EXPECT_EQ(task_name(task), config::kTaskTypes[i]);
        EXPECT_EQ(parse_task(task_name(task)), task);
        EXPECT_EQ(index_of(task), i);
    }
    EXPECT_EQ(task_name(TaskType::chat), "chat");
    EXPECT_EQ(task_name(TaskType::creative), "creative");
    EXPECT_EQ(parse_task("code"), TaskType::code);
    for (const char* bad : {"", "Code", "coding", "chat ", "auto"}) EXPECT_FALSE(parse_task(bad)) << bad;
}

TEST(Weight, NamesRoundTrip) {
    const std::vector<std::pair<Weight, std::string>> all = {
        {Weight::light, "light"}, {Weight::standard, "standard"}, {Weight::heavy, "heavy"}};
    ASSERT_EQ(all.size(), kWeightCount);
    for (const auto& [weight, name] : all) {
        EXPECT_EQ(weight_name(weight), name);
        EXPECT_EQ(parse_weight(name), weight);
    }
    EXPECT_EQ(index_of(Weight::light), 0u);
    EXPECT_EQ(index_of(Weight::heavy), 2u);
    for (const char* bad : {"", "Heavy", "medium", "normal"}) EXPECT_FALSE(parse_weight(bad)) << bad;
}

TEST(CatalogQuality, MissingTasksGetTheMeanOfTheDeclaredPriors) {
    const config::Config c = config_of(
        "  - {id: some, provider: p, quality: {code: 0.9, math: 0.6, chat: 0.3}}\n"
        "  - {id: one, provider: p, quality: {reasoning: 0.8}}\n"
        "  - {id: none, provider: p}\n"
        "  - {id: all, provider: p, quality: {chat: 0.1, classification: 0.2, summarization: 0.3, "
        "extraction: 0.4, translation: 0.5, code: 0.6, math: 0.7, reasoning: 0.8, creative: 0.9}}\n");
    const Catalog catalog(c);

    const Model& some = *catalog.find_model("some");
    EXPECT_DOUBLE_EQ(some.quality_for(TaskType::code), 0.9);
    EXPECT_DOUBLE_EQ(some.quality_for(TaskType::math), 0.6);
    EXPECT_DOUBLE_EQ(some.quality_for(TaskType::chat), 0.3);
    for (TaskType t : {TaskType::classification, TaskType::summarization, TaskType::extraction,
                       TaskType::translation, TaskType::reasoning, TaskType::creative}) {
        EXPECT_DOUBLE_EQ(some.quality_for(t), (0.9 + 0.6 + 0.3) / 3) << task_name(t);
    }

    const Model& one = *catalog.find_model("one");
    for (std::size_t i = 0; i < kTaskCount; ++i) EXPECT_DOUBLE_EQ(one.quality[i], 0.8);

    const Model& none = *catalog.find_model("none");
    for (std::size_t i = 0; i < kTaskCount; ++i) EXPECT_DOUBLE_EQ(none.quality[i], 0.5);

    const Model& all = *catalog.find_model("all");
    for (std::size_t i = 0; i < kTaskCount; ++i)
        EXPECT_DOUBLE_EQ(all.quality[i], 0.1 * static_cast<double>(i + 1)) << config::kTaskTypes[i];
}

TEST(CatalogFits, AgreesWithUnfitForOverARangeOfNeeds) {
    const config::Config c = config_of(
        "  - {id: defaults, provider: p}\n"
        "  - {id: bare, provider: p, capabilities: []}\n"
        "  - {id: small, provider: p, capabilities: [streaming], context_window: 1000, max_output_tokens: "
        "200}\n"
        "  - {id: wide, provider: p, capabilities: [tools, vision, json, streaming, reasoning], "
        "context_window: 200000, max_output_tokens: 16000}\n"
        "  - {id: embed, provider: p, capabilities: [embeddings], context_window: 8000}\n");
    const Catalog catalog(c);

    const std::vector<unsigned> capability_sets = {0u,
                                                   kTools,
                                                   kVision,
                                                   kJson,
                                                   kStreaming,
                                                   kReasoning,
                                                   kEmbeddings,
                                                   kTools | kVision | kJson | kStreaming,
                                                   kJson | kReasoning};
    const std::vector<std::uint32_t> prompts = {0,   1,    799,  800,     801,
                                                999, 1000, 1001, 100'000, 4'000'000'000u};
    const std::vector<std::uint32_t> outputs = {0, 1, 200, 201, 16'000, 16'001, 4'000'000'000u};
    int checked = 0, fitting = 0;
    for (const auto& m : catalog.models()) {
        for (unsigned caps : capability_sets) {
            for (std::uint32_t prompt : prompts) {
                for (std::uint32_t output : outputs) {
                    const Needs needs{caps, prompt, output};
                    const std::string why = m->unfit_for(needs);
                    EXPECT_EQ(m->fits(needs), why.empty())
                        << m->id << " caps=" << caps << " prompt=" << prompt << " output=" << output << ": "
                        << why;
                    if (!why.empty()) {
                        EXPECT_NE(why.find("model '" + m->id + "'"), std::string::npos) << why;
                    }
                    ++checked;
                    fitting += m->fits(needs) ? 1 : 0;
                }
            }
        }
    }
    EXPECT_GT(fitting, 0);
    EXPECT_LT(fitting, checked);
}

TEST(CatalogFits, EachReasonNamesWhatIsMissing) {
    const config::Config c = config_of(
        "  - {id: defaults, provider: p}\n"
        "  - {id: small, provider: p, capabilities: [streaming], context_window: 1000, max_output_tokens: "
        "200}\n"
        "  - {id: embed, provider: p, capabilities: [embeddings], context_window: 8000}\n");
    const Catalog catalog(c);
    const Model& defaults = *catalog.find_model("defaults");
    const Model& small = *catalog.find_model("small");
    const Model& embed = *catalog.find_model("embed");

    // Declared without capabilities: tools, json and streaming.
    EXPECT_TRUE(defaults.fits({kTools | kJson | kStreaming, 0, 0}));
    EXPECT_EQ(defaults.unfit_for({kVision, 0, 0}), "model 'defaults' does not accept image inputs");
    EXPECT_EQ(defaults.unfit_for({kReasoning, 0, 0}), "model 'defaults' is not a reasoning model");
    EXPECT_TRUE(defaults.fits({0, 4'000'000'000u, 4'000'000'000u}));  // no limits known: none checked

    EXPECT_EQ(small.unfit_for({kTools, 0, 0}), "model 'small' does not support tools (function calling)");
    EXPECT_EQ(small.unfit_for({0, 900, 0}), "");
    EXPECT_EQ(small.unfit_for({0, 900, 100}), "");  // exactly the window
    EXPECT_EQ(small.unfit_for({0, 900, 101}),
              "model 'small' has a context window of 1000 tokens, and this request needs about 900 for the "
              "prompt plus 101 to answer");
    EXPECT_EQ(small.unfit_for({0, 1001, 0}),
              "model 'small' has a context window of 1000 tokens, and this request needs about 1001 for the "
              "prompt");
    EXPECT_EQ(small.unfit_for({0, 10, 201}),
              "model 'small' writes at most 200 tokens, and the request asks for 201");
    // A huge prompt plus a huge limit does not wrap around.
    EXPECT_FALSE(small.fits({0, 4'000'000'000u, 4'000'000'000u}));

    EXPECT_EQ(embed.unfit_for({0, 10, 0}), "model 'embed' is an embeddings model; use POST /v1/embeddings");
    EXPECT_TRUE(embed.fits({kEmbeddings, 10, 0}));
    EXPECT_EQ(defaults.unfit_for({kEmbeddings, 0, 0}), "model 'defaults' is not an embeddings model");
}
