#pragma once
// The gateway's configuration as typed, validated values. Nothing outside this area reads YAML.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gaterouter::config {

using Millis = std::chrono::milliseconds;

struct ServerConfig {
    std::string listen_host = "0.0.0.0";
    std::uint16_t listen_port = 8080;
    unsigned workers = 0;  // 0: one per hardware thread
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_body_bytes = 16 * 1024 * 1024;
    Millis idle_timeout{60'000};        // keep-alive connection waiting for its next request
    Millis first_byte_timeout{10'000};  // a new connection waiting for its first byte (at most idle_timeout)
    Millis read_timeout{30'000};        // a request's headers and body, once its first byte arrived
    Millis write_timeout{30'000};
    Millis shutdown_grace{15'000};
    // Client connections open at once, in all and per client address (IPv6: per /64); over either, a new
    // connection is refused. 0: no cap.
    std::size_t max_connections = 10'000;
    // One busy app server streaming answers holds hundreds of connections; one address, a tenth of the total.
    std::size_t max_connections_per_address = 1024;
};

struct UpstreamConfig {
    Millis connect_timeout{5'000};
    Millis first_byte_timeout{120'000};
    Millis idle_timeout{60'000};  // silence between two reads of a response
    Millis total_timeout{600'000};
    std::size_t max_idle_per_origin = 256;
    Millis pool_idle_ttl{30'000};  // an idle pooled connection older than this is closed, not reused
    Millis dns_ttl{60'000};
};

struct LogConfig {
    std::string level = "info";  // trace, debug, info, warn, error, critical, off
    bool access_log = true;
};

struct ProviderConfig {
    std::string name;
    std::string kind;         // protocol: "openai" (more with the provider adapters)
    std::string base_url;     // e.g. https://api.openai.com/v1
    std::string api_key_env;  // name of the environment variable; empty: no key sent
    std::string api_key;      // resolved from api_key_env at load time; never logged
    std::string api_version;  // kind azure: the api-version query parameter
    bool insecure_skip_verify = false;
    std::map<std::string, std::string> headers;  // extra headers sent upstream
    int line = 0;                                // where it was declared, for messages from later stages
};

// The task types the classifier tells apart; quality priors are given per task type.
inline constexpr const char* kTaskTypes[] = {"chat",       "classification", "summarization",
                                             "extraction", "translation",    "code",
                                             "math",       "reasoning",      "creative"};
// What a model can do, as named in the catalog.
inline constexpr const char* kCapabilities[] = {"tools",     "vision",    "json",
                                                "streaming", "reasoning", "embeddings"};

// Rate and concurrency limits: a client key's (enforced on its requests) or a deployment's (the provider's
// own limits, which the gateway keeps under). Absent: no limit.
struct LimitsConfig {
    std::optional<std::uint32_t> rpm;            // requests per minute
    std::optional<std::uint32_t> tpm;            // tokens per minute (prompt and completion)
    std::optional<std::uint32_t> max_in_flight;  // requests at once
    bool any() const { return rpm || tpm || max_in_flight; }
    bool operator==(const LimitsConfig&) const = default;
};

// Time limits for a whole request (every attempt included) and for its first token; absent: the upstream
// section's per-attempt limits only.
struct TimeoutsConfig {
    std::optional<std::chrono::milliseconds> total;
    std::optional<std::chrono::milliseconds> first_token;
    bool operator==(const TimeoutsConfig&) const = default;
};

// How a key's requests wait for capacity in the admission queue; absent values: the admission section's.
struct KeyQueueConfig {
    std::optional<std::uint32_t> share;      // places per round of the fair queue (default 1)
    std::optional<std::uint32_t> max_depth;  // its requests waiting at once
    std::optional<std::chrono::milliseconds> max_wait;
    bool operator==(const KeyQueueConfig&) const = default;
};

// What a client key sets for its own requests besides routing. Config keys (`api_keys[]`) and keys issued at
// run time (admin API, CLI) take the same sections and values, checked against one table
// (key_setting_fields).
struct KeySettings {
    LimitsConfig limits;
    TimeoutsConfig timeouts;
    KeyQueueConfig queue;
    bool operator==(const KeySettings&) const = default;
};

// One value of KeySettings: its section and name as the YAML and the admin API write them (`limits: { rpm: 60
// }`), and the whole numbers it takes (milliseconds for names ending in _ms).
struct KeySettingField {
    std::string_view section;
    std::string_view name;
    long long min;
    long long max;
    std::optional<long long> (*get)(const KeySettings&);
    void (*set)(KeySettings&, std::optional<long long>);  // nothing: unset

    bool accepts(long long value) const { return value >= min && value <= max; }
};

inline constexpr std::string_view kKeySettingSections[] = {"limits", "timeouts", "queue"};
// The fields of one of kKeySettingSections, in the order the docs list them; none for another name.
std::span<const KeySettingField> key_setting_fields(std::string_view section);

// The admission queue: requests wait there when every candidate deployment is saturated.
struct AdmissionConfig {
    std::uint32_t max_depth = 2'048;    // requests waiting in all; more: 503
    std::uint32_t key_max_depth = 256;  // requests of one key waiting; more: 429
    Millis max_wait{2'000};             // the longest a request waits for a place; then 503
    Millis poll{20};                    // how often a waiting request looks for capacity freed by time
};

struct ModelConfig {
    std::string id;  // public id the client names
    std::string provider;
    std::string upstream_model;           // defaults to id
    double input_price_per_mtok = 0.0;    // USD per million input tokens
    double output_price_per_mtok = 0.0;   // USD per million output tokens
    std::uint32_t context_window = 0;     // tokens; 0: unknown
    std::uint32_t max_output_tokens = 0;  // tokens; 0: unknown
    // Names from kCapabilities. A model declared without the key gets tools, json and streaming.
    std::vector<std::string> capabilities;
    std::map<std::string, double> quality;  // task type → prior
    std::vector<std::string> fallbacks;     // model ids to fail over to, in order in [0, 1]
    LimitsConfig limits;                    // the provider's limits for this model
    std::string source;                     // the file it came from (the main config or the catalog)
    int line = 0;
};

// The built-in routing policies; `routing.policies` may tune them and add others.
inline constexpr const char* kPolicyNames[] = {"balanced", "cost", "latency", "quality"};

// A caller's routing preferences, as set for an API key or an alias (a request may add its own on top).
struct RoutePreferences {
    std::string optimize;                        // a policy name; empty: the default policy
    std::optional<double> max_cost_per_request;  // USD, of the request's expected cost
    std::optional<double> min_quality;           // in [0, 1], the model's prior for the request's task
    std::vector<std::string> allow;              // model ids; empty: the whole pool
    std::vector<std::string> deny;
};

struct ApiKeyConfig {
    std::string name;
    std::string sha256;  // lower-case hex of SHA-256 of the key; the key itself never sits in the file
    std::string team;    // owner label, for team budgets and spend reports
    std::optional<std::int64_t> expires_unix_ms;  // `expires: 2026-12-31` or `2026-12-31T18:00:00Z`
    std::vector<std::string> allowed_models;      // empty: every model
    RoutePreferences routing;
    KeySettings settings;
};

// The spend ledger: an SQLite file (WAL) with keys, budgets and one row per request.
struct LedgerConfig {
    std::string path;                   // resolved; empty: no ledger (and no budgets)
    std::string durability = "normal";  // normal: what is on record survives a crash; full: a power cut too
    // How often a running gateway looks for key changes another process (the CLI) made in the ledger.
    Millis key_poll{1'000};
};

// A spending limit. `scope` in the YAML is `global` or a mapping with one of team, key, model, task, or key
// and model together.
struct BudgetConfig {
    std::string name;
    std::string scope_kind = "global";  // global, team, key, model, task, key_model
    std::string scope_value;
    std::string scope_model;
    std::string period = "day";  // day, month, total
    double limit_usd = 0;
    bool hard = true;
    std::vector<double> alert_at = {0.5, 0.8, 1.0};
    int utc_offset_minutes = 0;  // calendar windows start at midnight of this fixed offset
    int line = 0;
};

// The admin API's own listener and bearer token.
struct AdminConfig {
    bool enabled = false;
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 8081;
    std::string token_env = "GATEROUTER_ADMIN_TOKEN";
    std::string token;  // from the environment; never logged
};

// The shortest admin token accepted: 32 characters, e.g. `openssl rand -hex 32`.
inline constexpr std::size_t kMinAdminTokenLength = 32;

struct AlertsConfig {
    std::string webhook_url;  // budget alerts are POSTed here as JSON; empty: log and metrics only
};

// Hedged requests: when the chosen deployment has sent no response head after a threshold, the next
// candidate is tried at the same time, and the first to answer wins.
struct HedgeConfig {
    std::optional<Millis> after;  // a fixed threshold; absent: the deployment's live `quantile`
    double quantile = 0.95;       // of its time to the response head (to the first token for streams)
    Millis min{50};               // never earlier than this
};

// The weight of each score term; a term not given keeps the built-in policy's (balanced's for a new name).
struct PolicyConfig {
    std::string name;
    std::optional<double> quality, cost, latency, errors, load;
    std::optional<HedgeConfig> hedge;  // absent: no hedging
};

// A model name clients may use that routes by preferences instead of naming a model: `fast`, `cheap`, ...
struct AliasConfig {
    std::string name;
    RoutePreferences routing;
};

// Failovers allowed beyond first attempts, so a provider outage cannot multiply the load on the others.
struct RetryBudgetConfig {
    double ratio = 0.2;            // retries per first attempt, over the last second or so
    unsigned min_per_second = 10;  // always allowed, so a quiet gateway can still fail over
};

struct BreakerConfig {
    int consecutive_failures = 5;
    double error_rate = 0.5;
    int min_requests = 20;
    Millis window{10'000};
    Millis cooldown{5'000};
    int half_open_probes = 2;
};

struct RoutingConfig {
    unsigned max_attempts = 3;  // candidates tried per request, the first included
    std::string
        classifier_model;  // the task classifier's weights file (resolved path); empty: not classified
    BreakerConfig breaker;
    std::string default_policy = "balanced";
    std::vector<PolicyConfig> policies;
    std::vector<AliasConfig> aliases;  // besides "auto", which is always there (the default policy)
    RetryBudgetConfig retry_budget;
    Millis wait_for_recovery{2'000};  // when every candidate's breaker is open: the longest wait for a probe
};

struct Config {
    ServerConfig server;
    UpstreamConfig upstream;
    LogConfig log;
    RoutingConfig routing;
    AdmissionConfig admission;
    std::vector<ProviderConfig> providers;
    std::vector<ModelConfig> models;
    std::vector<ApiKeyConfig>
        api_keys;  // empty (and none in the ledger): the gateway is open (a warning is logged)
    LedgerConfig ledger;
    std::vector<BudgetConfig> budgets;
    AdminConfig admin;
    AlertsConfig alerts;
    std::string catalog_path;  // `catalog:` — models file merged under the main file's own models
    std::string source_path;
};

// One problem found in a configuration file: "<file>:<line>: <yaml.path>: <message>".
struct ConfigProblem {
    std::string path;  // e.g. "providers[1].base_url"
    int line = 0;      // 1-based; 0 when unknown
    std::string message;
};

class ConfigError : public std::runtime_error {
  public:
    ConfigError(std::string file, std::vector<ConfigProblem> problems);
    const std::vector<ConfigProblem>& problems() const { return problems_; }

  private:
    std::vector<ConfigProblem> problems_;
};

// Scope kinds, periods and durabilities as the YAML names them.
inline constexpr const char* kBudgetPeriods[] = {"day", "month", "total"};
inline constexpr const char* kLedgerDurabilities[] = {"full", "normal"};

// "2026-12-31" (midnight UTC) or "2026-12-31T18:30:00Z" as Unix milliseconds; nothing when malformed.
std::optional<std::int64_t> parse_utc_time(std::string_view text);

// Reads a YAML file, validates all of it and returns the typed config; throws ConfigError listing every
// problem (unknown key, wrong type, missing environment variable, duplicate id, bad reference...).
Config load_config_file(const std::string& path);

// Same, from YAML text already in memory; `source_name` names it in messages.
Config load_config_text(const std::string& yaml, const std::string& source_name);

}  // namespace gaterouter::config
