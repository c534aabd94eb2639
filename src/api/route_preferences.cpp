#include "gaterouter/api/route_preferences.hpp"

#include <algorithm>
#include <charconv>

#include "gaterouter/openai/json_access.hpp"

namespace gaterouter::api {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// One preference as the request gave it, before it is checked: from a header or from the body.
struct RawPreferences {
    std::optional<std::string> optimize;
    std::optional<std::string> max_cost_per_request;  // the number's text
    std::optional<std::string> min_quality;
    std::optional<std::vector<std::string>> allow;
    std::optional<std::vector<std::string>> deny;
    std::optional<std::string> timeout_ms;
    std::optional<std::string> first_token_timeout_ms;
};

openai::ApiError bad(const std::string& param, const std::string& message) {
    return openai::invalid_request("Invalid '" + param + "': " + message, param, "invalid_value");
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const std::size_t comma = text.find(',');
        const std::string_view item = trim(text.substr(0, comma));
        if (!item.empty()) out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

void read_headers(const http::Request& request, RawPreferences& raw) {
    const auto header = [&request](const char* name) -> std::optional<std::string> {
        const auto it = request.find(name);
        if (it == request.end()) return std::nullopt;
        return std::string(trim(it->value()));
    };
    raw.optimize = header("x-gaterouter-optimize");
    raw.max_cost_per_request = header("x-gaterouter-max-cost-per-request");
    raw.min_quality = header("x-gaterouter-min-quality");
    raw.timeout_ms = header("x-gaterouter-timeout-ms");
    raw.first_token_timeout_ms = header("x-gaterouter-first-token-timeout-ms");
    if (auto allow = header("x-gaterouter-allow")) raw.allow = split_list(*allow);
    if (auto deny = header("x-gaterouter-deny")) raw.deny = split_list(*deny);
}

std::optional<openai::ApiError> read_string_list(const openai::JsonValue& v, const std::string& param,
                                                 std::optional<std::vector<std::string>>& out) {
    if (v.type != openai::JsonType::array) return bad(param, "expected an array of model ids.");
    std::vector<std::string> ids;
    bool ok = true;
    openai::for_each_element(v, [&](const openai::JsonValue& item) {
        ok = item.type == openai::JsonType::string;
        if (ok) ids.push_back(openai::decode_string(item));
        return ok;
    });
    if (!ok) return bad(param, "expected an array of model ids.");
    out = std::move(ids);
    return std::nullopt;
}

// The member of `raw` that a numeric body field goes to; null for any other name.
std::optional<std::string>* numeric_field(RawPreferences& raw, std::string_view key) {
    if (openai::key_equals(key, "max_cost_per_request")) return &raw.max_cost_per_request;
    if (openai::key_equals(key, "min_quality")) return &raw.min_quality;
    if (openai::key_equals(key, "timeout_ms")) return &raw.timeout_ms;
    if (openai::key_equals(key, "first_token_timeout_ms")) return &raw.first_token_timeout_ms;
    return nullptr;
}

std::optional<openai::ApiError> read_body(const openai::JsonValue& extension, RawPreferences& raw) {
    std::optional<openai::ApiError> problem;
    openai::for_each_member(extension, [&](std::string_view key, const openai::JsonValue& v) {
        const std::string name = "gaterouter." + std::string(key);
        if (openai::key_equals(key, "optimize")) {
            if (v.type != openai::JsonType::string)
                problem = bad(name, "expected a policy name.");
            else
                raw.optimize = openai::decode_string(v);
        } else if (std::optional<std::string>* number_field = numeric_field(raw, key)) {
            if (v.type != openai::JsonType::number) {
                problem = bad(name, "expected a number.");
            } else {
                *number_field = std::string(v.raw);
            }
        } else if (openai::key_equals(key, "allow")) {
            problem = read_string_list(v, name, raw.allow);
        } else if (openai::key_equals(key, "deny")) {
            problem = read_string_list(v, name, raw.deny);
        } else {
            problem = openai::invalid_request(
                "Unknown parameter '" + name +
                    "' (known: optimize, max_cost_per_request, min_quality, allow, deny, timeout_ms, "
                    "first_token_timeout_ms).",
                name, "unknown_parameter");
        }
        return !problem;
    });
    return problem;
}

std::optional<double> number(const std::string& text) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !(value >= 0)) return std::nullopt;
    return value;
}

std::optional<openai::ApiError> resolve_ids(const std::vector<std::string>& ids,
                                            const catalog::Catalog& catalog, const std::string& param,
                                            std::vector<const catalog::Model*>& out) {
    for (const auto& id : ids) {
        const catalog::Model* m = catalog.find_model(id);
        if (m == nullptr) return bad(param, "no model '" + id + "' in the pool (GET /v1/models lists them).");
        out.push_back(m);
    }
    return std::nullopt;
}

// Where a preference came from, to name it in messages: "gaterouter.min_quality", "x-gaterouter-min-quality".
enum class Source { headers, body };

std::string param(Source source, std::string name) {
    if (source == Source::body) return "gaterouter." + name;
    std::replace(name.begin(), name.end(), '_', '-');
    return "x-gaterouter-" + name;
}

// The request's values, checked and resolved.
std::optional<openai::ApiError> resolve(const RawPreferences& raw, Source source,
                                        const catalog::Catalog& catalog, const route::Policies& policies,
                                        Preferences& out) {
    if (raw.optimize) {
        out.policy = policies.find(*raw.optimize);
        if (out.policy == nullptr) {
            std::string known;
            for (const auto& p : policies.all()) known.append(known.empty() ? "" : ", ").append(p.name);
            return bad(param(source, "optimize"),
                       "unknown policy '" + *raw.optimize + "' (known: " + known + ").");
        }
    }
    if (raw.max_cost_per_request) {
        out.max_cost_per_request = number(*raw.max_cost_per_request);
        if (!out.max_cost_per_request)
            return bad(param(source, "max_cost_per_request"), "expected a non-negative number of USD.");
    }
    if (raw.min_quality) {
        out.min_quality = number(*raw.min_quality);
        if (!out.min_quality || *out.min_quality > 1)
            return bad(param(source, "min_quality"), "expected a number between 0 and 1.");
    }
    const auto millis = [&](const std::optional<std::string>& text, const char* name,
                            std::optional<std::chrono::milliseconds>& to) -> std::optional<openai::ApiError> {
        if (!text) return std::nullopt;
        const auto ms = number(*text);
        if (!ms || *ms < 1 || *ms > 3'600'000)
            return bad(param(source, name), "expected milliseconds from 1 to 3600000.");
        to = std::chrono::milliseconds(static_cast<std::int64_t>(*ms));
        return std::nullopt;
    };
    if (auto error = millis(raw.timeout_ms, "timeout_ms", out.timeout)) return error;
    if (auto error = millis(raw.first_token_timeout_ms, "first_token_timeout_ms", out.first_token_timeout))
        return error;
    if (raw.allow) {
        if (auto error = resolve_ids(*raw.allow, catalog, param(source, "allow"), out.allow)) return error;
        out.restricted = true;
    }
    if (raw.deny) {
        if (auto error = resolve_ids(*raw.deny, catalog, param(source, "deny"), out.deny)) return error;
    }
    return std::nullopt;
}

}  // namespace

Preferences resolve_preferences(const config::RoutePreferences& config, const catalog::Catalog& catalog,
                                const route::Policies& policies) {
    Preferences prefs;
    if (!config.optimize.empty()) prefs.policy = policies.find(config.optimize);
    prefs.max_cost_per_request = config.max_cost_per_request;
    prefs.min_quality = config.min_quality;
    for (const auto& id : config.allow) {
        if (const catalog::Model* m = catalog.find_model(id)) prefs.allow.push_back(m);
    }
    prefs.restricted = !config.allow.empty();
    for (const auto& id : config.deny) {
        if (const catalog::Model* m = catalog.find_model(id)) prefs.deny.push_back(m);
    }
    return prefs;
}

void layer(Preferences& base, const Preferences& top) {
    if (top.policy != nullptr) base.policy = top.policy;
    if (top.max_cost_per_request)
        base.max_cost_per_request = std::min(*top.max_cost_per_request,
                                             base.max_cost_per_request.value_or(*top.max_cost_per_request));
    if (top.min_quality) base.min_quality = std::max(*top.min_quality, base.min_quality.value_or(0.0));
    if (top.restricted) {
        std::vector<const catalog::Model*> allow = top.allow;
        if (base.restricted) {
            std::erase_if(allow, [&base](const catalog::Model* m) {
                return std::find(base.allow.begin(), base.allow.end(), m) == base.allow.end();
            });
        }
        base.allow = std::move(allow);
        base.restricted = true;
    }
    base.deny.insert(base.deny.end(), top.deny.begin(), top.deny.end());
    const auto shorter = [](std::optional<std::chrono::milliseconds>& to,
                            std::optional<std::chrono::milliseconds> t) {
        if (t && (!to || *t < *to)) to = t;
    };
    shorter(base.timeout, top.timeout);
    shorter(base.first_token_timeout, top.first_token_timeout);
}

std::optional<openai::ApiError> add_request_preferences(const http::Request& request,
                                                        const openai::ChatRequest& chat,
                                                        const catalog::Catalog& catalog,
                                                        const route::Policies& policies, Preferences& prefs) {
    RawPreferences from_headers;
    read_headers(request, from_headers);
    Preferences own;
    if (auto error = resolve(from_headers, Source::headers, catalog, policies, own)) return error;
    layer(prefs, own);
    if (!chat.extension) return std::nullopt;
    RawPreferences from_body;
    if (auto error = read_body(*chat.extension, from_body)) return error;
    own = Preferences{};
    if (auto error = resolve(from_body, Source::body, catalog, policies, own)) return error;
    layer(prefs, own);
    return std::nullopt;
}

}  // namespace gaterouter::api
