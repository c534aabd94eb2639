#include "gaterouter/api/admin_codec.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <span>
#include <stdexcept>

#include "gaterouter/budget/pricing.hpp"
#include "gaterouter/config/config.hpp"
#include "gaterouter/openai/json_access.hpp"

namespace gaterouter::api::admin {
namespace {

constexpr int kMaxUtcOffsetMinutes = 14 * 60;

std::optional<std::int64_t> parse_int(std::string_view text) {
    std::int64_t v = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc{} || ptr != end || text.empty()) return std::nullopt;
    return v;
}

int utc_offset_of(const nlohmann::json& v, const char* param) {
    if (!v.is_number_integer() || v.get<std::int64_t>() < -kMaxUtcOffsetMinutes ||
        v.get<std::int64_t>() > kMaxUtcOffsetMinutes)
        bad_field(param, std::string(param) + " must be whole minutes between -840 and 840.");
    return static_cast<int>(v.get<std::int64_t>());
}

void read_scope(const nlohmann::json& v, store::BudgetRecord& r) {
    r.scope_value.clear();
    r.scope_model.clear();
    if (v.is_string()) {
        if (v.get<std::string>() != "global")
            bad_field("scope", "scope must be \"global\" or an object such as {\"team\": \"web\"}.");
        r.scope_kind = "global";
        return;
    }
    if (!v.is_object())
        bad_field("scope", "scope must be \"global\" or an object such as {\"team\": \"web\"}.");
    std::vector<std::string> given;
    for (const auto& [k, value] : v.items()) {
        if (k != "team" && k != "key" && k != "model" && k != "task")
            bad_field("scope", "scope has an unknown member '" + k + "' (team, key, model or task).");
        if (!value.is_string() || value.get<std::string>().empty())
            bad_field("scope", "scope." + k + " must be a non-empty string.");
        given.push_back(k);
    }
    std::sort(given.begin(), given.end());
    if (given == std::vector<std::string>{"key", "model"}) {
        r.scope_kind = "key_model";
        r.scope_value = v["key"].get<std::string>();
        r.scope_model = v["model"].get<std::string>();
        return;
    }
    if (given.size() != 1)
        bad_field("scope", "scope needs one of team, key, model or task, or key and model together.");
    r.scope_kind = given[0];
    r.scope_value = v[given[0]].get<std::string>();
    if (r.scope_kind == "task" && std::none_of(std::begin(config::kTaskTypes), std::end(config::kTaskTypes),
                                               [&r](const char* t) { return r.scope_value == t; }))
        bad_field("scope", "scope.task '" + r.scope_value + "' is not a task type.");
}

// Where the store keeps each of the config's key settings.
struct StoredSetting {
    std::string_view section;
    std::string_view name;
    std::optional<std::int64_t> store::KeySettingsRecord::*member;
};
constexpr StoredSetting kStoredSettings[] = {
    {"limits", "rpm", &store::KeySettingsRecord::limits_rpm},
    {"limits", "tpm", &store::KeySettingsRecord::limits_tpm},
    {"limits", "max_in_flight", &store::KeySettingsRecord::limits_max_in_flight},
    {"timeouts", "total_ms", &store::KeySettingsRecord::timeouts_total_ms},
    {"timeouts", "first_token_ms", &store::KeySettingsRecord::timeouts_first_token_ms},
    {"queue", "share", &store::KeySettingsRecord::queue_share},
    {"queue", "max_depth", &store::KeySettingsRecord::queue_max_depth},
    {"queue", "max_wait_ms", &store::KeySettingsRecord::queue_max_wait_ms},
};

const config::KeySettingField& setting_field(std::string_view section, std::string_view name) {
    for (const auto& f : config::key_setting_fields(section)) {
        if (f.name == name) return f;
    }
    throw std::logic_error("no key setting " + std::string(section) + "." + std::string(name));
}

std::string field_names(std::span<const config::KeySettingField> fields) {
    std::string out;
    for (const auto& f : fields) out.append(out.empty() ? "" : ", ").append(f.name);
    return out;
}

// A JSON whole number; one beyond long long comes back as the largest, which no setting accepts.
std::optional<long long> whole_number(const nlohmann::json& v) {
    if (v.is_number_unsigned())
        return static_cast<long long>(
            std::min<std::uint64_t>(v.get<std::uint64_t>(), std::numeric_limits<long long>::max()));
    if (v.is_number_integer()) return v.get<long long>();
    return std::nullopt;
}

nlohmann::json time_or_null(std::int64_t unix_ms, bool present, int utc_offset_minutes) {
    if (!present) return nullptr;
    return budget::format_local_time(unix_ms, utc_offset_minutes);
}

}  // namespace

void bad_field(std::string param, std::string message) {
    throw AdminFailure(openai::invalid_request(std::move(message), std::move(param)));
}

void not_found(std::string message, std::string code) {
    throw AdminFailure(
        openai::ApiError{404, "invalid_request_error", std::move(message), {}, std::move(code)});
}

void conflict(std::string message, std::string code) {
    throw AdminFailure(
        openai::ApiError{409, "invalid_request_error", std::move(message), {}, std::move(code)});
}

nlohmann::json parse_object(std::string_view body) {
    nlohmann::json j = openai::parse_json(body);
    if (j.is_discarded() || !j.is_object()) {
        throw AdminFailure(
            openai::invalid_request("The request body must be a JSON object.", {}, "invalid_json"));
    }
    return j;
}

bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
               c == '_' || c == '-';
    });
}

std::string percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    const auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            out.push_back(' ');
        } else if (c == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::map<std::string, std::string> parse_query(std::string_view target) {
    std::map<std::string, std::string> params;
    const auto q = target.find('?');
    if (q == std::string_view::npos) return params;
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        std::string key = percent_decode(pair.substr(0, eq));
        std::string value =
            eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1));
        params[std::move(key)] = std::move(value);
    }
    return params;
}

std::optional<std::int64_t> parse_time(std::string_view text) {
    // Milliseconds within the years a config time can name (-999 to 9999): times are shown back as dates,
    // and a date's arithmetic overflows long before the ends of an int64.
    constexpr std::int64_t kFirst = -93'692'592'000'000;  // -0999-01-01T00:00:00Z
    constexpr std::int64_t kLast = 253'402'300'799'999;   // 9999-12-31T23:59:59.999Z
    if (auto ms = parse_int(text)) return *ms >= kFirst && *ms <= kLast ? ms : std::nullopt;
    return config::parse_utc_time(text);
}

std::string format_utc(std::int64_t unix_ms) {
    return budget::format_local_time(unix_ms, 0);
}

nlohmann::json key_json(const KeyListing& key, std::int64_t now_unix_ms) {
    const store::ApiKeyRecord& r = key.record;
    const auto when = [](const std::optional<std::int64_t>& t) -> nlohmann::json {
        return t ? nlohmann::json(format_utc(*t)) : nlohmann::json(nullptr);
    };
    std::string status = "active";
    if (r.revoked_unix_ms && *r.revoked_unix_ms <= now_unix_ms) {
        status = "revoked";
    } else if (r.expires_unix_ms && *r.expires_unix_ms <= now_unix_ms) {
        status = "expired";
    }
    nlohmann::json out = {
        {"name", r.name},
        {"team", r.team.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.team)},
        {"created",
         key.has_created ? nlohmann::json(format_utc(r.created_unix_ms)) : nlohmann::json(nullptr)},
        {"expires", when(r.expires_unix_ms)},
        {"revoked", when(r.revoked_unix_ms)},
        {"status", status},
        {"allowed_models", r.allowed_models},
        {"policy", r.policy.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.policy)},
        {"source", key.source},
    };
    out.update(key_settings_json(r.settings));
    return out;
}

void apply_key_settings(const nlohmann::json& body, store::KeySettingsRecord& record) {
    config::KeySettings settings = settings_of(record);
    for (const std::string_view section : config::kKeySettingSections) {
        const std::string key(section);
        if (!body.contains(key)) continue;
        const nlohmann::json& patch = body[key];
        const std::span<const config::KeySettingField> fields = config::key_setting_fields(section);
        if (patch.is_null()) {
            for (const auto& f : fields) f.set(settings, std::nullopt);
            continue;
        }
        if (!patch.is_object())
            bad_field(key, key + " must be an object (" + field_names(fields) + ") or null.");
        for (const auto& item : patch.items()) {
            const std::string& name = item.key();  // not a structured binding: clang 14 cannot capture one
            const nlohmann::json& value = item.value();
            const std::string param = key + "." + name;
            const auto f =
                std::find_if(fields.begin(), fields.end(),
                             [&name](const config::KeySettingField& field) { return field.name == name; });
            if (f == fields.end())
                bad_field(param, "Unknown " + key + " field '" + name + "' (" + field_names(fields) + ").");
            if (value.is_null()) {
                f->set(settings, std::nullopt);
                continue;
            }
            const std::optional<long long> n = whole_number(value);
            if (!n || !f->accepts(*n))
                bad_field(param, param + " must be a whole number from " + std::to_string(f->min) + " to " +
                                     std::to_string(f->max) + ".");
            f->set(settings, *n);
        }
    }
    record = record_of(settings);
}

nlohmann::json key_settings_json(const store::KeySettingsRecord& record) {
    const config::KeySettings settings = settings_of(record);
    nlohmann::json out = nlohmann::json::object();
    for (const std::string_view section : config::kKeySettingSections) {
        nlohmann::json values = nlohmann::json::object();
        for (const auto& f : config::key_setting_fields(section)) {
            if (const std::optional<long long> v = f.get(settings)) values[std::string(f.name)] = *v;
        }
        out[std::string(section)] = std::move(values);
    }
    return out;
}

config::KeySettings settings_of(const store::KeySettingsRecord& record) {
    config::KeySettings settings;
    for (const auto& [section, name, member] : kStoredSettings) {
        const config::KeySettingField& f = setting_field(section, name);
        if (const auto& v = record.*member; v && f.accepts(*v)) f.set(settings, *v);
    }
    return settings;
}

store::KeySettingsRecord record_of(const config::KeySettings& settings) {
    store::KeySettingsRecord record;
    for (const auto& [section, name, member] : kStoredSettings)
        record.*member = setting_field(section, name).get(settings);
    return record;
}

store::ApiKeyRecord record_of(const config::ApiKeyConfig& key, std::int64_t created_unix_ms) {
    store::ApiKeyRecord r;
    r.name = key.name;
    r.sha256_hex = key.sha256;
    r.team = key.team;
    r.created_unix_ms = created_unix_ms;
    r.expires_unix_ms = key.expires_unix_ms;
    r.allowed_models = key.allowed_models;
    r.policy = key.routing.optimize;
    r.settings = record_of(key.settings);
    return r;
}

KeyListing listing_of(const config::ApiKeyConfig& key) {
    KeyListing l;
    l.record = record_of(key, 0);
    l.record.sha256_hex.clear();
    l.source = "config";
    l.has_created = false;
    return l;
}

store::BudgetRecord budget_record_from_json(const nlohmann::json& body, const store::BudgetRecord* base) {
    store::BudgetRecord r;
    if (base != nullptr) {
        r = *base;
        if (body.contains("name") && body["name"] != nlohmann::json(base->name))
            bad_field("name", "A budget's name cannot be changed; delete it and create another.");
    } else {
        r.alert_thresholds = {0.5, 0.8, 1.0};
        r.scope_kind = "global";
        r.period = "day";
        const nlohmann::json& name = body.contains("name") ? body["name"] : nlohmann::json();
        if (!name.is_string() || !valid_name(name.get<std::string>()))
            bad_field("name", "name is required: 1 to 64 letters, digits, '.', '_' or '-'.");
        r.name = name.get<std::string>();
        if (!body.contains("limit_usd")) bad_field("limit_usd", "limit_usd is required.");
    }
    for (const auto& [k, v] : body.items()) {
        if (k != "name" && k != "scope" && k != "period" && k != "limit_usd" && k != "hard" &&
            k != "alert_at" && k != "utc_offset_minutes")
            bad_field(k, "Unknown budget field '" + k +
                             "' (name, scope, period, limit_usd, hard, alert_at, utc_offset_minutes).");
    }
    if (body.contains("scope")) read_scope(body["scope"], r);
    if (body.contains("period")) {
        const nlohmann::json& v = body["period"];
        if (!v.is_string() || !budget::parse_period(v.get<std::string>()))
            bad_field("period", "period must be day, month or total.");
        r.period = v.get<std::string>();
    }
    if (body.contains("limit_usd")) {
        const nlohmann::json& v = body["limit_usd"];
        if (!v.is_number() || !(v.get<double>() >= 0) || v.get<double>() > 1e9)
            bad_field("limit_usd", "limit_usd must be a number of US dollars from 0 to 1e9.");
        r.limit = budget::nano_usd_per_mtok(v.get<double>());  // USD → nano-USD, as the config converts it
    }
    if (body.contains("hard")) {
        if (!body["hard"].is_boolean()) bad_field("hard", "hard must be true or false.");
        r.hard = body["hard"].get<bool>();
    }
    if (body.contains("alert_at")) {
        const nlohmann::json& v = body["alert_at"];
        if (!v.is_array()) bad_field("alert_at", "alert_at must be a list of fractions of the limit.");
        r.alert_thresholds.clear();
        for (const auto& f : v) {
            if (!f.is_number() || f.get<double>() < 0.01 || f.get<double>() > 10)
                bad_field("alert_at", "alert_at must hold fractions of the limit from 0.01 to 10.");
            r.alert_thresholds.push_back(f.get<double>());
        }
        std::sort(r.alert_thresholds.begin(), r.alert_thresholds.end());
    }
    if (body.contains("utc_offset_minutes"))
        r.utc_offset_minutes = utc_offset_of(body["utc_offset_minutes"], "utc_offset_minutes");
    try {
        (void)budget::budget_from_record(r);
    } catch (const std::invalid_argument& e) {
        bad_field("scope", e.what());
    }
    return r;
}

nlohmann::json scope_json(const budget::Scope& scope) {
    switch (scope.kind) {
        case budget::ScopeKind::global:
            return "global";
        case budget::ScopeKind::key_model:
            return {{"key", scope.value}, {"model", scope.model}};
        default:
            return {{std::string(budget::scope_kind_name(scope.kind)), scope.value}};
    }
}

double to_usd(store::NanoUsd amount) {
    return static_cast<double>(amount) / static_cast<double>(store::kNanoUsdPerUsd);
}

nlohmann::json budget_json(const budget::BudgetStatus& s, std::string_view source) {
    const budget::BudgetSpec& spec = s.spec;
    const store::NanoUsd remaining = std::max<store::NanoUsd>(0, spec.limit - s.spent - s.reserved);
    const bool starts = s.window.start_unix_ms != std::numeric_limits<std::int64_t>::min();
    return {
        {"name", spec.name},
        {"scope", scope_json(spec.scope)},
        {"period", budget::period_name(spec.period)},
        {"limit_usd", to_usd(spec.limit)},
        {"hard", spec.hard},
        {"alert_at", spec.alert_thresholds},
        {"utc_offset_minutes", spec.utc_offset_minutes},
        {"spent_usd", to_usd(s.spent)},
        {"reserved_usd", to_usd(s.reserved)},
        {"remaining_usd", to_usd(remaining)},
        {"spent_nano_usd", s.spent},
        {"window",
         {{"start", time_or_null(s.window.start_unix_ms, starts, spec.utc_offset_minutes)},
          {"end", time_or_null(s.window.end_unix_ms, s.window.ends(), spec.utc_offset_minutes)},
          {"start_ms", starts ? nlohmann::json(s.window.start_unix_ms) : nlohmann::json(nullptr)},
          {"end_ms", s.window.ends() ? nlohmann::json(s.window.end_unix_ms) : nlohmann::json(nullptr)}}},
        {"source", source},
    };
}

store::SpendQuery spend_query_from(const std::map<std::string, std::string>& params) {
    store::SpendQuery q;
    q.from_unix_ms = 0;
    q.to_unix_ms = std::numeric_limits<std::int64_t>::max();
    for (const auto& [k, v] : params) {
        if (k == "from" || k == "to") {
            const std::optional<std::int64_t> at = parse_time(v);
            if (!at)
                bad_field(k, k + " must be Unix milliseconds, a date (2026-01-31) or a UTC time "
                                 "(2026-01-31T18:00:00Z).");
            (k == "from" ? q.from_unix_ms : q.to_unix_ms) = *at;
        } else if (k == "group_by") {
            std::string_view rest = v;
            while (!rest.empty()) {
                const auto comma = rest.find(',');
                const std::string_view name = rest.substr(0, comma);
                rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
                if (name.empty()) continue;
                const auto field = store::parse_group_field(name);
                if (!field)
                    bad_field("group_by", "group_by takes key, team, model, provider, task and day, not '" +
                                              std::string(name) + "'.");
                if (std::find(q.group_by.begin(), q.group_by.end(), *field) == q.group_by.end())
                    q.group_by.push_back(*field);
            }
        } else if (k == "utc_offset_minutes") {
            const std::optional<std::int64_t> minutes = parse_int(v);
            if (!minutes || *minutes < -kMaxUtcOffsetMinutes || *minutes > kMaxUtcOffsetMinutes)
                bad_field(k, "utc_offset_minutes must be whole minutes between -840 and 840.");
            q.day_utc_offset_minutes = static_cast<int>(*minutes);
        } else if (k != "format") {
            bad_field(k, "Unknown parameter '" + k + "' (from, to, group_by, format, utc_offset_minutes).");
        }
    }
    if (q.to_unix_ms < q.from_unix_ms) bad_field("to", "to is before from.");
    return q;
}

nlohmann::json spend_report_json(const store::SpendReport& report, const store::SpendQuery& query) {
    nlohmann::json group_by = nlohmann::json::array();
    for (const auto f : report.group_by) group_by.push_back(store::group_field_name(f));
    nlohmann::json rows = nlohmann::json::array();
    store::SpendReportRow total;
    for (const auto& row : report.rows) {
        nlohmann::json j = nlohmann::json::object();
        for (std::size_t i = 0; i < report.group_by.size() && i < row.groups.size(); ++i)
            j[std::string(store::group_field_name(report.group_by[i]))] = row.groups[i];
        j["requests"] = row.requests;
        j["prompt_tokens"] = row.prompt_tokens;
        j["completion_tokens"] = row.completion_tokens;
        j["cached_tokens"] = row.cached_tokens;
        j["reasoning_tokens"] = row.reasoning_tokens;
        j["cost_usd"] = to_usd(row.cost);
        j["cost_nano_usd"] = row.cost;
        rows.push_back(std::move(j));
        total.requests += row.requests;
        total.prompt_tokens += row.prompt_tokens;
        total.completion_tokens += row.completion_tokens;
        total.cached_tokens += row.cached_tokens;
        total.reasoning_tokens += row.reasoning_tokens;
        total.cost += row.cost;
    }
    const bool ends = query.to_unix_ms != std::numeric_limits<std::int64_t>::max();
    return {
        {"object", "spend.report"},
        {"from", format_utc(query.from_unix_ms)},
        {"to", ends ? nlohmann::json(format_utc(query.to_unix_ms)) : nlohmann::json(nullptr)},
        {"group_by", std::move(group_by)},
        {"utc_offset_minutes", query.day_utc_offset_minutes},
        {"rows", std::move(rows)},
        {"total",
         {{"requests", total.requests},
          {"prompt_tokens", total.prompt_tokens},
          {"completion_tokens", total.completion_tokens},
          {"cached_tokens", total.cached_tokens},
          {"reasoning_tokens", total.reasoning_tokens},
          {"cost_usd", to_usd(total.cost)},
          {"cost_nano_usd", total.cost}}},
    };
}

}  // namespace gaterouter::api::admin
