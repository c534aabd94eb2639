// The admin API's codec (api/admin_codec.hpp) as its handlers use it: a body read as a key (create and
// update) and as a budget (create, and update of an existing one), each shown back as the API would; the same
// bytes as a request target whose query string is a spend report's parameters. A refused input throws
// AdminFailure (a 400 naming the field); any other exception or a crash is a bug.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "gaterouter/api/admin_codec.hpp"

using namespace gaterouter;
namespace admin = api::admin;

namespace {

constexpr std::int64_t kNow = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

template <class Fn>
void refused_or_done(Fn&& fn) {
    try {
        fn();
    } catch (const admin::AdminFailure& e) {
        FUZZ_CHECK(e.error().status >= 400 && e.error().status < 500);
        (void)e.error().body();
    }
}

void as_key(const nlohmann::json& body) {
    store::ApiKeyRecord record;
    record.name = "fuzz";
    record.created_unix_ms = kNow;
    admin::apply_key_fields(body, record, [](const std::string& policy) { return policy == "cheap"; });
    (void)admin::key_json(admin::KeyListing{record, "admin", true}, kNow).dump();
}

void show_budget(const store::BudgetRecord& record) {
    budget::BudgetStatus status;
    status.spec = budget::budget_from_record(record);
    status.window = budget::window_containing(status.spec.period, status.spec.utc_offset_minutes, kNow);
    (void)admin::budget_json(status, "admin").dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    refused_or_done([&] {
        const nlohmann::json body = admin::parse_object(bytes);
        refused_or_done([&] { as_key(body); });
        refused_or_done([&] { show_budget(admin::budget_record_from_json(body, nullptr)); });
        refused_or_done([&] {
            store::BudgetRecord base;
            base.name = "daily";
            base.scope_kind = "global";
            base.period = "day";
            base.alert_thresholds = {0.5, 1.0};
            show_budget(admin::budget_record_from_json(body, &base));
        });
    });
    refused_or_done([&] {
        const store::SpendQuery query = admin::spend_query_from(admin::parse_query(bytes));
        (void)admin::spend_report_json(store::SpendReport{}, query).dump();
    });
    (void)admin::valid_name(bytes);
    return 0;
}
