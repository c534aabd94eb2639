#include "gaterouter/config/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace gaterouter::config;

namespace {

const char* kValid = R"(server:
  listen: "127.0.0.1:9000"
  workers: 3
  max_body_bytes: 1024
  idle_timeout_ms: 1500
upstream:
  connect_timeout_ms: 250
log: {level: debug, access_log: false}
providers:
  - name: p1
    kind: openai
    base_url: "https://api.example.com/v1"
    insecure_skip_verify: true
    headers: {x-team: blue}
models:
  - id: small
    provider: p1
    upstream_model: small-2025
    input_price_per_mtok: 0.5
    output_price_per_mtok: 1.5
    context_window: 8000
    max_output_tokens: 2000
    capabilities: [tools, vision]
    quality: {code: 0.7}
  - id: plain
    provider: p1
api_keys:
  - name: k
    sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
)";

// The problems of an invalid text, as "line path: message" lines.
std::vector<ConfigProblem> problems_of(const std::string& yaml) {
    try {
        load_config_text(yaml, "t.yaml");
    } catch (const ConfigError& e) {
        return e.problems();
    }
    ADD_FAILURE() << "expected the config to be refused";
    return {};
}

bool has_problem(const std::vector<ConfigProblem>& ps, const std::string& path, int line, const std::string& words) {
    for (const auto& p : ps) {
        if (p.path == path && p.line == line && p.message.find(words) != std::string::npos) return true;
    }
    return false;
}

const std::string kMinimal = "providers: [{name: p, kind: openai, base_url: 'http://h'}]\nmodels: [{id: m, provider: p}]\n";

}  // namespace

TEST(Config, ReadsEveryField) {
    const Config c = load_config_text(kValid, "t.yaml");
    EXPECT_EQ(c.server.listen_host, "127.0.0.1");
    EXPECT_EQ(c.server.listen_port, 9000);
    EXPECT_EQ(c.server.workers, 3u);
    EXPECT_EQ(c.server.max_body_bytes, 1024u);
    EXPECT_EQ(c.server.idle_timeout, Millis{1500});
    EXPECT_EQ(c.upstream.connect_timeout, Millis{250});
    EXPECT_EQ(c.log.level, "debug");
    EXPECT_FALSE(c.log.access_log);
    ASSERT_EQ(c.providers.size(), 1u);
    EXPECT_TRUE(c.providers[0].insecure_skip_verify);
    EXPECT_EQ(c.providers[0].headers.at("x-team"), "blue");
    EXPECT_EQ(c.providers[0].line, 10);
    ASSERT_EQ(c.models.size(), 2u);
    EXPECT_EQ(c.models[0].upstream_model, "small-2025");
    EXPECT_EQ(c.models[0].max_output_tokens, 2000u);
    EXPECT_EQ(c.models[0].capabilities, (std::vector<std::string>{"tools", "vision"}));
    EXPECT_DOUBLE_EQ(c.models[0].quality.at("code"), 0.7);
    EXPECT_EQ(c.models[1].upstream_model, "plain");  // defaults to the id
    EXPECT_EQ(c.models[1].capabilities, (std::vector<std::string>{"tools", "json", "streaming"}));
    EXPECT_EQ(c.api_keys.at(0).name, "k");
}

TEST(Config, DefaultsWhenSectionsAreAbsent) {
    const Config c = load_config_text(kMinimal, "t.yaml");
    EXPECT_EQ(c.server.listen_port, 8080);
    EXPECT_EQ(c.server.max_body_bytes, 16u * 1024 * 1024);
    EXPECT_EQ(c.upstream.total_timeout, Millis{600'000});
    EXPECT_TRUE(c.api_keys.empty());
}

TEST(Config, ReportsEveryProblemWithPathAndLine) {
    const auto ps = problems_of(R"(server:
  listne: "0.0.0.0:1"
  workers: many
providers:
  - name: p
    kind: smoke
    base_url: "nope"
  - name: p
    kind: openai
    base_url: "http://x"
    api_key: "sk-secret"
models:
  - id: m
    provider: p
  - id: m
    provider: ghost
api_keys:
  - {name: k, sha256: "XYZ"}
)");
    EXPECT_TRUE(has_problem(ps, "server.listne", 2, "did you mean 'listen'"));
    EXPECT_TRUE(has_problem(ps, "server.workers", 3, "expected an integer"));
    EXPECT_TRUE(has_problem(ps, "providers[0].kind", 6, "unknown kind 'smoke'"));
    EXPECT_TRUE(has_problem(ps, "providers[0].base_url", 7, "http://"));
    EXPECT_TRUE(has_problem(ps, "providers[1].name", 8, "duplicate provider"));
    EXPECT_TRUE(has_problem(ps, "providers[1].api_key", 11, "api_key_env"));
    EXPECT_TRUE(has_problem(ps, "models[1].id", 15, "duplicate model id"));
    EXPECT_TRUE(has_problem(ps, "models[1].provider", 15, "no provider named 'ghost'"));
    EXPECT_TRUE(has_problem(ps, "api_keys[0].sha256", 18, "64 lower-case hex"));
    EXPECT_EQ(ps.size(), 9u);
}

TEST(Config, ResolvesProviderKeysFromTheEnvironment) {
    const std::string yaml = "providers: [{name: p, kind: openai, base_url: 'http://h', api_key_env: GR_TEST_KEY}]\n"
                             "models: [{id: m, provider: p}]\n";
    unsetenv("GR_TEST_KEY");
    EXPECT_TRUE(has_problem(problems_of(yaml), "providers[0].api_key_env", 1, "GR_TEST_KEY is not set"));
    setenv("GR_TEST_KEY", "sk-from-env", 1);
    EXPECT_EQ(load_config_text(yaml, "t.yaml").providers[0].api_key, "sk-from-env");
    unsetenv("GR_TEST_KEY");
}

TEST(Config, ReportsYamlSyntaxErrorsWithTheirLine) {
    const auto ps = problems_of("providers:\n  - name: [unclosed\n");
    ASSERT_EQ(ps.size(), 1u);
    EXPECT_NE(ps[0].message.find("YAML syntax error"), std::string::npos);
    EXPECT_GE(ps[0].line, 2);
}

TEST(Config, MergesTheCatalogUnderItsOwnModels) {
    const auto dir = std::filesystem::temp_directory_path() / "gaterouter_config_test";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "models.yaml") << "models:\n"
                                          "  - {id: a, provider: p, input_price_per_mtok: 1}\n"
                                          "  - {id: b, provider: p, input_price_per_mtok: 2}\n"
                                          "  - {id: c, provider: not-configured}\n";
    std::ofstream(dir / "main.yaml") << "catalog: models.yaml\n"
                                        "providers: [{name: p, kind: openai, base_url: 'http://h'}]\n"
                                        "models: [{id: b, provider: p, input_price_per_mtok: 9}]\n";
    const Config c = load_config_file((dir / "main.yaml").string());
    ASSERT_EQ(c.models.size(), 2u);  // c's provider is not configured here
    EXPECT_EQ(c.models[0].id, "a");
    EXPECT_EQ(c.models[1].id, "b");
    EXPECT_DOUBLE_EQ(c.models[1].input_price_per_mtok, 9.0);  // the main file wins
    std::filesystem::remove_all(dir);
}

TEST(Config, TheShippedFilesAreValid) {
    const std::string root = GATEROUTER_SOURCE_DIR;
    const Config demo = load_config_file(root + "/config/gaterouter.yaml");
    EXPECT_FALSE(demo.models.empty());
}

TEST(Config, ReadsRoutingAndChecksFallbacks) {
    const Config c = load_config_text(
        "routing: {max_attempts: 2, breaker: {consecutive_failures: 3, cooldown_ms: 700}}\n" + kMinimal.substr(0, kMinimal.find("models")) +
            "models: [{id: m, provider: p, fallbacks: [n]}, {id: n, provider: p}]\n",
        "t.yaml");
    EXPECT_EQ(c.routing.max_attempts, 2u);
    EXPECT_EQ(c.routing.breaker.consecutive_failures, 3);
    EXPECT_EQ(c.routing.breaker.cooldown, Millis{700});
    EXPECT_EQ(c.models[0].fallbacks, (std::vector<std::string>{"n"}));
    const auto ps = problems_of(kMinimal.substr(0, kMinimal.find("models")) +
                                "models: [{id: m, provider: p, fallbacks: [ghost]}]\n");
    EXPECT_TRUE(has_problem(ps, "models.m.fallbacks", 2, "no model 'ghost'"));
}
