// YAML → typed config. Every problem is collected with its file, line and YAML path, so one run of
// --check-config shows them all. The schema is the code below: one read_* function per section, each naming
// the keys it accepts; node_reader.hpp does the converting and the bookkeeping of problems.
//
// The main file may include a catalog (`catalog: models.yaml`), a file holding only a `models:` list. Catalog
// models whose provider the main file does not declare are left out, and the main file's own models replace
// the catalog's by id. The catalog's problems are reported at the main file's `catalog` line, each naming its
// own file and line.

#include "gaterouter/config/config.hpp"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <type_traits>

#include "gaterouter/config/base_url.hpp"
#include "node_reader.hpp"

namespace gaterouter::config {

namespace {

using detail::Located;
using detail::Presence;
using detail::Reader;

// The protocols the providers area speaks; the one list of them.
constexpr const char* kProviderKinds[] = {"openai", "azure", "anthropic", "gemini"};
constexpr const char* kDefaultAzureApiVersion = "2024-10-21";
constexpr const char* kLogLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};

constexpr long long kMaxBytes = 1LL << 40;
constexpr long long kMaxConnections = 1LL << 24;  // beyond any open-files limit
constexpr long long kMaxTokens = std::numeric_limits<std::uint32_t>::max();
constexpr double kMaxPricePerMtok = 1e6;

std::string format_problem(const std::string& file, const ConfigProblem& p) {
    return file + ":" + std::to_string(p.line) + ": " + (p.path.empty() ? "(top)" : p.path) + ": " +
           p.message;
}

// Remembers the names met in one list and reports any met again.
class UniqueNames {
  public:
    explicit UniqueNames(std::string what) : what_(std::move(what)) {}

    void check(Reader& r, const Located& at, const std::string& name) {
        if (name.empty()) return;
        const auto [first, inserted] = first_line_.emplace(name, at.line());
        if (!inserted) {
            r.problem(at, "duplicate " + what_ + " '" + name + "' (first at line " +
                              std::to_string(first->second) + ")");
        }
    }

  private:
    std::string what_;
    std::map<std::string, int> first_line_;
};

// ---- server, upstream, routing, log ----

// "host:port" or "[v6 address]:port", the host an IP address: the listener binds it without a DNS lookup.
bool parse_listen(std::string_view text, std::string& host, std::uint16_t& port) {
    std::string_view h, p;
    if (text.starts_with('[')) {
        const auto close = text.find("]:");
        if (close == std::string_view::npos) return false;
        h = text.substr(1, close - 1);
        p = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return false;
        h = text.substr(0, colon);
        p = text.substr(colon + 1);
        if (h.find(':') != std::string_view::npos) return false;  // an IPv6 host needs its brackets
    }
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
    if (p.empty() || ec != std::errc{} || ptr != p.data() + p.size() || value > 65535) return false;
    unsigned char address[16];
    host = std::string(h);
    if (inet_pton(AF_INET, host.c_str(), address) != 1 && inet_pton(AF_INET6, host.c_str(), address) != 1) {
        return false;
    }
    port = static_cast<std::uint16_t>(value);
    return true;
}

void read_listen(Reader& r, const Located& at, std::string& out_host, std::uint16_t& out_port) {
    std::string text;
    if (!r.read(at, text)) return;
    std::string host;
    std::uint16_t port = 0;
    if (!parse_listen(text, host, port)) {
        const std::string expected =
            "expected \"ip:port\" with a port from 0 to 65535 (e.g. \"0.0.0.0:8080\" or \"[::1]:8080\")";
        r.problem(at, expected + ", got '" + text + "'");
        return;
    }
    out_host = host;
    out_port = port;
}

void read_server(Reader& r, const Located& at, ServerConfig& out) {
    if (!r.map(at, {"listen", "workers", "max_header_bytes", "max_body_bytes", "idle_timeout_ms",
                    "first_byte_timeout_ms", "read_timeout_ms", "write_timeout_ms", "shutdown_grace_ms",
                    "max_connections", "max_connections_per_address"})) {
        return;
    }
    read_listen(r, at["listen"], out.listen_host, out.listen_port);
    r.read(at["workers"], out.workers, 0, 1024);
    r.read(at["max_header_bytes"], out.max_header_bytes, 1024, 1 << 24);
    r.read(at["max_body_bytes"], out.max_body_bytes, 1, kMaxBytes);
    r.read(at["idle_timeout_ms"], out.idle_timeout);
    r.read(at["first_byte_timeout_ms"], out.first_byte_timeout);
    r.read(at["max_connections"], out.max_connections, 0, kMaxConnections);
    r.read(at["max_connections_per_address"], out.max_connections_per_address, 0, kMaxConnections);
    r.read(at["read_timeout_ms"], out.read_timeout);
    r.read(at["write_timeout_ms"], out.write_timeout);
    r.read(at["shutdown_grace_ms"], out.shutdown_grace);
}

void read_upstream(Reader& r, const Located& at, UpstreamConfig& out) {
    if (!r.map(at, {"connect_timeout_ms", "first_byte_timeout_ms", "idle_timeout_ms", "total_timeout_ms",
                    "max_idle_per_origin", "pool_idle_ttl_ms", "dns_ttl_ms"})) {
        return;
    }
    r.read(at["connect_timeout_ms"], out.connect_timeout);
    r.read(at["first_byte_timeout_ms"], out.first_byte_timeout);
    r.read(at["idle_timeout_ms"], out.idle_timeout);
    r.read(at["total_timeout_ms"], out.total_timeout);
    r.read(at["max_idle_per_origin"], out.max_idle_per_origin, 0, 1 << 20);
    r.read(at["pool_idle_ttl_ms"], out.pool_idle_ttl);
    r.read(at["dns_ttl_ms"], out.dns_ttl);
}

void read_breaker(Reader& r, const Located& at, BreakerConfig& out) {
    if (!r.map(at, {"consecutive_failures", "error_rate", "min_requests", "window_ms", "cooldown_ms",
                    "half_open_probes"})) {
        return;
    }
    r.read(at["consecutive_failures"], out.consecutive_failures, 1, 1000);
    r.read(at["error_rate"], out.error_rate, 0.01, 1.0);
    r.read(at["min_requests"], out.min_requests, 1, 1'000'000);
    r.read(at["window_ms"], out.window);
    r.read(at["cooldown_ms"], out.cooldown);
    r.read(at["half_open_probes"], out.half_open_probes, 1, 1000);
}

void read_model_ids(Reader& r, const Located& at, std::vector<std::string>& out) {
    r.for_each_item(at, [&](const Located& item) {
        std::string id;
        if (r.read(item, id, Presence::required)) out.push_back(std::move(id));
    });
}

// A mapping of routing preferences. Policy names and model ids are checked once the whole file is read
// (check_preferences).
void read_preferences(Reader& r, const Located& at, RoutePreferences& out) {
    if (!r.map(at, {"optimize", "max_cost_per_request", "min_quality", "allow", "deny"})) return;
    r.read(at["optimize"], out.optimize);
    if (double usd = 0; r.read(at["max_cost_per_request"], usd, 0.0, 1e6)) out.max_cost_per_request = usd;
    if (double q = 0; r.read(at["min_quality"], q, 0.0, 1.0)) out.min_quality = q;
    read_model_ids(r, at["allow"], out.allow);
    read_model_ids(r, at["deny"], out.deny);
}

void read_policies(Reader& r, const Located& at, std::vector<PolicyConfig>& out) {
    r.for_each_entry(at, [&](const std::string& name, const Located& terms) {
        if (!r.map(terms, {"quality", "cost", "latency", "errors", "load", "hedge"})) return;
        PolicyConfig policy{name, {}, {}, {}, {}, {}, {}};
        const auto term = [&](const char* key, std::optional<double>& weight) {
            if (double w = 0; r.read(terms[key], w, 0.0, 100.0)) weight = w;
        };
        term("quality", policy.quality);
        term("cost", policy.cost);
        term("latency", policy.latency);
        term("errors", policy.errors);
        term("load", policy.load);
        if (const Located hedge = terms["hedge"]; r.map(hedge, {"after_ms", "quantile", "min_ms"})) {
            HedgeConfig h;
            if (Millis t{}; r.read(hedge["after_ms"], t)) h.after = t;
            r.read(hedge["quantile"], h.quantile, 0.5, 0.999);
            r.read(hedge["min_ms"], h.min);
            policy.hedge = h;
        }
        out.push_back(std::move(policy));
    });
}

void read_aliases(Reader& r, const Located& at, std::vector<AliasConfig>& out) {
    r.for_each_entry(at, [&](const std::string& name, const Located& alias) {
        if (name == "auto") r.problem(alias, "'auto' is built in: set routing.default_policy instead");
        AliasConfig a{name, {}};
        read_preferences(r, alias, a.routing);
        out.push_back(std::move(a));
    });
}

void read_retry_budget(Reader& r, const Located& at, RetryBudgetConfig& out) {
    if (!r.map(at, {"ratio", "min_per_second"})) return;
    r.read(at["ratio"], out.ratio, 0.0, 10.0);
    r.read(at["min_per_second"], out.min_per_second, 0, 1'000'000);
}

void read_routing(Reader& r, const Located& at, const std::filesystem::path& base_dir, RoutingConfig& out) {
    if (!r.map(at, {"max_attempts", "breaker", "classifier_model", "default_policy", "policies", "aliases",
                    "retry_budget", "wait_for_recovery_ms"})) {
        return;
    }
    r.read(at["max_attempts"], out.max_attempts, 1, 10);
    read_breaker(r, at["breaker"], out.breaker);
    r.read(at["default_policy"], out.default_policy);
    read_policies(r, at["policies"], out.policies);
    read_aliases(r, at["aliases"], out.aliases);
    read_retry_budget(r, at["retry_budget"], out.retry_budget);
    r.read(at["wait_for_recovery_ms"], out.wait_for_recovery);
    std::string model;
    if (at["classifier_model"].present() && r.read(at["classifier_model"], model, Presence::required)) {
        std::filesystem::path path = model;
        if (path.is_relative()) path = base_dir / path;
        if (std::filesystem::is_regular_file(path)) {
            out.classifier_model = path.string();
        } else {
            r.problem(at["classifier_model"], "no such file: " + path.string());
        }
    }
}

void read_log(Reader& r, const Located& at, LogConfig& out) {
    if (!r.map(at, {"level", "access_log"})) return;
    r.read_one_of(at["level"], out.level, kLogLevels, "log level");
    r.read(at["access_log"], out.access_log);
}

// ---- providers ----

bool is_env_var_name(std::string_view name) {
    const auto word = [](char c) { return c == '_' || std::isalnum(static_cast<unsigned char>(c)) != 0; };
    return !name.empty() && std::isdigit(static_cast<unsigned char>(name[0])) == 0 &&
           std::all_of(name.begin(), name.end(), word);
}

// The secret in the environment variable `name` (read at `at`); a problem when the name is not one or the
// variable is unset. The value never appears in a message.
void read_secret(Reader& r, const Located& at, const std::string& name, std::string& out) {
    if (!is_env_var_name(name)) {
        r.problem(
            at,
            "expected the name of an environment variable (letters, digits and _), not the secret itself");
        return;
    }
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') {
        r.problem(at, "environment variable " + name + " is not set");
    } else {
        out = value;
    }
}

// Secrets come from the environment, never from the file, and never appear in a message.
void read_api_key(Reader& r, const Located& provider, ProviderConfig& out) {
    if (const Located literal = provider["api_key"]; literal.node().IsDefined()) {
        r.problem(literal,
                  "a secret does not belong in the file: use api_key_env to name the environment variable "
                  "that holds the key");
    }
    const Located at = provider["api_key_env"];
    if (!r.read(at, out.api_key_env) || out.api_key_env.empty()) return;
    read_secret(r, at, out.api_key_env, out.api_key);
}

std::vector<ProviderConfig> read_providers(Reader& r, const Located& list) {
    std::vector<ProviderConfig> out;
    UniqueNames names("provider name");
    r.for_each_item(list, [&](const Located& at) {
        if (!r.map(at, {"name", "kind", "base_url", "api_key_env", "api_key", "insecure_skip_verify",
                        "headers", "api_version"})) {
            return;
        }
        ProviderConfig p;
        p.line = at.line();
        r.read(at["name"], p.name, Presence::required);
        r.read_one_of(at["kind"], p.kind, kProviderKinds, "kind", Presence::required);
        BaseUrl url;
        if (r.read(at["base_url"], p.base_url, Presence::required) && !parse_base_url(p.base_url, url)) {
            r.problem(at["base_url"],
                      "expected an http:// or https:// URL with a host, got '" + p.base_url + "'");
        }
        read_api_key(r, at, p);
        r.read(at["insecure_skip_verify"], p.insecure_skip_verify);
        r.read(at["api_version"], p.api_version);
        if (p.kind == "azure" && p.api_version.empty()) p.api_version = kDefaultAzureApiVersion;
        r.for_each_entry(at["headers"], [&](const std::string& name, const Located& value) {
            r.read(value, p.headers[name]);
        });
        names.check(r, at["name"], p.name);
        out.push_back(std::move(p));
    });
    return out;
}

// ---- models ----

// A model read from a file, with where its references sit, for checks that need the whole pool.
struct ModelEntry {
    ModelConfig model;
    Located provider_at;
    std::vector<Located> fallbacks_at;  // one per model.fallbacks entry
};

std::vector<std::string> read_capabilities(Reader& r, const Located& at) {
    if (!at.present()) return {"tools", "json", "streaming"};
    std::vector<std::string> out;
    r.for_each_item(at, [&](const Located& item) {
        std::string name;
        if (r.read_one_of(item, name, kCapabilities, "capability", Presence::required)) out.push_back(name);
    });
    return out;
}

std::map<std::string, double> read_quality(Reader& r, const Located& at) {
    std::map<std::string, double> out;
    r.for_each_entry(at, [&](const std::string& task, const Located& value) {
        if (!detail::is_one_of(task, kTaskTypes)) {
            r.problem(value, detail::unknown_choice("task type", task, kTaskTypes));
            return;
        }
        if (double prior = 0.0; r.read(value, prior, 0.0, 1.0)) out[task] = prior;
    });
    return out;
}

// One section of a key's settings (`limits`, `timeouts` or `queue`) at `at`, by the table every reader of
// key settings shares.
void read_key_setting_section(Reader& r, const Located& at, std::string_view section, KeySettings& out) {
    const std::span<const KeySettingField> fields = key_setting_fields(section);
    std::vector<std::string_view> names;
    for (const auto& f : fields) names.push_back(f.name);
    if (!r.map(at, names)) return;
    for (const auto& f : fields) {
        if (long long n = 0; r.read(at[f.name], n, f.min, f.max)) f.set(out, n);
    }
}

// A deployment's limits read as a key's are: the same names and ranges.
void read_limits(Reader& r, const Located& at, LimitsConfig& out) {
    KeySettings settings;
    read_key_setting_section(r, at, "limits", settings);
    out = settings.limits;
}

ModelEntry read_model(Reader& r, const Located& at) {
    ModelEntry e{ModelConfig{}, at["provider"], {}};
    ModelConfig& m = e.model;
    m.line = at.line();
    m.source = r.file();
    r.read(at["id"], m.id, Presence::required);
    r.read(at["provider"], m.provider, Presence::required);
    r.read(at["upstream_model"], m.upstream_model);
    if (m.upstream_model.empty()) m.upstream_model = m.id;
    r.read(at["input_price_per_mtok"], m.input_price_per_mtok, 0.0, kMaxPricePerMtok);
    r.read(at["output_price_per_mtok"], m.output_price_per_mtok, 0.0, kMaxPricePerMtok);
    r.read(at["context_window"], m.context_window, 0, kMaxTokens);
    r.read(at["max_output_tokens"], m.max_output_tokens, 0, kMaxTokens);
    m.capabilities = read_capabilities(r, at["capabilities"]);
    m.quality = read_quality(r, at["quality"]);
    read_limits(r, at["limits"], m.limits);
    r.for_each_item(at["fallbacks"], [&](const Located& item) {
        std::string id;
        if (!r.read(item, id, Presence::required)) return;
        m.fallbacks.push_back(id);
        e.fallbacks_at.push_back(item);
    });
    return e;
}

std::vector<ModelEntry> read_models(Reader& r, const Located& list) {
    std::vector<ModelEntry> out;
    UniqueNames ids("model id");
    r.for_each_item(list, [&](const Located& at) {
        if (!r.map(at, {"id", "provider", "upstream_model", "input_price_per_mtok", "output_price_per_mtok",
                        "context_window", "max_output_tokens", "capabilities", "quality", "fallbacks",
                        "limits"})) {
            return;
        }
        out.push_back(read_model(r, at));
        ids.check(r, at["id"], out.back().model.id);
    });
    return out;
}

template <class Items, class Name>
std::set<std::string> names_of(const Items& items, Name name) {
    std::set<std::string> out;
    for (const auto& item : items) out.insert(name(item));
    return out;
}

std::set<std::string> ids_of(const std::vector<ModelEntry>& models) {
    return names_of(models, [](const ModelEntry& e) { return e.model.id; });
}

std::set<std::string> ids_of(const std::vector<ModelConfig>& models) {
    return names_of(models, [](const ModelConfig& m) { return m.id; });
}

void check_providers_declared(Reader& r, const std::vector<ModelEntry>& models,
                              const std::set<std::string>& providers) {
    for (const auto& e : models) {
        if (e.model.provider.empty() || providers.contains(e.model.provider)) continue;
        r.problem(e.provider_at, detail::unknown_name("provider", e.model.provider, providers) +
                                     " (not declared under providers)");
    }
}

void check_fallbacks(Reader& r, const std::vector<ModelEntry>& models, const std::set<std::string>& ids) {
    for (const auto& e : models) {
        for (std::size_t i = 0; i < e.model.fallbacks.size(); ++i) {
            if (ids.contains(e.model.fallbacks[i])) continue;
            r.problem(e.fallbacks_at[i], "no model '" + e.model.fallbacks[i] + "' to fall back to");
        }
    }
}

void read_admission(Reader& r, const Located& at, AdmissionConfig& out) {
    if (!r.map(at, {"max_depth", "key_max_depth", "max_wait_ms", "poll_ms"})) return;
    r.read(at["max_depth"], out.max_depth, 0, 1'000'000);
    r.read(at["key_max_depth"], out.key_max_depth, 0, 1'000'000);
    r.read(at["max_wait_ms"], out.max_wait);
    r.read(at["poll_ms"], out.poll);
}

// ---- api_keys ----

bool is_sha256_hex(std::string_view text) {
    const auto lower_hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
    return text.size() == 64 && std::all_of(text.begin(), text.end(), lower_hex);
}

void check_preferences(Reader& r, const Located& at, const RoutePreferences& prefs,
                       const std::set<std::string>& policies, const std::set<std::string>& models);
std::set<std::string> policy_names(const RoutingConfig& routing);

// Read after the routing section and the models, whose names the keys' preferences and allowed models refer
// to.
std::vector<ApiKeyConfig> read_api_keys(Reader& r, const Located& list, const RoutingConfig& routing,
                                        const std::set<std::string>& models) {
    const std::set<std::string> policies = policy_names(routing);
    std::vector<ApiKeyConfig> out;
    UniqueNames names("key name");
    r.for_each_item(list, [&](const Located& at) {
        if (!r.map(at, {"name", "sha256", "team", "expires", "allowed_models", "routing", "limits",
                        "timeouts", "queue"}))
            return;
        ApiKeyConfig key;
        r.read(at["name"], key.name, Presence::required);
        r.read(at["team"], key.team);
        if (std::string expires; r.read(at["expires"], expires)) {
            key.expires_unix_ms = parse_utc_time(expires);
            if (!key.expires_unix_ms)
                r.problem(
                    at["expires"],
                    "expected a UTC date (2026-12-31) or time (2026-12-31T18:30:00Z), got '" + expires + "'");
        }
        read_model_ids(r, at["allowed_models"], key.allowed_models);
        for (std::size_t j = 0; j < key.allowed_models.size(); ++j) {
            if (!models.contains(key.allowed_models[j]))
                r.problem(at["allowed_models"].item(j),
                          "no model '" + key.allowed_models[j] + "' in the pool");
        }
        read_preferences(r, at["routing"], key.routing);
        for (const std::string_view section : kKeySettingSections)
            read_key_setting_section(r, at[section], section, key.settings);
        check_preferences(r, at["routing"], key.routing, policies, models);
        if (r.read(at["sha256"], key.sha256, Presence::required) && !is_sha256_hex(key.sha256)) {
            r.problem(at["sha256"], "expected 64 lower-case hex digits (printf '%s' \"$KEY\" | sha256sum)");
        }
        names.check(r, at["name"], key.name);
        out.push_back(std::move(key));
    });
    return out;
}

// ---- ledger, budgets, admin, alerts ----

void read_ledger(Reader& r, const Located& at, const std::filesystem::path& base_dir, LedgerConfig& out) {
    if (!r.map(at, {"path", "durability", "key_poll_ms"})) return;
    if (std::string path; r.read(at["path"], path, Presence::required)) {
        std::filesystem::path p = path;
        out.path = (p.is_relative() ? base_dir / p : p).string();
    }
    r.read_one_of(at["durability"], out.durability, kLedgerDurabilities, "durability");
    r.read(at["key_poll_ms"], out.key_poll);
}

void read_budget_scope(Reader& r, const Located& at, BudgetConfig& out) {
    if (!at.present()) return;
    if (at.node().IsScalar()) {
        std::string text;
        if (r.read(at, text) && text != "global")
            r.problem(at,
                      "expected global, or a mapping such as { team: web } or { key: alice, model: gpt-5 }");
        return;
    }
    if (!r.map(at, {"team", "key", "model", "task"})) return;
    std::vector<std::string> given;
    for (const char* kind : {"team", "key", "model", "task"}) {
        if (at[kind].present()) given.emplace_back(kind);
    }
    if (given == std::vector<std::string>{"key", "model"}) {
        out.scope_kind = "key_model";
        r.read(at["key"], out.scope_value, Presence::required);
        r.read(at["model"], out.scope_model, Presence::required);
    } else if (given.size() == 1) {
        out.scope_kind = given[0];
        r.read(at[given[0]], out.scope_value, Presence::required);
        if (out.scope_kind == "task" && !detail::is_one_of(out.scope_value, kTaskTypes))
            r.problem(at["task"], detail::unknown_choice("task type", out.scope_value, kTaskTypes));
    } else {
        r.problem(at, "expected one of team, key, model or task, or key and model together");
    }
}

std::vector<BudgetConfig> read_budgets(Reader& r, const Located& list) {
    std::vector<BudgetConfig> out;
    UniqueNames names("budget name");
    r.for_each_item(list, [&](const Located& at) {
        if (!r.map(at, {"name", "scope", "period", "limit_usd", "hard", "alert_at", "utc_offset_minutes"}))
            return;
        BudgetConfig b;
        b.line = at.line();
        r.read(at["name"], b.name, Presence::required);
        names.check(r, at["name"], b.name);
        read_budget_scope(r, at["scope"], b);
        r.read_one_of(at["period"], b.period, kBudgetPeriods, "period");
        r.require(at["limit_usd"]);
        r.read(at["limit_usd"], b.limit_usd, 0.0, 1e9);
        r.read(at["hard"], b.hard);
        if (at["alert_at"].present()) {
            b.alert_at.clear();
            r.for_each_item(at["alert_at"], [&](const Located& item) {
                if (double f = 0; r.read(item, f, 0.01, 10.0)) b.alert_at.push_back(f);
            });
            std::sort(b.alert_at.begin(), b.alert_at.end());
        }
        r.read(at["utc_offset_minutes"], b.utc_offset_minutes, -14 * 60, 14 * 60);
        out.push_back(std::move(b));
    });
    return out;
}

void read_admin(Reader& r, const Located& at, AdminConfig& out) {
    if (!at.present()) return;
    if (!r.map(at, {"listen", "token_env"})) return;
    out.enabled = true;
    read_listen(r, at["listen"], out.listen_host, out.listen_port);
    r.read(at["token_env"], out.token_env);
    const Located token_at = at["token_env"].present() ? at["token_env"] : at;
    read_secret(r, token_at, out.token_env, out.token);
    // The token is all that guards keys and budgets: one a client could guess or brute-force is refused.
    if (!out.token.empty() && out.token.size() < kMinAdminTokenLength) {
        r.problem(token_at, "the admin token in " + out.token_env + " is shorter than " +
                                std::to_string(kMinAdminTokenLength) +
                                " characters: use a long random one (e.g. openssl rand -hex 32)");
    }
}

void read_alerts(Reader& r, const Located& at, AlertsConfig& out) {
    if (!r.map(at, {"webhook_url"})) return;
    if (r.read(at["webhook_url"], out.webhook_url) && !out.webhook_url.empty()) {
        BaseUrl url;
        if (!parse_base_url(out.webhook_url, url))
            r.problem(at["webhook_url"],
                      "expected an http:// or https:// URL, got '" + out.webhook_url + "'");
    }
}

// ---- references between sections ----

std::set<std::string> policy_names(const RoutingConfig& routing) {
    std::set<std::string> names(std::begin(kPolicyNames), std::end(kPolicyNames));
    for (const auto& p : routing.policies) names.insert(p.name);
    return names;
}

void check_preferences(Reader& r, const Located& at, const RoutePreferences& prefs,
                       const std::set<std::string>& policies, const std::set<std::string>& models) {
    if (!prefs.optimize.empty() && !policies.contains(prefs.optimize))
        r.problem(at["optimize"], detail::unknown_choice("policy", prefs.optimize, policies));
    const auto check_ids = [&](const char* key, const std::vector<std::string>& ids) {
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (!models.contains(ids[i])) r.problem(at[key].item(i), "no model '" + ids[i] + "' in the pool");
        }
    };
    check_ids("allow", prefs.allow);
    check_ids("deny", prefs.deny);
}

void check_routing(Reader& r, const Located& root, const Config& config) {
    const std::set<std::string> policies = policy_names(config.routing);
    const std::set<std::string> models = ids_of(config.models);
    const Located routing = root["routing"];
    if (!policies.contains(config.routing.default_policy))
        r.problem(routing["default_policy"],
                  detail::unknown_choice("policy", config.routing.default_policy, policies));
    if (!config.budgets.empty() && config.ledger.path.empty())
        r.problem(root["budgets"], "budgets need a ledger to count spend in: add ledger.path");
    if (models.contains("auto"))
        r.problem(root["models"], "'auto' is a reserved model name (it routes by the default policy)");
    for (const auto& alias : config.routing.aliases) {
        check_preferences(r, routing["aliases"][alias.name], alias.routing, policies, models);
        if (models.contains(alias.name))
            r.problem(routing["aliases"][alias.name], "alias '" + alias.name + "' is also a model id");
    }
}

// ---- files and the catalog ----

std::optional<std::string> read_text(Reader& r, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        r.problem(ConfigProblem{"", 0, "cannot open the file"});
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::optional<Located> parse_yaml(Reader& r, const std::string& text) {
    try {
        const YAML::Node root = YAML::Load(text);
        return Located(root, "", detail::line_of(root, 1));
    } catch (const YAML::Exception& e) {
        r.problem(ConfigProblem{"", e.mark.line + 1, "YAML syntax error: " + e.msg});
        return std::nullopt;
    }
}

// A catalog stands on its own: its fallbacks name its own models.
std::vector<ModelEntry> read_catalog_file(Reader& r) {
    const std::optional<std::string> text = read_text(r, r.file());
    const std::optional<Located> root = text ? parse_yaml(r, *text) : std::nullopt;
    if (!root) return {};
    if (!root->present()) {
        r.problem(*root, "the file is empty: a catalog holds a models list");
        return {};
    }
    if (!r.map(*root, {"models"}) || !r.require((*root)["models"])) return {};
    std::vector<ModelEntry> models = read_models(r, (*root)["models"]);
    check_fallbacks(r, models, ids_of(models));
    return models;
}

std::vector<ModelEntry> read_catalog(Reader& r, const Located& at, const std::filesystem::path& base_dir,
                                     std::string& path_out) {
    std::string name;
    if (!at.present() || !r.read(at, name, Presence::required)) return {};
    std::filesystem::path path = name;
    if (path.is_relative()) path = base_dir / path;
    path_out = path.string();
    Reader catalog(path_out);
    std::vector<ModelEntry> models = read_catalog_file(catalog);
    for (const auto& p : catalog.take_problems()) r.problem(at, format_problem(path_out, p));
    return models;
}

// The pool: the catalog's models that this file's providers serve and that it does not redefine, then this
// file's own. Fallbacks to catalog models left out are dropped: the catalog lists more than one deployment
// uses.
std::vector<ModelConfig> pool_of(const std::vector<ModelEntry>& own, const std::vector<ModelEntry>& catalog,
                                 const std::set<std::string>& providers) {
    const auto own_ids = ids_of(own);
    std::vector<ModelConfig> pool;
    for (const auto& e : catalog) {
        if (providers.contains(e.model.provider) && !own_ids.contains(e.model.id)) pool.push_back(e.model);
    }
    for (const auto& e : own) pool.push_back(e.model);
    const auto ids = ids_of(pool);
    for (auto& m : pool) std::erase_if(m.fallbacks, [&](const std::string& id) { return !ids.contains(id); });
    return pool;
}

// ---- the whole file ----

// An absent or empty list: a section that must have items declares none.
bool has_no_items(const Located& list) {
    return !list.present() || (list.node().IsSequence() && list.node().size() == 0);
}

void read_config(Reader& r, const Located& root, const std::filesystem::path& base_dir, Config& config) {
    if (!root.present()) {
        r.problem(root, "the file is empty: it needs at least providers and models");
        return;
    }
    if (!r.map(root, {"server", "upstream", "log", "routing", "admission", "providers", "models", "api_keys",
                      "catalog", "ledger", "budgets", "admin", "alerts"})) {
        return;
    }
    read_server(r, root["server"], config.server);
    read_upstream(r, root["upstream"], config.upstream);
    read_log(r, root["log"], config.log);
    read_routing(r, root["routing"], base_dir, config.routing);
    read_admission(r, root["admission"], config.admission);

    config.providers = read_providers(r, root["providers"]);
    if (has_no_items(root["providers"])) r.problem(root["providers"], "no providers: declare at least one");
    const auto providers = names_of(config.providers, [](const ProviderConfig& p) { return p.name; });

    const std::vector<ModelEntry> own = read_models(r, root["models"]);
    check_providers_declared(r, own, providers);
    const std::size_t problems_before_catalog = r.problems().size();
    const std::vector<ModelEntry> catalog = read_catalog(r, root["catalog"], base_dir, config.catalog_path);
    config.models = pool_of(own, catalog, providers);
    check_fallbacks(r, own, ids_of(config.models));
    // An empty pool is worth a word of its own unless a broken catalog already explains it.
    if (config.models.empty() && has_no_items(root["models"])) {
        if (!root["catalog"].present()) {
            r.problem(root["models"], "no models: declare some under models, or include a catalog");
        } else if (r.problems().size() == problems_before_catalog) {
            r.problem(root["models"], "no models: none declared here, and no catalog model's provider is");
        }
    }

    config.api_keys = read_api_keys(r, root["api_keys"], config.routing, ids_of(config.models));
    read_ledger(r, root["ledger"], base_dir, config.ledger);
    config.budgets = read_budgets(r, root["budgets"]);
    read_admin(r, root["admin"], config.admin);
    read_alerts(r, root["alerts"], config.alerts);
    check_routing(r, root, config);
}

Config load(const std::optional<std::string>& text, Reader& r, const std::filesystem::path& base_dir) {
    Config config;
    config.source_path = r.file();
    if (const std::optional<Located> root = text ? parse_yaml(r, *text) : std::nullopt) {
        read_config(r, *root, base_dir, config);
    }
    if (!r.problems().empty()) throw ConfigError(r.file(), r.take_problems());
    return config;
}

// ---- key settings ----

// Reading and writing one optional member of KeySettings as a whole number (milliseconds for durations).
template <auto Section, auto Member>
std::optional<long long> get_setting(const KeySettings& settings) {
    const auto& value = settings.*Section.*Member;
    if (!value) return std::nullopt;
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(*value)>, Millis>) {
        return value->count();
    } else {
        return static_cast<long long>(*value);
    }
}

template <auto Section, auto Member>
void set_setting(KeySettings& settings, std::optional<long long> n) {
    auto& value = settings.*Section.*Member;
    using Value = typename std::remove_cvref_t<decltype(value)>::value_type;
    if (!n) {
        value.reset();
    } else if constexpr (std::is_same_v<Value, Millis>) {
        value = Millis{*n};
    } else {
        value = static_cast<Value>(*n);
    }
}

template <auto Section, auto Member>
constexpr KeySettingField field(std::string_view section, std::string_view name, long long min,
                                long long max) {
    return {section, name, min, max, &get_setting<Section, Member>, &set_setting<Section, Member>};
}

constexpr long long kMaxKeyRate = 1'000'000'000;

// Section by section, in kKeySettingSections' order.
constexpr KeySettingField kKeySettingFields[] = {
    field<&KeySettings::limits, &LimitsConfig::rpm>("limits", "rpm", 1, kMaxKeyRate),
    field<&KeySettings::limits, &LimitsConfig::tpm>("limits", "tpm", 1, kMaxKeyRate),
    field<&KeySettings::limits, &LimitsConfig::max_in_flight>("limits", "max_in_flight", 1, kMaxKeyRate),
    field<&KeySettings::timeouts, &TimeoutsConfig::total>("timeouts", "total_ms", 1, detail::kMaxMillis),
    field<&KeySettings::timeouts, &TimeoutsConfig::first_token>("timeouts", "first_token_ms", 1,
                                                                detail::kMaxMillis),
    field<&KeySettings::queue, &KeyQueueConfig::share>("queue", "share", 1, 1'000),
    field<&KeySettings::queue, &KeyQueueConfig::max_depth>("queue", "max_depth", 0, 1'000'000),
    field<&KeySettings::queue, &KeyQueueConfig::max_wait>("queue", "max_wait_ms", 1, detail::kMaxMillis),
};

}  // namespace

std::span<const KeySettingField> key_setting_fields(std::string_view section) {
    const auto first = std::find_if(std::begin(kKeySettingFields), std::end(kKeySettingFields),
                                    [&](const KeySettingField& f) { return f.section == section; });
    const auto last = std::find_if(first, std::end(kKeySettingFields),
                                   [&](const KeySettingField& f) { return f.section != section; });
    return {first, last};
}

ConfigError::ConfigError(std::string file, std::vector<ConfigProblem> problems)
    : std::runtime_error([&] {
          std::string text;
          for (const auto& p : problems)
              text.append(text.empty() ? "" : "\n").append(format_problem(file, p));
          return text;
      }()),
      problems_(std::move(problems)) {}

std::optional<std::int64_t> parse_utc_time(std::string_view text) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    char tail = 0;
    const std::string t(text);
    const bool date_only = t.size() == 10 && std::sscanf(t.c_str(), "%4d-%2d-%2d%c", &y, &mo, &d, &tail) == 3;
    const bool date_time =
        t.size() == 20 &&
        std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec, &tail) == 7 &&
        tail == 'Z';
    if (!date_only && !date_time) return std::nullopt;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return std::nullopt;
    const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(mo)),
                                          std::chrono::day(static_cast<unsigned>(d))};
    if (!ymd.ok()) return std::nullopt;
    const auto days = std::chrono::sys_days(ymd).time_since_epoch().count();
    return ((static_cast<std::int64_t>(days) * 24 + h) * 60 + mi) * 60'000LL + sec * 1000LL;
}

Config load_config_file(const std::string& path) {
    Reader r(path);
    const std::optional<std::string> text = read_text(r, path);
    return load(text, r, std::filesystem::path(path).parent_path());
}

Config load_config_text(const std::string& yaml, const std::string& source_name) {
    Reader r(source_name);
    return load(yaml, r, ".");
}

}  // namespace gaterouter::config
