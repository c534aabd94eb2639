// YAML → typed config. Every problem found is collected with its file, line and YAML path, so one run of
// --check-config shows them all; nothing is silently defaulted (an unknown key is an error, with a suggestion).

#include "gaterouter/config/config.hpp"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "gaterouter/config/base_url.hpp"

namespace gaterouter::config {

namespace {

std::string format_problems(const std::string& file, const std::vector<ConfigProblem>& problems) {
    std::ostringstream out;
    for (std::size_t i = 0; i < problems.size(); ++i) {
        const auto& p = problems[i];
        if (i > 0) out << "\n";
        out << file << ":" << p.line << ": " << (p.path.empty() ? "(top)" : p.path) << ": " << p.message;
    }
    return out.str();
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

bool is_ip_address(const std::string& host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// Walks YAML nodes, converting scalars to typed values and recording every problem with where it is.
class Reader {
public:
    explicit Reader(std::string file) : file_(std::move(file)) {}

    void problem(const YAML::Node& at, const std::string& path, std::string message) {
        const int line = at.IsDefined() ? at.Mark().line + 1 : 0;
        problems_.push_back({path, line > 0 ? line : 0, std::move(message)});
    }
    void problem_at_line(int line, const std::string& path, std::string message) {
        problems_.push_back({path, line, std::move(message)});
    }
    std::vector<ConfigProblem>& problems() { return problems_; }
    const std::string& file() const { return file_; }

    static std::string join(const std::string& path, std::string_view key) {
        return path.empty() ? std::string(key) : path + "." + std::string(key);
    }

    bool is_map(const YAML::Node& node, const std::string& path) {
        if (node.IsMap()) return true;
        problem(node, path, "expected a mapping of keys to values");
        return false;
    }

    bool is_list(const YAML::Node& node, const std::string& path) {
        if (node.IsSequence()) return true;
        problem(node, path, "expected a list");
        return false;
    }

    // Unknown keys are errors: a typo must not fall back to a default unnoticed.
    void check_keys(const YAML::Node& map, const std::string& path, std::initializer_list<std::string_view> known) {
        for (const auto& kv : map) {
            const std::string key = kv.first.Scalar();
            if (std::find(known.begin(), known.end(), key) != known.end()) continue;
            std::string message = "unknown key '" + key + "'";
            for (const auto k : known) {
                if (edit_distance(key, k) <= 2) {
                    message += ", did you mean '" + std::string(k) + "'?";
                    break;
                }
            }
            problem(kv.first, join(path, key), message);
        }
    }

    // The value of `key` when present (and not null); records a problem when it is required and absent.
    YAML::Node value(const YAML::Node& map, const std::string& path, const char* key, bool required = false) {
        const YAML::Node v = map[key];
        if ((!v.IsDefined() || v.IsNull()) && required) {
            problem(map, join(path, key), "missing required key");
        }
        return v.IsDefined() && !v.IsNull() ? v : YAML::Node(YAML::NodeType::Undefined);
    }

    bool scalar(const YAML::Node& v, const std::string& path, const char* expected) {
        if (v.IsScalar()) return true;
        problem(v, path, std::string("expected ") + expected);
        return false;
    }

    void read(const YAML::Node& map, const std::string& path, const char* key, std::string& out,
              bool required = false) {
        const YAML::Node v = value(map, path, key, required);
        if (!v.IsDefined() || !scalar(v, join(path, key), "a string")) return;
        out = v.Scalar();
        if (required && out.empty()) problem(v, join(path, key), "must not be empty");
    }

    void read(const YAML::Node& map, const std::string& path, const char* key, bool& out) {
        const YAML::Node v = value(map, path, key);
        if (!v.IsDefined() || !scalar(v, join(path, key), "true or false")) return;
        const std::string s = v.Scalar();
        if (s == "true") {
            out = true;
        } else if (s == "false") {
            out = false;
        } else {
            problem(v, join(path, key), "expected true or false, got '" + s + "'");
        }
    }

    // An integer in [min, max].
    template <class Int>
    void read_int(const YAML::Node& map, const std::string& path, const char* key, Int& out, long long min,
                  long long max) {
        const YAML::Node v = value(map, path, key);
        if (!v.IsDefined() || !scalar(v, join(path, key), "an integer")) return;
        const std::string s = v.Scalar();
        long long n = 0;
        const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec != std::errc{} || ptr != s.data() + s.size()) {
            problem(v, join(path, key), "expected an integer, got '" + s + "'");
        } else if (n < min || n > max) {
            problem(v, join(path, key),
                    "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + s);
        } else {
            out = static_cast<Int>(n);
        }
    }

    void read_ms(const YAML::Node& map, const std::string& path, const char* key, Millis& out) {
        long long ms = out.count();
        read_int(map, path, key, ms, 1, 24LL * 3600 * 1000);
        out = Millis{ms};
    }

    void read_number(const YAML::Node& map, const std::string& path, const char* key, double& out, double min,
                     double max) {
        const YAML::Node v = value(map, path, key);
        if (!v.IsDefined() || !scalar(v, join(path, key), "a number")) return;
        read_number_scalar(v, join(path, key), out, min, max);
    }

    void read_number_scalar(const YAML::Node& v, const std::string& path, double& out, double min, double max) {
        const std::string s = v.Scalar();
        char* end = nullptr;
        const double d = std::strtod(s.c_str(), &end);
        if (s.empty() || end != s.c_str() + s.size()) {
            problem(v, path, "expected a number, got '" + s + "'");
        } else if (d < min || d > max) {
            std::ostringstream range;
            range << "must be between " << min << " and " << max << ", got " << s;
            problem(v, path, range.str());
        } else {
            out = d;
        }
    }

private:
    std::string file_;
    std::vector<ConfigProblem> problems_;
};

constexpr long long kMaxBytes = 1LL << 40;

void read_listen(Reader& r, const YAML::Node& server, ServerConfig& out) {
    const YAML::Node v = r.value(server, "server", "listen");
    if (!v.IsDefined() || !r.scalar(v, "server.listen", "\"host:port\"")) return;
    const std::string s = v.Scalar();
    std::string host, port;
    if (s.starts_with('[')) {
        const auto close = s.find("]:");
        if (close != std::string::npos) {
            host = s.substr(1, close - 1);
            port = s.substr(close + 2);
        }
    } else if (const auto colon = s.rfind(':'); colon != std::string::npos) {
        host = s.substr(0, colon);
        port = s.substr(colon + 1);
    }
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (host.empty() || port.empty() || ec != std::errc{} || ptr != port.data() + port.size() || value > 65535) {
        r.problem(v, "server.listen", "expected \"host:port\" (e.g. \"0.0.0.0:8080\" or \"[::1]:8080\"), got '" + s + "'");
        return;
    }
    if (!is_ip_address(host)) {
        r.problem(v, "server.listen", "the host must be an IP address (e.g. 0.0.0.0, 127.0.0.1 or ::), got '" + host + "'");
        return;
    }
    out.listen_host = host;
    out.listen_port = static_cast<std::uint16_t>(value);
}

void read_server(Reader& r, const YAML::Node& node, ServerConfig& out) {
    if (!r.is_map(node, "server")) return;
    r.check_keys(node, "server",
                 {"listen", "workers", "max_header_bytes", "max_body_bytes", "idle_timeout_ms", "read_timeout_ms",
                  "write_timeout_ms", "shutdown_grace_ms"});
    read_listen(r, node, out);
    r.read_int(node, "server", "workers", out.workers, 0, 1024);
    r.read_int(node, "server", "max_header_bytes", out.max_header_bytes, 1024, 1 << 24);
    r.read_int(node, "server", "max_body_bytes", out.max_body_bytes, 1, kMaxBytes);
    r.read_ms(node, "server", "idle_timeout_ms", out.idle_timeout);
    r.read_ms(node, "server", "read_timeout_ms", out.read_timeout);
    r.read_ms(node, "server", "write_timeout_ms", out.write_timeout);
    r.read_ms(node, "server", "shutdown_grace_ms", out.shutdown_grace);
}

void read_upstream(Reader& r, const YAML::Node& node, UpstreamConfig& out) {
    if (!r.is_map(node, "upstream")) return;
    r.check_keys(node, "upstream",
                 {"connect_timeout_ms", "first_byte_timeout_ms", "idle_timeout_ms", "total_timeout_ms",
                  "max_idle_per_origin", "pool_idle_ttl_ms", "dns_ttl_ms"});
    r.read_ms(node, "upstream", "connect_timeout_ms", out.connect_timeout);
    r.read_ms(node, "upstream", "first_byte_timeout_ms", out.first_byte_timeout);
    r.read_ms(node, "upstream", "idle_timeout_ms", out.idle_timeout);
    r.read_ms(node, "upstream", "total_timeout_ms", out.total_timeout);
    r.read_int(node, "upstream", "max_idle_per_origin", out.max_idle_per_origin, 0, 1 << 20);
    r.read_ms(node, "upstream", "pool_idle_ttl_ms", out.pool_idle_ttl);
    r.read_ms(node, "upstream", "dns_ttl_ms", out.dns_ttl);
}

void read_routing(Reader& r, const YAML::Node& node, RoutingConfig& out) {
    if (!r.is_map(node, "routing")) return;
    r.check_keys(node, "routing", {"max_attempts", "breaker"});
    r.read_int(node, "routing", "max_attempts", out.max_attempts, 1, 10);
    const YAML::Node b = r.value(node, "routing", "breaker");
    if (!b.IsDefined() || !r.is_map(b, "routing.breaker")) return;
    const std::string path = "routing.breaker";
    r.check_keys(b, path,
                 {"consecutive_failures", "error_rate", "min_requests", "window_ms", "cooldown_ms", "half_open_probes"});
    r.read_int(b, path, "consecutive_failures", out.breaker.consecutive_failures, 1, 1000);
    r.read_number(b, path, "error_rate", out.breaker.error_rate, 0.01, 1.0);
    r.read_int(b, path, "min_requests", out.breaker.min_requests, 1, 1'000'000);
    r.read_ms(b, path, "window_ms", out.breaker.window);
    r.read_ms(b, path, "cooldown_ms", out.breaker.cooldown);
    r.read_int(b, path, "half_open_probes", out.breaker.half_open_probes, 1, 1000);
}

void read_log(Reader& r, const YAML::Node& node, LogConfig& out) {
    if (!r.is_map(node, "log")) return;
    r.check_keys(node, "log", {"level", "access_log"});
    r.read(node, "log", "level", out.level);
    static const std::set<std::string> kLevels{"trace", "debug", "info", "warn", "error", "critical", "off"};
    if (!kLevels.contains(out.level)) {
        r.problem(node["level"], "log.level",
                  "must be one of trace, debug, info, warn, error, critical, off; got '" + out.level + "'");
    }
    r.read(node, "log", "access_log", out.access_log);
}

constexpr const char* kKinds[] = {"openai", "azure", "anthropic", "gemini"};
constexpr const char* kDefaultAzureApiVersion = "2024-10-21";

bool is_known_kind(const std::string& kind) {
    return std::find_if(std::begin(kKinds), std::end(kKinds), [&](const char* k) { return kind == k; }) !=
           std::end(kKinds);
}

void read_providers(Reader& r, const YAML::Node& node, std::vector<ProviderConfig>& out) {
    if (!r.is_list(node, "providers")) return;
    std::set<std::string> names;
    for (std::size_t i = 0; i < node.size(); ++i) {
        const YAML::Node p = node[i];
        const std::string path = "providers[" + std::to_string(i) + "]";
        if (!r.is_map(p, path)) continue;
        if (p["api_key"].IsDefined()) {
            r.problem(p["api_key"], path + ".api_key",
                      "secrets do not belong in the file: put the key in an environment variable and name it "
                      "with api_key_env");
        }
        r.check_keys(p, path,
                     {"name", "kind", "base_url", "api_key_env", "insecure_skip_verify", "headers", "api_version",
                      "api_key"});
        ProviderConfig pc;
        pc.line = p.Mark().line + 1;
        r.read(p, path, "name", pc.name, true);
        r.read(p, path, "kind", pc.kind, true);
        r.read(p, path, "base_url", pc.base_url, true);
        r.read(p, path, "api_key_env", pc.api_key_env);
        r.read(p, path, "insecure_skip_verify", pc.insecure_skip_verify);
        r.read(p, path, "api_version", pc.api_version);
        if (pc.kind == "azure" && pc.api_version.empty()) pc.api_version = kDefaultAzureApiVersion;
        if (!pc.name.empty() && !names.insert(pc.name).second) {
            r.problem(p["name"], path + ".name", "duplicate provider name '" + pc.name + "'");
        }
        if (!pc.kind.empty() && !is_known_kind(pc.kind)) {
            r.problem(p["kind"], path + ".kind", "unknown kind '" + pc.kind + "' (known: openai, azure, anthropic, gemini)");
        }
        BaseUrl url;
        if (!pc.base_url.empty() && !parse_base_url(pc.base_url, url)) {
            r.problem(p["base_url"], path + ".base_url",
                      "expected an http:// or https:// URL with a host, got '" + pc.base_url + "'");
        }
        if (!pc.api_key_env.empty()) {
            const char* key = std::getenv(pc.api_key_env.c_str());
            if (key == nullptr || *key == '\0') {
                r.problem(p["api_key_env"], path + ".api_key_env",
                          "environment variable " + pc.api_key_env + " is not set");
            } else {
                pc.api_key = key;
            }
        }
        if (const YAML::Node h = r.value(p, path, "headers"); h.IsDefined() && r.is_map(h, path + ".headers")) {
            for (const auto& kv : h) {
                const std::string hp = path + ".headers." + kv.first.Scalar();
                if (r.scalar(kv.second, hp, "a string")) pc.headers[kv.first.Scalar()] = kv.second.Scalar();
            }
        }
        out.push_back(std::move(pc));
    }
}

void read_model(Reader& r, const YAML::Node& m, const std::string& path, ModelConfig& mc) {
    r.check_keys(m, path,
                 {"id", "provider", "upstream_model", "input_price_per_mtok", "output_price_per_mtok",
                  "context_window", "max_output_tokens", "capabilities", "quality", "fallbacks"});
    mc.line = m.Mark().line + 1;
    mc.source = r.file();
    r.read(m, path, "id", mc.id, true);
    r.read(m, path, "provider", mc.provider, true);
    r.read(m, path, "upstream_model", mc.upstream_model);
    if (mc.upstream_model.empty()) mc.upstream_model = mc.id;
    r.read_number(m, path, "input_price_per_mtok", mc.input_price_per_mtok, 0.0, 1e6);
    r.read_number(m, path, "output_price_per_mtok", mc.output_price_per_mtok, 0.0, 1e6);
    r.read_int(m, path, "context_window", mc.context_window, 0, std::numeric_limits<std::uint32_t>::max());
    r.read_int(m, path, "max_output_tokens", mc.max_output_tokens, 0, std::numeric_limits<std::uint32_t>::max());

    mc.capabilities = {"tools", "json", "streaming"};
    if (const YAML::Node caps = r.value(m, path, "capabilities"); caps.IsDefined()) {
        mc.capabilities.clear();
        if (r.is_list(caps, path + ".capabilities")) {
            for (std::size_t i = 0; i < caps.size(); ++i) {
                const std::string cp = path + ".capabilities[" + std::to_string(i) + "]";
                if (!r.scalar(caps[i], cp, "a capability name")) continue;
                const std::string c = caps[i].Scalar();
                if (std::find_if(std::begin(kCapabilities), std::end(kCapabilities),
                                 [&](const char* k) { return c == k; }) == std::end(kCapabilities)) {
                    r.problem(caps[i], cp,
                              "unknown capability '" + c + "' (known: tools, vision, json, streaming, reasoning, embeddings)");
                } else {
                    mc.capabilities.push_back(c);
                }
            }
        }
    }
    if (const YAML::Node f = r.value(m, path, "fallbacks"); f.IsDefined() && r.is_list(f, path + ".fallbacks")) {
        for (std::size_t i = 0; i < f.size(); ++i) {
            if (r.scalar(f[i], path + ".fallbacks[" + std::to_string(i) + "]", "a model id")) {
                mc.fallbacks.push_back(f[i].Scalar());
            }
        }
    }
    if (const YAML::Node q = r.value(m, path, "quality"); q.IsDefined() && r.is_map(q, path + ".quality")) {
        for (const auto& kv : q) {
            const std::string task = kv.first.Scalar();
            const std::string qp = path + ".quality." + task;
            if (std::find_if(std::begin(kTaskTypes), std::end(kTaskTypes), [&](const char* t) { return task == t; }) ==
                std::end(kTaskTypes)) {
                r.problem(kv.first, qp, "unknown task type '" + task + "'");
                continue;
            }
            double value = 0.0;
            if (r.scalar(kv.second, qp, "a number")) {
                r.read_number_scalar(kv.second, qp, value, 0.0, 1.0);
                mc.quality[task] = value;
            }
        }
    }
}

void read_models(Reader& r, const YAML::Node& node, std::vector<ModelConfig>& out) {
    if (!r.is_list(node, "models")) return;
    std::set<std::string> ids;
    for (std::size_t i = 0; i < node.size(); ++i) {
        const std::string path = "models[" + std::to_string(i) + "]";
        if (!r.is_map(node[i], path)) continue;
        ModelConfig mc;
        read_model(r, node[i], path, mc);
        if (!mc.id.empty() && !ids.insert(mc.id).second) {
            r.problem(node[i]["id"], path + ".id", "duplicate model id '" + mc.id + "'");
        }
        out.push_back(std::move(mc));
    }
}

void read_api_keys(Reader& r, const YAML::Node& node, std::vector<ApiKeyConfig>& out) {
    if (!r.is_list(node, "api_keys")) return;
    std::set<std::string> names;
    for (std::size_t i = 0; i < node.size(); ++i) {
        const YAML::Node k = node[i];
        const std::string path = "api_keys[" + std::to_string(i) + "]";
        if (!r.is_map(k, path)) continue;
        r.check_keys(k, path, {"name", "sha256"});
        ApiKeyConfig kc;
        r.read(k, path, "name", kc.name, true);
        r.read(k, path, "sha256", kc.sha256, true);
        const bool hex = kc.sha256.size() == 64 && std::all_of(kc.sha256.begin(), kc.sha256.end(), [](char c) {
                             return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                         });
        if (!kc.sha256.empty() && !hex) {
            r.problem(k["sha256"], path + ".sha256",
                      "expected 64 lower-case hex digits (printf '%s' \"$KEY\" | sha256sum)");
        }
        if (!kc.name.empty() && !names.insert(kc.name).second) {
            r.problem(k["name"], path + ".name", "duplicate key name '" + kc.name + "'");
        }
        out.push_back(std::move(kc));
    }
}

YAML::Node parse_yaml(const std::string& text, const std::string& source) {
    try {
        return YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        throw ConfigError(source, {{"", e.mark.line + 1, "YAML syntax error: " + e.msg}});
    }
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(path, {{"", 0, "cannot open the file"}});
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Models of the catalog file, under the main file's own: an id the main file declares replaces the catalog's;
// a catalog model whose provider the main file does not configure is left out (a catalog lists more vendors
// than one deployment uses).
void merge_catalog(Reader& main, const YAML::Node& node, const std::string& base_dir, Config& config) {
    if (!main.scalar(node, "catalog", "a file path")) return;
    std::filesystem::path path = node.Scalar();
    if (path.is_relative()) path = std::filesystem::path(base_dir) / path;
    config.catalog_path = path.string();

    Reader r(config.catalog_path);
    std::vector<ModelConfig> models;
    try {
        const YAML::Node root = parse_yaml(read_file(config.catalog_path), config.catalog_path);
        if (r.is_map(root, "")) {
            r.check_keys(root, "", {"models"});
            if (const YAML::Node m = r.value(root, "", "models", true); m.IsDefined()) read_models(r, m, models);
        }
    } catch (const ConfigError& e) {
        main.problem(node, "catalog", e.what());
        return;
    }
    for (auto& p : r.problems()) {
        main.problem(node, "catalog", format_problems(config.catalog_path, {p}));
    }
    std::set<std::string> own_ids, providers;
    for (const auto& m : config.models) own_ids.insert(m.id);
    for (const auto& p : config.providers) providers.insert(p.name);
    std::vector<ModelConfig> merged;
    for (auto& m : models) {
        if (!own_ids.contains(m.id) && providers.contains(m.provider)) merged.push_back(std::move(m));
    }
    for (auto& m : config.models) merged.push_back(std::move(m));
    config.models = std::move(merged);
}

Config load(const std::string& text, const std::string& source, const std::string& base_dir) {
    const YAML::Node root = parse_yaml(text, source);
    Reader r(source);
    Config config;
    config.source_path = source;
    if (!root.IsDefined() || root.IsNull()) {
        r.problem_at_line(1, "", "the file is empty");
    } else if (r.is_map(root, "")) {
        r.check_keys(root, "", {"server", "upstream", "log", "routing", "providers", "models", "api_keys", "catalog"});
        if (const YAML::Node n = r.value(root, "", "server"); n.IsDefined()) read_server(r, n, config.server);
        if (const YAML::Node n = r.value(root, "", "upstream"); n.IsDefined()) read_upstream(r, n, config.upstream);
        if (const YAML::Node n = r.value(root, "", "log"); n.IsDefined()) read_log(r, n, config.log);
        if (const YAML::Node n = r.value(root, "", "routing"); n.IsDefined()) read_routing(r, n, config.routing);
        if (const YAML::Node n = r.value(root, "", "providers", true); n.IsDefined()) {
            read_providers(r, n, config.providers);
        }
        if (const YAML::Node n = r.value(root, "", "models"); n.IsDefined()) read_models(r, n, config.models);
        if (const YAML::Node n = r.value(root, "", "api_keys"); n.IsDefined()) read_api_keys(r, n, config.api_keys);

        std::set<std::string> providers;
        for (const auto& p : config.providers) providers.insert(p.name);
        for (std::size_t i = 0; i < config.models.size(); ++i) {
            const auto& m = config.models[i];
            if (!m.provider.empty() && !providers.contains(m.provider)) {
                r.problem_at_line(m.line, "models[" + std::to_string(i) + "].provider",
                                  "no provider named '" + m.provider + "' is declared under providers");
            }
        }
        if (const YAML::Node n = r.value(root, "", "catalog"); n.IsDefined()) merge_catalog(r, n, base_dir, config);
        std::set<std::string> ids;
        for (const auto& m : config.models) ids.insert(m.id);
        for (const auto& m : config.models) {
            for (const auto& f : m.fallbacks) {
                if (!ids.contains(f)) {
                    r.problem_at_line(m.line, "models." + m.id + ".fallbacks",
                                      "no model '" + f + "' to fall back to (fallbacks name model ids)");
                }
            }
        }
        if (config.models.empty() && r.problems().empty()) {
            r.problem(root, "models", "no models: declare some under models, or include a catalog");
        }
    }
    if (!r.problems().empty()) {
        std::stable_sort(r.problems().begin(), r.problems().end(),
                         [](const ConfigProblem& a, const ConfigProblem& b) { return a.line < b.line; });
        throw ConfigError(source, std::move(r.problems()));
    }
    return config;
}

}  // namespace

ConfigError::ConfigError(std::string file, std::vector<ConfigProblem> problems)
    : std::runtime_error(format_problems(file, problems)), problems_(std::move(problems)) {}

Config load_config_file(const std::string& path) {
    const auto dir = std::filesystem::path(path).parent_path().string();
    return load(read_file(path), path, dir.empty() ? "." : dir);
}

Config load_config_text(const std::string& yaml, const std::string& source_name) {
    return load(yaml, source_name, ".");
}

}  // namespace gaterouter::config
