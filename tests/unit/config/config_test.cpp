#include "gaterouter/config/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace gaterouter::config;

namespace {

// A valid tail for texts that test other sections: it starts after their last line, so it shifts no line.
const std::string kProvidersAndModels =
    "providers: [{name: p, kind: openai, base_url: 'http://h'}]\n"
    "models: [{id: m, provider: p}]\n";

const char* kSha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

// The problems of a text that must be refused.
std::vector<ConfigProblem> problems_of(const std::string& yaml) {
    try {
        load_config_text(yaml, "t.yaml");
    } catch (const ConfigError& e) {
        return e.problems();
    }
    ADD_FAILURE() << "expected the config to be refused:\n" << yaml;
    return {};
}

std::string listed(const std::vector<ConfigProblem>& problems) {
    std::ostringstream out;
    for (const auto& p : problems) out << "\n  " << p.line << " " << p.path << ": " << p.message;
    return out.str();
}

// Passes when one problem is at `line` and `path` with `words` in its message; else shows them all.
::testing::AssertionResult has_problem(const std::vector<ConfigProblem>& problems, int line,
                                       const std::string& path, const std::string& words) {
    for (const auto& p : problems) {
        if (p.line == line && p.path == path && p.message.find(words) != std::string::npos) {
            return ::testing::AssertionSuccess();
        }
    }
    return ::testing::AssertionFailure() << "no problem at line " << line << ", " << path << " saying '"
                                         << words << "' among:" << listed(problems);
}

// Sets an environment variable for the life of one test.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
    ~ScopedEnv() { unsetenv(name_); }

  private:
    const char* name_;
};

}  // namespace

TEST(Config, ReadsEveryField) {
    const ScopedEnv env("GR_TEST_FULL_KEY", "sk-full");
    const Config c = load_config_text(R"(server:
  listen: "[::1]:9000"
  workers: 3
  max_header_bytes: 8192
  max_body_bytes: 1024
  idle_timeout_ms: 1500
  read_timeout_ms: 1600
  write_timeout_ms: 1700
  shutdown_grace_ms: 1800
upstream:
  connect_timeout_ms: 250
  first_byte_timeout_ms: 260
  idle_timeout_ms: 270
  total_timeout_ms: 280
  max_idle_per_origin: 7
  pool_idle_ttl_ms: 290
  dns_ttl_ms: 300
log: {level: debug, access_log: false}
routing: {max_attempts: 2, breaker: {consecutive_failures: 3, error_rate: 0.25, min_requests: 4,
          window_ms: 500, cooldown_ms: 700, half_open_probes: 1}}
providers:
  - name: p1
    kind: openai
    base_url: "https://api.example.com/v1"
    api_key_env: GR_TEST_FULL_KEY
    insecure_skip_verify: true
    headers: {x-team: blue, x-env: prod}
  - {name: az, kind: azure, base_url: "https://x.openai.azure.com/openai"}
models:
  - id: small
    provider: p1
    upstream_model: small-2025
    input_price_per_mtok: 0.5
    output_price_per_mtok: 1.5
    context_window: 8000
    max_output_tokens: 2000
    capabilities: [tools, vision]
    quality: {code: 0.7, math: 1}
    fallbacks: [plain]
  - id: plain
    provider: az
api_keys:
  - name: k
    sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
)",
                                      "full.yaml");
    EXPECT_EQ(c.source_path, "full.yaml");
    EXPECT_EQ(c.server.listen_host, "::1");
    EXPECT_EQ(c.server.listen_port, 9000);
    EXPECT_EQ(c.server.workers, 3u);
    EXPECT_EQ(c.server.max_header_bytes, 8192u);
    EXPECT_EQ(c.server.max_body_bytes, 1024u);
    EXPECT_EQ(c.server.idle_timeout, Millis{1500});
    EXPECT_EQ(c.server.read_timeout, Millis{1600});
    EXPECT_EQ(c.server.write_timeout, Millis{1700});
    EXPECT_EQ(c.server.shutdown_grace, Millis{1800});
    EXPECT_EQ(c.upstream.connect_timeout, Millis{250});
    EXPECT_EQ(c.upstream.first_byte_timeout, Millis{260});
    EXPECT_EQ(c.upstream.idle_timeout, Millis{270});
    EXPECT_EQ(c.upstream.total_timeout, Millis{280});
    EXPECT_EQ(c.upstream.max_idle_per_origin, 7u);
    EXPECT_EQ(c.upstream.pool_idle_ttl, Millis{290});
    EXPECT_EQ(c.upstream.dns_ttl, Millis{300});
    EXPECT_EQ(c.log.level, "debug");
    EXPECT_FALSE(c.log.access_log);
    EXPECT_EQ(c.routing.max_attempts, 2u);
    EXPECT_EQ(c.routing.breaker.consecutive_failures, 3);
    EXPECT_DOUBLE_EQ(c.routing.breaker.error_rate, 0.25);
    EXPECT_EQ(c.routing.breaker.min_requests, 4);
    EXPECT_EQ(c.routing.breaker.window, Millis{500});
    EXPECT_EQ(c.routing.breaker.cooldown, Millis{700});
    EXPECT_EQ(c.routing.breaker.half_open_probes, 1);

    ASSERT_EQ(c.providers.size(), 2u);
    const ProviderConfig& p = c.providers[0];
    EXPECT_EQ(p.name, "p1");
    EXPECT_EQ(p.kind, "openai");
    EXPECT_EQ(p.base_url, "https://api.example.com/v1");
    EXPECT_EQ(p.api_key_env, "GR_TEST_FULL_KEY");
    EXPECT_EQ(p.api_key, "sk-full");
    EXPECT_TRUE(p.insecure_skip_verify);
    EXPECT_EQ(p.headers, (std::map<std::string, std::string>{{"x-team", "blue"}, {"x-env", "prod"}}));
    EXPECT_EQ(p.line, 22);
    EXPECT_EQ(c.providers[1].api_version, "2024-10-21");  // azure's default
    EXPECT_EQ(c.providers[1].line, 28);

    ASSERT_EQ(c.models.size(), 2u);
    const ModelConfig& m = c.models[0];
    EXPECT_EQ(m.id, "small");
    EXPECT_EQ(m.provider, "p1");
    EXPECT_EQ(m.upstream_model, "small-2025");
    EXPECT_DOUBLE_EQ(m.input_price_per_mtok, 0.5);
    EXPECT_DOUBLE_EQ(m.output_price_per_mtok, 1.5);
    EXPECT_EQ(m.context_window, 8000u);
    EXPECT_EQ(m.max_output_tokens, 2000u);
    EXPECT_EQ(m.capabilities, (std::vector<std::string>{"tools", "vision"}));
    EXPECT_EQ(m.quality, (std::map<std::string, double>{{"code", 0.7}, {"math", 1.0}}));
    EXPECT_EQ(m.fallbacks, (std::vector<std::string>{"plain"}));
    EXPECT_EQ(m.source, "full.yaml");
    EXPECT_EQ(m.line, 30);
    EXPECT_EQ(c.models[1].line, 40);

    ASSERT_EQ(c.api_keys.size(), 1u);
    EXPECT_EQ(c.api_keys[0].name, "k");
    EXPECT_EQ(c.api_keys[0].sha256, kSha);
}

TEST(Config, DefaultsWhenSectionsAreMissing) {
    const Config c = load_config_text(kProvidersAndModels, "t.yaml");
    const ServerConfig server;
    EXPECT_EQ(c.server.listen_host, "0.0.0.0");
    EXPECT_EQ(c.server.listen_port, 8080);
    EXPECT_EQ(c.server.workers, 0u);
    EXPECT_EQ(c.server.max_header_bytes, server.max_header_bytes);
    EXPECT_EQ(c.server.max_body_bytes, 16u * 1024 * 1024);
    EXPECT_EQ(c.server.idle_timeout, server.idle_timeout);
    EXPECT_EQ(c.server.shutdown_grace, server.shutdown_grace);
    EXPECT_EQ(c.upstream.connect_timeout, UpstreamConfig{}.connect_timeout);
    EXPECT_EQ(c.upstream.total_timeout, Millis{600'000});
    EXPECT_EQ(c.log.level, "info");
    EXPECT_TRUE(c.log.access_log);
    EXPECT_EQ(c.routing.max_attempts, RoutingConfig{}.max_attempts);
    EXPECT_TRUE(c.api_keys.empty());
    EXPECT_TRUE(c.catalog_path.empty());

    ASSERT_EQ(c.providers.size(), 1u);
    EXPECT_TRUE(c.providers[0].api_key.empty());
    EXPECT_FALSE(c.providers[0].insecure_skip_verify);
    EXPECT_EQ(c.providers[0].line, 1);
    ASSERT_EQ(c.models.size(), 1u);
    EXPECT_EQ(c.models[0].upstream_model, "m");  // defaults to the id
    EXPECT_EQ(c.models[0].capabilities, (std::vector<std::string>{"tools", "json", "streaming"}));
    EXPECT_EQ(c.models[0].line, 2);
}

TEST(Config, NullValuesKeepTheirDefaults) {
    const Config c = load_config_text("server:\n  workers:\nlog:\n" + kProvidersAndModels, "t.yaml");
    EXPECT_EQ(c.server.workers, 0u);
    EXPECT_EQ(c.log.level, "info");
}

TEST(Config, ReadsListenAddresses) {
    const auto listen = [](const std::string& value) {
        return load_config_text("server: {listen: \"" + value + "\"}\n" + kProvidersAndModels, "t.yaml")
            .server;
    };
    EXPECT_EQ(listen("127.0.0.1:0").listen_port, 0);
    EXPECT_EQ(listen("0.0.0.0:65535").listen_port, 65535);
    EXPECT_EQ(listen("[::1]:8080").listen_host, "::1");
    EXPECT_EQ(listen("[::]:1").listen_host, "::");
    for (const char* bad : {"8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                            "127.0.0.1:8x", "localhost:8080", ":8080", "::1:8080", "[::1]", "[::1]8080"}) {
        const auto ps =
            problems_of("server:\n  listen: \"" + std::string(bad) + "\"\n" + kProvidersAndModels);
        EXPECT_TRUE(has_problem(ps, 2, "server.listen", "port from 0 to 65535")) << bad;
        EXPECT_EQ(ps.size(), 1u) << bad;
    }
}

TEST(Config, FormatsEachProblemAsFileLinePathMessage) {
    try {
        load_config_text("log:\n  level: loud\n" + kProvidersAndModels, "conf/g.yaml");
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_STREQ(e.what(),
                     "conf/g.yaml:2: log.level: unknown log level 'loud' "
                     "(known: trace, debug, info, warn, error, critical, off)");
        ASSERT_EQ(e.problems().size(), 1u);
        EXPECT_EQ(e.problems()[0].path, "log.level");
        EXPECT_EQ(e.problems()[0].line, 2);
    }
}

TEST(Config, ReportsYamlSyntaxErrorsWithTheirLine) {
    const auto ps = problems_of("server:\n  listen: \"127.0.0.1:0\"\n  workers: [1, 2\nlog: {level: info}\n");
    ASSERT_EQ(ps.size(), 1u) << listed(ps);
    EXPECT_TRUE(has_problem(ps, 4, "", "YAML syntax error"));
    EXPECT_TRUE(has_problem(problems_of("a: 1\n  b: 2\n"), 2, "", "YAML syntax error"));
}

TEST(Config, RefusesUnknownKeysAndSuggestsTheClosest) {
    const auto ps = problems_of(R"(server:
  listne: "0.0.0.0:1"
  idle_timeout: 5
  foo: 1
upstreem: {}
log: {Level: info}
providers: [{name: p, kind: openai, knid: x, base_url: 'http://h', api_key_envv: X}]
models: [{id: m, provider: p, contex_window: 5}]
)");
    EXPECT_TRUE(has_problem(ps, 2, "server.listne", "unknown key 'listne', did you mean 'listen'?"));
    EXPECT_TRUE(has_problem(ps, 3, "server.idle_timeout", "did you mean 'idle_timeout_ms'?"));
    EXPECT_TRUE(has_problem(ps, 4, "server.foo", "unknown key 'foo'"));
    EXPECT_TRUE(has_problem(ps, 5, "upstreem", "did you mean 'upstream'?"));
    EXPECT_TRUE(has_problem(ps, 6, "log.Level", "did you mean 'level'?"));
    EXPECT_TRUE(has_problem(ps, 7, "providers[0].api_key_envv", "did you mean 'api_key_env'?"));
    EXPECT_TRUE(has_problem(ps, 7, "providers[0].knid", "did you mean 'kind'?"));  // a swap is one typo
    EXPECT_TRUE(has_problem(ps, 8, "models[0].contex_window", "did you mean 'context_window'?"));
    ASSERT_EQ(ps.size(), 8u) << listed(ps);
    EXPECT_EQ(ps[2].message, "unknown key 'foo'");  // nothing close: no guess
}

TEST(Config, RefusesRepeatedKeys) {
    const auto ps = problems_of("log:\n  level: info\n  level: debug\n" + kProvidersAndModels);
    EXPECT_TRUE(has_problem(ps, 3, "log.level", "duplicate key 'level'"));
}

TEST(Config, RefusesValuesOfTheWrongType) {
    const auto ps = problems_of(R"(server:
  workers: many
  max_body_bytes: 0
  idle_timeout_ms: 0
  read_timeout_ms: -5
  write_timeout_ms: "3000"
  max_header_bytes: 1.5
log: {access_log: yes}
upstream: [1, 2]
routing: {breaker: {error_rate: 2}}
providers:
  - {name: p, kind: openai, base_url: 'http://h', headers: [a], insecure_skip_verify: 1}
models:
  - {id: m, provider: p, input_price_per_mtok: -1, context_window: big, capabilities: tools}
  - {id: [n], provider: p, quality: {code: high}}
api_keys: {name: k}
)");
    EXPECT_TRUE(has_problem(ps, 2, "server.workers", "expected an integer, got 'many'"));
    EXPECT_TRUE(has_problem(ps, 3, "server.max_body_bytes", "must be between 1 and"));
    EXPECT_TRUE(has_problem(ps, 4, "server.idle_timeout_ms", "must be between 1 and 86400000, got 0"));
    EXPECT_TRUE(has_problem(ps, 5, "server.read_timeout_ms", "got -5"));
    EXPECT_TRUE(
        has_problem(ps, 6, "server.write_timeout_ms", "expected an integer, got the string \"3000\""));
    EXPECT_TRUE(has_problem(ps, 7, "server.max_header_bytes", "expected an integer, got '1.5'"));
    EXPECT_TRUE(has_problem(ps, 8, "log.access_log", "expected true or false, got 'yes'"));
    EXPECT_TRUE(has_problem(ps, 9, "upstream", "expected a mapping of keys to values, got a list"));
    EXPECT_TRUE(has_problem(ps, 10, "routing.breaker.error_rate", "must be between 0.01 and 1, got 2"));
    EXPECT_TRUE(
        has_problem(ps, 12, "providers[0].headers", "expected a mapping of keys to values, got a list"));
    EXPECT_TRUE(has_problem(ps, 12, "providers[0].insecure_skip_verify", "expected true or false, got '1'"));
    EXPECT_TRUE(has_problem(ps, 14, "models[0].input_price_per_mtok", "must be between 0 and"));
    EXPECT_TRUE(has_problem(ps, 14, "models[0].context_window", "expected an integer, got 'big'"));
    EXPECT_TRUE(has_problem(ps, 14, "models[0].capabilities", "expected a list, got 'tools'"));
    EXPECT_TRUE(has_problem(ps, 15, "models[1].id", "expected a string, got a list"));
    EXPECT_TRUE(has_problem(ps, 15, "models[1].quality.code", "expected a number, got 'high'"));
    EXPECT_TRUE(has_problem(ps, 16, "api_keys", "expected a list, got a mapping"));
    EXPECT_EQ(ps.size(), 17u) << listed(ps);
}

TEST(Config, RefusesMissingRequiredFields) {
    const auto ps = problems_of(R"(providers:
  - kind: openai
    base_url: "http://h"
  - name: q
    kind: ""
  - name: r
    kind: openai
    base_url:
models:
  - provider: q
  - id: m
api_keys:
  - {name: k}
)");
    EXPECT_TRUE(has_problem(ps, 2, "providers[0].name", "missing required key"));
    EXPECT_TRUE(has_problem(ps, 5, "providers[1].kind", "must not be empty"));
    EXPECT_TRUE(has_problem(ps, 4, "providers[1].base_url", "missing required key"));
    EXPECT_TRUE(has_problem(ps, 8, "providers[2].base_url", "needs a value"));
    EXPECT_TRUE(has_problem(ps, 10, "models[0].id", "missing required key"));
    EXPECT_TRUE(has_problem(ps, 11, "models[1].provider", "missing required key"));
    EXPECT_TRUE(has_problem(ps, 13, "api_keys[0].sha256", "missing required key"));
    EXPECT_EQ(ps.size(), 7u) << listed(ps);
}

TEST(Config, RequiresAProviderAndAModel) {
    const auto none = problems_of("log: {level: info}\n");
    EXPECT_TRUE(has_problem(none, 1, "providers", "no providers"));
    EXPECT_TRUE(has_problem(none, 1, "models", "no models: declare some under models, or include a catalog"));
    EXPECT_EQ(none.size(), 2u) << listed(none);

    const auto empty = problems_of("providers: []\nmodels: []\n");
    EXPECT_TRUE(has_problem(empty, 1, "providers", "no providers"));
    EXPECT_TRUE(has_problem(empty, 2, "models", "no models"));

    EXPECT_TRUE(has_problem(problems_of(""), 1, "", "the file is empty"));
    EXPECT_TRUE(has_problem(problems_of("- a\n- b\n"), 1, "", "expected a mapping"));
}

TEST(Config, RefusesUnknownProviderKinds) {
    const auto ps = problems_of(R"(providers:
  - {name: a, kind: smoke, base_url: 'http://h'}
  - {name: b, kind: opneai, base_url: 'http://h'}
models: [{id: m, provider: a}]
)");
    EXPECT_TRUE(has_problem(ps, 2, "providers[0].kind",
                            "unknown kind 'smoke' (known: openai, azure, anthropic, gemini)"));
    EXPECT_TRUE(has_problem(ps, 3, "providers[1].kind", "unknown kind 'opneai', did you mean 'openai'?"));
    EXPECT_EQ(ps.size(), 2u) << listed(ps);
    for (const char* kind : {"openai", "azure", "anthropic", "gemini"}) {
        EXPECT_NO_THROW(load_config_text(std::string("providers: [{name: p, kind: ") + kind +
                                             ", base_url: 'http://h'}]\nmodels: [{id: m, provider: p}]\n",
                                         "t.yaml"))
            << kind;
    }
}

TEST(Config, RefusesBaseUrlsThatAreNotHttpWithAHost) {
    const auto ps = problems_of(R"(providers:
  - {name: a, kind: openai, base_url: 'api.example.com/v1'}
  - {name: b, kind: openai, base_url: 'ftp://h'}
  - {name: c, kind: openai, base_url: 'https://'}
  - {name: d, kind: openai, base_url: 'https://h:99999'}
  - {name: e, kind: openai, base_url: 'http://127.0.0.1:9090/v1'}
models: [{id: m, provider: e}]
)");
    for (int i = 0; i < 4; ++i) {
        EXPECT_TRUE(has_problem(ps, i + 2, "providers[" + std::to_string(i) + "].base_url",
                                "expected an http:// or https:// URL with a host"));
    }
    EXPECT_EQ(ps.size(), 4u) << listed(ps);
}

TEST(Config, ResolvesProviderKeysFromTheEnvironment) {
    const std::string yaml =
        "models: [{id: m, provider: p}]\n"
        "providers:\n"
        "  - name: p\n"
        "    kind: openai\n"
        "    base_url: 'http://h'\n"
        "    api_key_env: GR_TEST_KEY\n";
    unsetenv("GR_TEST_KEY");
    const auto ps = problems_of(yaml);
    EXPECT_TRUE(
        has_problem(ps, 6, "providers[0].api_key_env", "environment variable GR_TEST_KEY is not set"));
    EXPECT_EQ(ps.size(), 1u) << listed(ps);
    {
        const ScopedEnv empty("GR_TEST_KEY", "");
        EXPECT_TRUE(has_problem(problems_of(yaml), 6, "providers[0].api_key_env", "GR_TEST_KEY is not set"));
    }
    const ScopedEnv key("GR_TEST_KEY", "sk-from-env");
    const Config c = load_config_text(yaml, "t.yaml");
    EXPECT_EQ(c.providers[0].api_key, "sk-from-env");
    EXPECT_EQ(c.providers[0].api_key_env, "GR_TEST_KEY");
}

TEST(Config, RefusesSecretsInTheFile) {
    const auto ps = problems_of(R"(providers:
  - name: p
    kind: openai
    base_url: 'http://h'
    api_key: sk-live-secret
  - {name: q, kind: openai, base_url: 'http://h', api_key_env: sk-live-secret2}
models: [{id: m, provider: p}]
)");
    EXPECT_TRUE(has_problem(ps, 5, "providers[0].api_key", "use api_key_env"));
    EXPECT_TRUE(has_problem(ps, 6, "providers[1].api_key_env", "name of an environment variable"));
    EXPECT_EQ(ps.size(), 2u) << listed(ps);
    for (const auto& p : ps) EXPECT_EQ(p.message.find("sk-live"), std::string::npos) << p.message;
}

TEST(Config, RefusesDuplicateNames) {
    const auto ps = problems_of(R"(providers:
  - {name: p, kind: openai, base_url: 'http://h'}
  - {name: p, kind: gemini, base_url: 'http://h'}
models:
  - {id: m, provider: p}
  - {id: n, provider: p}
  - {id: m, provider: p}
api_keys:
  - {name: k, sha256: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad}
  - {name: k, sha256: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad}
)");
    EXPECT_TRUE(has_problem(ps, 3, "providers[1].name", "duplicate provider name 'p' (first at line 2)"));
    EXPECT_TRUE(has_problem(ps, 7, "models[2].id", "duplicate model id 'm' (first at line 5)"));
    EXPECT_TRUE(has_problem(ps, 10, "api_keys[1].name", "duplicate key name 'k' (first at line 9)"));
    EXPECT_EQ(ps.size(), 3u) << listed(ps);
}

TEST(Config, RefusesModelsOfUndeclaredProviders) {
    const auto ps = problems_of(R"(providers: [{name: openai, kind: openai, base_url: 'http://h'}]
models:
  - id: a
    provider: openai
  - id: b
    provider: opena
  - id: c
    provider: ghost
)");
    EXPECT_TRUE(has_problem(ps, 6, "models[1].provider", "unknown provider 'opena', did you mean 'openai'?"));
    EXPECT_TRUE(
        has_problem(ps, 8, "models[2].provider", "unknown provider 'ghost' (not declared under providers)"));
    EXPECT_EQ(ps.size(), 2u) << listed(ps);
}

TEST(Config, ChecksApiKeyHashes) {
    const std::string upper = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
    const auto ps = problems_of(
        "api_keys:\n"
        "  - {name: short, sha256: abc123}\n"
        "  - {name: upper, sha256: " +
        upper +
        "}\n"
        "  - {name: other, sha256: " +
        std::string(63, 'a') +
        "g}\n"
        "  - {name: good, sha256: " +
        kSha + "}\n" + kProvidersAndModels);
    EXPECT_TRUE(has_problem(ps, 2, "api_keys[0].sha256", "expected 64 lower-case hex digits"));
    EXPECT_TRUE(has_problem(ps, 3, "api_keys[1].sha256", "expected 64 lower-case hex digits"));
    EXPECT_TRUE(has_problem(ps, 4, "api_keys[2].sha256", "expected 64 lower-case hex digits"));
    EXPECT_EQ(ps.size(), 3u) << listed(ps);
}

TEST(Config, RefusesUnknownCapabilitiesAndTaskTypes) {
    const auto ps = problems_of(R"(providers: [{name: p, kind: openai, base_url: 'http://h'}]
models:
  - id: m
    provider: p
    capabilities: [tools, vison]
    quality:
      cod: 0.5
      math: 1.5
)");
    EXPECT_TRUE(has_problem(ps, 5, "models[0].capabilities[1]",
                            "unknown capability 'vison', did you mean 'vision'?"));
    EXPECT_TRUE(has_problem(ps, 7, "models[0].quality.cod", "unknown task type 'cod', did you mean 'code'?"));
    EXPECT_TRUE(has_problem(ps, 8, "models[0].quality.math", "must be between 0 and 1, got 1.5"));
    EXPECT_EQ(ps.size(), 3u) << listed(ps);
}

TEST(Config, ReportsEveryProblemAtOnceInLineOrder) {
    const std::string yaml = R"(api_keys:
  - {name: k, sha256: "XYZ"}
server:
  wrokers: 2
  listen: "0.0.0.0"
upstream:
  connect_timeout_ms: soon
log: {level: loud}
providers:
  - name: p
    kind: smoke
    base_url: "nope"
    api_key_env: GR_TEST_UNSET_VAR
  - name: p
    kind: openai
    base_url: "http://x"
    api_key: "sk-secret"
models:
  - id: m
    provider: p
  - id: m
    provider: ghost
)";
    unsetenv("GR_TEST_UNSET_VAR");
    try {
        load_config_text(yaml, "all.yaml");
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& e) {
        const auto& ps = e.problems();
        EXPECT_TRUE(has_problem(ps, 2, "api_keys[0].sha256", "64 lower-case hex"));
        EXPECT_TRUE(has_problem(ps, 4, "server.wrokers", "did you mean 'workers'?"));
        EXPECT_TRUE(has_problem(ps, 5, "server.listen", "got '0.0.0.0'"));
        EXPECT_TRUE(has_problem(ps, 7, "upstream.connect_timeout_ms", "expected an integer"));
        EXPECT_TRUE(has_problem(ps, 8, "log.level", "unknown log level 'loud'"));
        EXPECT_TRUE(has_problem(ps, 11, "providers[0].kind", "unknown kind 'smoke'"));
        EXPECT_TRUE(has_problem(ps, 12, "providers[0].base_url", "http://"));
        EXPECT_TRUE(has_problem(ps, 13, "providers[0].api_key_env", "GR_TEST_UNSET_VAR is not set"));
        EXPECT_TRUE(has_problem(ps, 14, "providers[1].name", "duplicate provider name 'p'"));
        EXPECT_TRUE(has_problem(ps, 17, "providers[1].api_key", "api_key_env"));
        EXPECT_TRUE(has_problem(ps, 21, "models[1].id", "duplicate model id 'm'"));
        EXPECT_TRUE(has_problem(ps, 22, "models[1].provider", "unknown provider 'ghost'"));
        ASSERT_EQ(ps.size(), 12u) << listed(ps);

        // what() holds the same problems, one line each, in line order.
        std::istringstream lines(e.what());
        std::string line;
        std::size_t i = 0;
        for (; std::getline(lines, line); ++i) {
            ASSERT_LT(i, ps.size());
            EXPECT_EQ(line,
                      "all.yaml:" + std::to_string(ps[i].line) + ": " + ps[i].path + ": " + ps[i].message);
            if (i > 0) {
                EXPECT_LE(ps[i - 1].line, ps[i].line);
            }
        }
        EXPECT_EQ(i, ps.size());
    }
}

TEST(Config, ChecksFallbacks) {
    const auto ps = problems_of(R"(providers: [{name: p, kind: openai, base_url: 'http://h'}]
models:
  - {id: m, provider: p, fallbacks: [n, ghost]}
  - {id: n, provider: p, fallbacks: [m]}
)");
    EXPECT_TRUE(has_problem(ps, 3, "models[0].fallbacks[1]", "no model 'ghost' to fall back to"));
    EXPECT_EQ(ps.size(), 1u) << listed(ps);
}

TEST(Config, ReportsAnUnreadableFileAsOneProblem) {
    try {
        load_config_file("/nonexistent/gaterouter-test.yaml");
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& e) {
        ASSERT_EQ(e.problems().size(), 1u);
        EXPECT_EQ(e.problems()[0].line, 0);
        EXPECT_STREQ(e.what(), "/nonexistent/gaterouter-test.yaml:0: (top): cannot open the file");
    }
}

class ConfigFiles : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ =
            std::filesystem::temp_directory_path() /
            ("gaterouter_config_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::string write(const std::string& name, const std::string& text) {
        const auto path = dir_ / name;
        std::ofstream(path) << text;
        return path.string();
    }

    std::filesystem::path dir_;
};

TEST_F(ConfigFiles, LoadsAFileAndNamesItInMessages) {
    const std::string path = write("main.yaml", kProvidersAndModels);
    EXPECT_EQ(load_config_file(path).source_path, path);
    const std::string bad = write("bad.yaml", "log: {level: loud}\n" + kProvidersAndModels);
    try {
        load_config_file(bad);
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()).rfind(bad + ":1: log.level: ", 0), 0u) << e.what();
    }
}

TEST_F(ConfigFiles, MergesTheCatalogUnderTheFilesOwnModels) {
    write("models.yaml",
          "models:\n"
          "  - {id: a, provider: p, input_price_per_mtok: 1, fallbacks: [b, c]}\n"
          "  - {id: b, provider: p, input_price_per_mtok: 2}\n"
          "  - {id: c, provider: not-configured}\n");
    const Config c = load_config_file(write("main.yaml",
                                            "catalog: models.yaml\n"
                                            "providers: [{name: p, kind: openai, base_url: 'http://h'}]\n"
                                            "models: [{id: b, provider: p, input_price_per_mtok: 9}]\n"));
    EXPECT_EQ(c.catalog_path, (dir_ / "models.yaml").string());
    ASSERT_EQ(c.models.size(), 2u);  // c's provider is not configured here
    EXPECT_EQ(c.models[0].id, "a");
    EXPECT_EQ(c.models[0].source, (dir_ / "models.yaml").string());
    EXPECT_EQ(c.models[0].line, 2);
    EXPECT_EQ(c.models[0].fallbacks, (std::vector<std::string>{"b"}));  // c is not in the pool
    EXPECT_EQ(c.models[1].id, "b");
    EXPECT_DOUBLE_EQ(c.models[1].input_price_per_mtok, 9.0);  // the main file wins
}

TEST_F(ConfigFiles, ReportsCatalogProblemsAtTheCatalogKey) {
    const std::string catalog = write("models.yaml",
                                      "models:\n"
                                      "  - {id: a, provider: p, fallbacks: [zz]}\n"
                                      "  - {id: a, provider: p, colour: red}\n");
    const std::string main = write("main.yaml",
                                   "providers: [{name: p, kind: openai, base_url: 'http://h'}]\n"
                                   "catalog: models.yaml\n");
    try {
        load_config_file(main);
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& e) {
        const auto& ps = e.problems();
        EXPECT_TRUE(has_problem(ps, 2, "catalog", catalog + ":2: models[0].fallbacks[0]: no model 'zz'"));
        EXPECT_TRUE(has_problem(ps, 2, "catalog", catalog + ":3: models[1].id: duplicate model id 'a'"));
        EXPECT_TRUE(has_problem(ps, 2, "catalog", catalog + ":3: models[1].colour: unknown key 'colour'"));
        EXPECT_EQ(ps.size(), 3u) << listed(ps);
    }
    // A catalog that cannot be read is one problem; the empty pool it leaves needs no second one.
    const auto missing = problems_of(
        "providers: [{name: p, kind: openai, base_url: 'http://h'}]\n"
        "catalog: /nonexistent/models.yaml\n");
    EXPECT_TRUE(
        has_problem(missing, 2, "catalog", "/nonexistent/models.yaml:0: (top): cannot open the file"));
    EXPECT_EQ(missing.size(), 1u) << listed(missing);
    EXPECT_TRUE(
        has_problem(problems_of(kProvidersAndModels + "catalog: ''\n"), 3, "catalog", "must not be empty"));
}

TEST_F(ConfigFiles, SaysSoWhenNoCatalogModelHasADeclaredProvider) {
    write("models.yaml", "models: [{id: a, provider: elsewhere}]\n");
    const std::string main = write("main.yaml",
                                   "providers: [{name: p, kind: openai, base_url: 'http://h'}]\n"
                                   "catalog: models.yaml\n");
    try {
        load_config_file(main);
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& e) {
        ASSERT_EQ(e.problems().size(), 1u) << e.what();
        EXPECT_TRUE(has_problem(e.problems(), 1, "models", "no catalog model's provider is"));
    }
}

TEST(Config, TheShippedFilesAreValid) {
    const std::string root = GATEROUTER_SOURCE_DIR;
    EXPECT_FALSE(load_config_file(root + "/config/gaterouter.yaml").models.empty());
    // The production example names its vendors' keys; all it may lack here are those variables.
    try {
        load_config_file(root + "/config/examples/production.yaml");
    } catch (const ConfigError& e) {
        for (const auto& p : e.problems()) {
            EXPECT_NE(p.message.find("environment variable"), std::string::npos) << e.what();
        }
    }
}

TEST(Config, ReadsTheAdmissionQueueKeyQueuesAndHedging) {
    const Config c = load_config_text(
        std::string("admission: {max_depth: 10, key_max_depth: 3, max_wait_ms: 700, "
                    "poll_ms: 5}\n"
                    "routing:\n"
                    "  policies:\n"
                    "    fixed: {hedge: {after_ms: 250}}\n"
                    "    live: {latency: 2, hedge: {quantile: 0.8, min_ms: 40}}\n"
                    "api_keys:\n"
                    "  - {name: k, sha256: ") +
            kSha + ", queue: {share: 4, max_depth: 2, max_wait_ms: 90}}\n" + kProvidersAndModels,
        "t.yaml");
    EXPECT_EQ(c.admission.max_depth, 10U);
    EXPECT_EQ(c.admission.key_max_depth, 3U);
    EXPECT_EQ(c.admission.max_wait.count(), 700);
    EXPECT_EQ(c.admission.poll.count(), 5);
    ASSERT_EQ(c.api_keys.size(), 1U);
    EXPECT_EQ(c.api_keys[0].settings.queue.share, 4U);
    EXPECT_EQ(c.api_keys[0].settings.queue.max_depth, 2U);
    EXPECT_EQ(c.api_keys[0].settings.queue.max_wait->count(), 90);
    ASSERT_EQ(c.routing.policies.size(), 2U);
    ASSERT_TRUE(c.routing.policies[0].hedge);
    EXPECT_EQ(c.routing.policies[0].hedge->after->count(), 250);
    ASSERT_TRUE(c.routing.policies[1].hedge);
    EXPECT_FALSE(c.routing.policies[1].hedge->after);
    EXPECT_DOUBLE_EQ(c.routing.policies[1].hedge->quantile, 0.8);
    EXPECT_EQ(c.routing.policies[1].hedge->min.count(), 40);
    EXPECT_EQ(load_config_text(kProvidersAndModels, "t.yaml").admission.max_depth, 2048U);  // the default
}

TEST(Config, ChecksTheAdmissionQueueAndHedgingSettings) {
    const auto ps = problems_of(std::string("admission: {max_wait: 5}\n"
                                            "routing:\n"
                                            "  policies:\n"
                                            "    p: {hedge: {quantile: 2}}\n"
                                            "api_keys:\n"
                                            "  - {name: k, sha256: ") +
                                kSha + ", queue: {share: 0}}\n" + kProvidersAndModels);
    EXPECT_TRUE(has_problem(ps, 1, "admission.max_wait", "unknown key"));
    EXPECT_TRUE(has_problem(ps, 4, "routing.policies.p.hedge.quantile", ""));
    EXPECT_TRUE(has_problem(ps, 6, "api_keys[0].queue.share", ""));
    EXPECT_EQ(ps.size(), 3U) << listed(ps);
}

TEST(Config, ReadsConnectionCapsAndTheFirstByteTimeout) {
    const ServerConfig defaults = load_config_text(kProvidersAndModels, "t.yaml").server;
    EXPECT_EQ(defaults.max_connections, 10'000u);
    EXPECT_EQ(defaults.max_connections_per_address, 1024u);
    EXPECT_EQ(defaults.first_byte_timeout, Millis{10'000});

    const ServerConfig set = load_config_text(
                                 "server: {max_connections: 500, max_connections_per_address: 0, "
                                 "first_byte_timeout_ms: 250}\n" +
                                     kProvidersAndModels,
                                 "t.yaml")
                                 .server;
    EXPECT_EQ(set.max_connections, 500u);
    EXPECT_EQ(set.max_connections_per_address, 0u);  // no cap
    EXPECT_EQ(set.first_byte_timeout, Millis{250});

    const auto ps = problems_of(
        "server:\n  max_connections: -1\n  max_connections_per_address: lots\n  first_byte_timeout_ms: 0\n" +
        kProvidersAndModels);
    EXPECT_TRUE(has_problem(ps, 2, "server.max_connections", "must be between 0 and"));
    EXPECT_TRUE(has_problem(ps, 3, "server.max_connections_per_address", "expected an integer, got 'lots'"));
    EXPECT_TRUE(has_problem(ps, 4, "server.first_byte_timeout_ms", "must be between 1 and"));
    EXPECT_EQ(ps.size(), 3u) << listed(ps);
}

TEST(Config, RefusesAdminTokensShorterThan32Characters) {
    const std::string yaml =
        "admin:\n  listen: \"127.0.0.1:0\"\n  token_env: GR_TEST_ADMIN_TOKEN\n" + kProvidersAndModels;
    {
        const ScopedEnv token("GR_TEST_ADMIN_TOKEN", "x");
        const auto ps = problems_of(yaml);
        EXPECT_TRUE(has_problem(ps, 3, "admin.token_env", "shorter than 32 characters"));
        EXPECT_EQ(ps.size(), 1u) << listed(ps);
    }
    const std::string thirty_one(31, 'a');
    {
        const ScopedEnv token("GR_TEST_ADMIN_TOKEN", thirty_one.c_str());
        const auto ps = problems_of(yaml);
        EXPECT_TRUE(has_problem(ps, 3, "admin.token_env", "GR_TEST_ADMIN_TOKEN is shorter than 32"));
        for (const auto& p : ps) EXPECT_EQ(p.message.find(thirty_one), std::string::npos) << p.message;
    }
    {
        // Without token_env the default variable is read; the problem is at the admin mapping.
        const ScopedEnv token("GATEROUTER_ADMIN_TOKEN", "short");
        EXPECT_TRUE(has_problem(problems_of("admin: {listen: \"127.0.0.1:0\"}\n" + kProvidersAndModels), 1,
                                "admin", "GATEROUTER_ADMIN_TOKEN is shorter than 32"));
    }
    const std::string thirty_two(32, 'a');
    const ScopedEnv token("GR_TEST_ADMIN_TOKEN", thirty_two.c_str());
    const Config c = load_config_text(yaml, "t.yaml");
    EXPECT_TRUE(c.admin.enabled);
    EXPECT_EQ(c.admin.token, thirty_two);
}

TEST(Config, ReadsKeySettingsAndHowOftenTheLedgerIsWatched) {
    const Config c = load_config_text(
        std::string("api_keys:\n"
                    "  - {name: k, sha256: ") +
            kSha +
            ", limits: {rpm: 60, max_in_flight: 2}, timeouts: {total_ms: 9000}, queue: {max_depth: 0}}\n"
            "ledger: {path: l.db, key_poll_ms: 250}\n" +
            kProvidersAndModels,
        "t.yaml");
    ASSERT_EQ(c.api_keys.size(), 1U);
    const KeySettings& s = c.api_keys[0].settings;
    EXPECT_EQ(s.limits.rpm, 60U);
    EXPECT_FALSE(s.limits.tpm);
    EXPECT_EQ(s.limits.max_in_flight, 2U);
    EXPECT_EQ(s.timeouts.total, Millis(9000));
    EXPECT_FALSE(s.timeouts.first_token);
    EXPECT_EQ(s.queue.max_depth, 0U);
    EXPECT_EQ(c.ledger.key_poll, Millis(250));
    EXPECT_EQ(load_config_text(kProvidersAndModels, "t.yaml").ledger.key_poll, Millis(1000));  // the default
}

TEST(Config, ChecksKeySettingsByTheirTable) {
    const auto ps = problems_of(std::string("api_keys:\n"
                                            "  - {name: k, sha256: ") +
                                kSha +
                                ", limits: {rpm: 0, rmp: 5}, timeouts: {total_ms: 86400001}, queue: 3}\n"
                                "ledger: {path: l.db, key_poll_ms: 0}\n" +
                                kProvidersAndModels);
    EXPECT_TRUE(has_problem(ps, 2, "api_keys[0].limits.rpm", "between 1 and 1000000000"));
    EXPECT_TRUE(has_problem(ps, 2, "api_keys[0].limits.rmp", "did you mean 'rpm'"));
    EXPECT_TRUE(has_problem(ps, 2, "api_keys[0].timeouts.total_ms", "between 1 and 86400000"));
    EXPECT_TRUE(has_problem(ps, 2, "api_keys[0].queue", "mapping"));
    EXPECT_TRUE(has_problem(ps, 3, "ledger.key_poll_ms", "must be between 1 and"));
    EXPECT_EQ(ps.size(), 5U) << listed(ps);
}

TEST(Config, KeySettingFieldsCoverEverySectionAndReadBackWhatTheySet) {
    std::size_t count = 0;
    for (const std::string_view section : kKeySettingSections) {
        ASSERT_FALSE(key_setting_fields(section).empty()) << section;
        for (const KeySettingField& f : key_setting_fields(section)) {
            EXPECT_EQ(f.section, section);
            KeySettings s;
            EXPECT_FALSE(f.get(s)) << f.name;
            f.set(s, f.max);
            EXPECT_EQ(f.get(s), f.max) << f.name;
            EXPECT_NE(s, KeySettings{}) << f.name;
            f.set(s, std::nullopt);
            EXPECT_EQ(s, KeySettings{}) << f.name;
            ++count;
        }
    }
    EXPECT_EQ(count, 8U);
    EXPECT_TRUE(key_setting_fields("routing").empty());
}
