#include "gaterouter/app/cli.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gaterouter/api/admin_codec.hpp"
#include "gaterouter/auth/api_keys.hpp"
#include "gaterouter/budget/wall_clock.hpp"
#include "gaterouter/config/config.hpp"
#include "gaterouter/route/policy.hpp"
#include "gaterouter/store/sqlite_stores.hpp"

namespace gaterouter::app {
namespace {

constexpr std::string_view kCliUsage =
    R"(Usage:
  gaterouter keys create NAME [--team T] [--expires DATE] [--allowed-models a,b] [--policy P]
                         [--limits-rpm N] [--limits-tpm N] [--limits-max-in-flight N]
                         [--timeouts-total-ms N] [--timeouts-first-token-ms N]
                         [--queue-share N] [--queue-max-depth N] [--queue-max-wait-ms N]
  gaterouter keys list [--format table|json]
  gaterouter keys revoke NAME
  gaterouter spend [--from DATE] [--to DATE] [--group-by key,team,model,provider,task,day]
                   [--format table|csv|json] [--utc-offset-minutes N]

Every command also takes --config FILE (default: $GATEROUTER_CONFIG, else config/gaterouter.yaml; its
ledger.path is the database) or --ledger FILE (the ledger's SQLite file itself, without reading a config).
DATE is 2026-01-31, 2026-01-31T18:00:00Z or Unix milliseconds. --<section>-<name> N sets what api_keys[]
takes in the config as <section>: { <name>: N }, with the same ranges.
A running gateway on the same ledger puts keys created or revoked here in force within ledger.key_poll_ms
(default 1000).
)";

struct Args {
    std::vector<std::string> positional;
    std::map<std::string, std::string> options;  // "--team" → value
};

class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

Args parse_args(int argc, char** argv, int first, const std::vector<std::string>& known) {
    Args args;
    for (int i = first; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.starts_with("--")) {
            if (std::find(known.begin(), known.end(), arg) == known.end())
                throw UsageError("unknown option '" + arg + "'");
            if (i + 1 >= argc) throw UsageError(arg + " needs a value");
            args.options[arg] = argv[++i];
        } else {
            args.positional.push_back(arg);
        }
    }
    return args;
}

std::optional<std::string> option(const Args& args, const std::string& name) {
    const auto it = args.options.find(name);
    if (it == args.options.end()) return std::nullopt;
    return it->second;
}

// The ledger a command works on, and the config when one was read.
struct Target {
    std::optional<config::Config> config;
    std::unique_ptr<store::SqliteDatabase> database;
};

Target open_target(const Args& args) {
    Target t;
    std::optional<std::string> ledger_path = option(args, "--ledger");
    std::optional<std::string> config_path = option(args, "--config");
    if (!ledger_path || config_path) {
        if (!config_path) {
            const char* env = std::getenv("GATEROUTER_CONFIG");
            config_path = env != nullptr ? env : "config/gaterouter.yaml";
        }
        t.config = config::load_config_file(*config_path);
        if (!ledger_path) {
            if (t.config->ledger.path.empty())
                throw std::runtime_error(*config_path +
                                         " has no ledger (ledger.path): there is nothing to work on");
            ledger_path = t.config->ledger.path;
        }
    }
    store::SqliteOptions options;
    options.path = *ledger_path;
    t.database = std::make_unique<store::SqliteDatabase>(options);
    return t;
}

std::int64_t now_ms() {
    return budget::SystemWallClock().now_unix_ms();
}

std::optional<store::ApiKeyRecord> stored_key(const store::SqliteKeyStore& keys, std::string_view name) {
    for (auto& r : keys.api_keys()) {
        if (r.name == name) return std::move(r);
    }
    return std::nullopt;
}

const config::ApiKeyConfig* config_key(const Target& t, std::string_view name) {
    if (!t.config) return nullptr;
    for (const auto& k : t.config->api_keys) {
        if (k.name == name) return &k;
    }
    return nullptr;
}

// "--limits-max-in-flight" for limits.max_in_flight.
std::string setting_option(const config::KeySettingField& f) {
    std::string option = "--" + std::string(f.section) + "-" + std::string(f.name);
    std::replace(option.begin(), option.end(), '_', '-');
    return option;
}

// The key settings given as options, as the admin API's body takes them: {"limits": {"rpm": 60}}. A value
// that is not a whole number goes in as text, for the admin codec to refuse with its message.
nlohmann::json settings_body(const Args& args) {
    nlohmann::json body = nlohmann::json::object();
    for (const std::string_view section : config::kKeySettingSections) {
        for (const auto& f : config::key_setting_fields(section)) {
            const std::optional<std::string> v = option(args, setting_option(f));
            if (!v) continue;
            long long n = 0;
            const char* end = v->data() + v->size();
            const auto [ptr, ec] = std::from_chars(v->data(), end, n);
            body[std::string(section)][std::string(f.name)] =
                ec == std::errc{} && ptr == end && !v->empty() ? nlohmann::json(n) : nlohmann::json(*v);
        }
    }
    return body;
}

std::vector<std::string> keys_create_options() {
    std::vector<std::string> known{"--config",  "--ledger",         "--team",
                                   "--expires", "--allowed-models", "--policy"};
    for (const std::string_view section : config::kKeySettingSections) {
        for (const auto& f : config::key_setting_fields(section)) known.push_back(setting_option(f));
    }
    return known;
}

std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> out;
    std::string_view rest = text;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        if (!item.empty()) out.emplace_back(item);
    }
    return out;
}

int keys_create(const Args& args) {
    if (args.positional.size() != 1) throw UsageError("keys create needs one NAME");
    const std::string& name = args.positional[0];
    if (!api::admin::valid_name(name))
        throw UsageError("a key name is 1 to 64 letters, digits, '.', '_' or '-'");
    Target t = open_target(args);
    store::SqliteKeyStore keys(*t.database);
    if (config_key(t, name) != nullptr || stored_key(keys, name)) {
        std::cerr << "gaterouter: a key named '" << name << "' exists already (names are never reused)\n";
        return 1;
    }
    nlohmann::json body = settings_body(args);
    if (auto v = option(args, "--team")) body["team"] = *v;
    if (auto v = option(args, "--expires")) body["expires"] = *v;
    if (auto v = option(args, "--allowed-models")) body["allowed_models"] = split_commas(*v);
    if (auto v = option(args, "--policy")) body["policy"] = *v;
    std::optional<route::Policies> policies;
    if (t.config) policies.emplace(t.config->routing);
    store::ApiKeyRecord record;
    record.name = name;
    api::admin::apply_key_fields(body, record, [&policies](const std::string& p) {
        if (policies) return policies->find(p) != nullptr;
        return std::any_of(std::begin(config::kPolicyNames), std::end(config::kPolicyNames),
                           [&p](const char* n) { return p == n; });
    });
    record.created_unix_ms = now_ms();
    const std::string key = auth::generate_key();
    record.sha256_hex = auth::to_hex(auth::sha256(key));
    keys.put_api_key(record);
    std::cerr << "Created key '" << name << "'. Its value is shown this once; only its hash is kept:\n";
    std::cout << key << "\n";
    return 0;
}

int keys_list(const Args& args) {
    if (!args.positional.empty()) throw UsageError("keys list takes no arguments");
    const std::string format = option(args, "--format").value_or("table");
    if (format != "table" && format != "json") throw UsageError("--format is table or json");
    Target t = open_target(args);
    store::SqliteKeyStore keys(*t.database);
    std::map<std::string, api::admin::KeyListing> listing;
    if (t.config) {
        for (const auto& k : t.config->api_keys) listing.insert_or_assign(k.name, api::admin::listing_of(k));
    }
    for (auto& r : keys.api_keys()) {
        r.sha256_hex.clear();
        std::string name = r.name;
        const bool from_config = config_key(t, name) != nullptr;
        listing.insert_or_assign(
            std::move(name), api::admin::KeyListing{std::move(r), from_config ? "config" : "admin", true});
    }
    const std::int64_t now = now_ms();
    nlohmann::json data = nlohmann::json::array();
    for (const auto& [name, l] : listing) data.push_back(api::admin::key_json(l, now));
    if (format == "json") {
        std::cout << nlohmann::json{{"object", "list"}, {"data", data}}.dump(2) << "\n";
        return 0;
    }
    const auto text = [](const nlohmann::json& v) {
        return v.is_string() ? v.get<std::string>() : std::string("-");
    };
    std::vector<std::vector<std::string>> rows{{"NAME", "TEAM", "STATUS", "CREATED", "EXPIRES", "SOURCE"}};
    for (const auto& k : data)
        rows.push_back({text(k["name"]), text(k["team"]), text(k["status"]), text(k["created"]),
                        text(k["expires"]), text(k["source"])});
    std::vector<std::size_t> widths(rows[0].size(), 0);
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
        }
        std::cout << line << "\n";
    }
    return 0;
}

int keys_revoke(const Args& args) {
    if (args.positional.size() != 1) throw UsageError("keys revoke needs one NAME");
    const std::string& name = args.positional[0];
    Target t = open_target(args);
    store::SqliteKeyStore keys(*t.database);
    const std::int64_t now = now_ms();
    if (auto r = stored_key(keys, name)) {
        if (!r->revoked_unix_ms || *r->revoked_unix_ms > now) keys.revoke_api_key(name, now);
    } else if (const auto* k = config_key(t, name)) {
        store::ApiKeyRecord record = api::admin::record_of(*k, now);  // its revoked copy replaces it
        record.revoked_unix_ms = now;
        keys.put_api_key(record);
    } else {
        std::cerr << "gaterouter: there is no key named '" << name << "'\n";
        return 1;
    }
    std::cerr << "Revoked key '" << name << "'.\n";
    return 0;
}

int spend(const Args& args) {
    if (!args.positional.empty()) throw UsageError("spend takes no arguments besides its options");
    const std::string format = option(args, "--format").value_or("table");
    if (format != "table" && format != "json" && format != "csv")
        throw UsageError("--format is table, csv or json");
    std::map<std::string, std::string> params;
    if (auto v = option(args, "--from")) params["from"] = *v;
    if (auto v = option(args, "--to")) params["to"] = *v;
    if (auto v = option(args, "--group-by")) params["group_by"] = *v;
    if (auto v = option(args, "--utc-offset-minutes")) params["utc_offset_minutes"] = *v;
    const store::SpendQuery query = api::admin::spend_query_from(params);
    Target t = open_target(args);
    store::SqliteLedgerStore ledger(*t.database);
    const store::SpendReport report = ledger.spend_report(query);
    if (format == "csv") {
        std::cout << store::to_csv(report);
        return 0;
    }
    if (format == "json") {
        std::cout << api::admin::spend_report_json(report, query).dump(2) << "\n";
        return 0;
    }
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> header;
    for (const auto f : report.group_by) header.emplace_back(store::group_field_name(f));
    for (const char* h : {"requests", "prompt_tokens", "completion_tokens", "cost_usd"})
        header.emplace_back(h);
    rows.push_back(header);
    store::SpendReportRow total;
    for (const auto& r : report.rows) {
        std::vector<std::string> row = r.groups;
        row.resize(report.group_by.size());
        row.push_back(std::to_string(r.requests));
        row.push_back(std::to_string(r.prompt_tokens));
        row.push_back(std::to_string(r.completion_tokens));
        row.push_back(store::format_usd(r.cost));
        rows.push_back(std::move(row));
        total.requests += r.requests;
        total.prompt_tokens += r.prompt_tokens;
        total.completion_tokens += r.completion_tokens;
        total.cost += r.cost;
    }
    std::vector<std::string> last(report.group_by.size(), "");
    if (!last.empty()) last[0] = "total";
    last.push_back(std::to_string(total.requests));
    last.push_back(std::to_string(total.prompt_tokens));
    last.push_back(std::to_string(total.completion_tokens));
    last.push_back(store::format_usd(total.cost));
    // Grouped reports end with their total; an ungrouped one is its own total (one row, none when empty).
    if (!report.group_by.empty() || report.rows.empty()) rows.push_back(last);
    std::vector<std::size_t> widths(header.size(), 0);
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            const bool numeric = i >= report.group_by.size();
            const std::string pad(widths[i] - row[i].size(), ' ');
            line += numeric ? pad + row[i] : row[i] + pad;
            if (i + 1 < row.size()) line += "  ";
        }
        std::cout << line << "\n";
    }
    return 0;
}

}  // namespace

bool is_cli_command(std::string_view command) {
    return command == "keys" || command == "spend";
}

int run_cli(int argc, char** argv) {
    const std::string command = argv[1];
    for (int i = 2; i < argc; ++i) {
        if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") {
            std::cout << kCliUsage;
            return 0;
        }
    }
    try {
        if (command == "keys") {
            if (argc < 3) throw UsageError("keys needs create, list or revoke");
            const std::string sub = argv[2];
            if (sub == "create") {
                return keys_create(parse_args(argc, argv, 3, keys_create_options()));
            }
            if (sub == "list")
                return keys_list(parse_args(argc, argv, 3, {"--config", "--ledger", "--format"}));
            if (sub == "revoke") return keys_revoke(parse_args(argc, argv, 3, {"--config", "--ledger"}));
            throw UsageError("unknown keys command '" + sub + "' (create, list or revoke)");
        }
        return spend(parse_args(
            argc, argv, 2,
            {"--config", "--ledger", "--from", "--to", "--group-by", "--format", "--utc-offset-minutes"}));
    } catch (const UsageError& e) {
        std::cerr << "gaterouter: " << e.what() << "\n\n" << kCliUsage;
        return 2;
    } catch (const api::admin::AdminFailure& e) {
        const std::string param = e.error().param;
        std::cerr << "gaterouter: " << (param.empty() ? "" : param + ": ") << e.what() << "\n";
        return 2;
    } catch (const config::ConfigError& e) {
        std::cerr << "gaterouter: the configuration has problems:\n" << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "gaterouter: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace gaterouter::app
