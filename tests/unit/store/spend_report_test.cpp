#include "gaterouter/store/spend_report.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "gaterouter/store/sqlite_stores.hpp"
#include "temp_database.hpp"

using namespace gaterouter::store;

namespace {

constexpr std::int64_t kJan1 = 1'735'689'600'000;  // 2025-01-01T00:00:00Z
constexpr std::int64_t kHour = 3'600'000;

RequestRow row(std::int64_t time, std::string key, std::string model, NanoUsd cost) {
    RequestRow r = sample_request("r" + std::to_string(time), time, cost);
    r.key_name = std::move(key);
    r.model = std::move(model);
    r.prompt_tokens = 100;
    r.completion_tokens = 10;
    r.cached_tokens = 5;
    r.reasoning_tokens = 1;
    return r;
}

class SpendReportTest : public ::testing::Test {
  protected:
    SpendReportTest() {
        const std::vector<LedgerEntry> rows{
            row(kJan1 + 1 * kHour, "a", "m1", 100), row(kJan1 + 2 * kHour, "a", "m2", 200),
            row(kJan1 + 23 * kHour, "b", "m1", 400),  // Jan 1 in UTC, Jan 2 at UTC+02:00
            row(kJan1 + 30 * kHour, "a", "m1", 800), row(kJan1 + 50 * kHour, "a", "m1", 1600)};  // outside
        ledger.write_batch(rows);
    }
    TempDatabasePath file;
    SqliteDatabase database{file.options()};
    SqliteLedgerStore ledger{database};
};

}  // namespace

TEST_F(SpendReportTest, GroupsByModel) {
    const SpendReport report = ledger.spend_report({kJan1, kJan1 + 48 * kHour, {GroupField::model}, 0});
    ASSERT_EQ(report.rows.size(), 2u);
    EXPECT_EQ(report.rows[0].groups, std::vector<std::string>{"m1"});
    EXPECT_EQ(report.rows[0].requests, 3);
    EXPECT_EQ(report.rows[0].prompt_tokens, 300);
    EXPECT_EQ(report.rows[0].completion_tokens, 30);
    EXPECT_EQ(report.rows[0].cached_tokens, 15);
    EXPECT_EQ(report.rows[0].reasoning_tokens, 3);
    EXPECT_EQ(report.rows[0].cost, 1300);
    EXPECT_EQ(report.rows[1].groups, std::vector<std::string>{"m2"});
    EXPECT_EQ(report.rows[1].cost, 200);
}

TEST_F(SpendReportTest, GroupsByDayAtAnOffsetAndKey) {
    const SpendReport report =
        ledger.spend_report({kJan1, kJan1 + 48 * kHour, {GroupField::day, GroupField::key}, 120});
    ASSERT_EQ(report.rows.size(), 3u);
    EXPECT_EQ(report.rows[0].groups, (std::vector<std::string>{"2025-01-01", "a"}));
    EXPECT_EQ(report.rows[0].cost, 300);
    EXPECT_EQ(report.rows[1].groups, (std::vector<std::string>{"2025-01-02", "a"}));
    EXPECT_EQ(report.rows[1].cost, 800);
    EXPECT_EQ(report.rows[2].groups, (std::vector<std::string>{"2025-01-02", "b"}));
    EXPECT_EQ(report.rows[2].cost, 400);
}

TEST_F(SpendReportTest, WithoutGroupsGivesOneTotalAndNoneForAnEmptyRange) {
    const SpendReport total = ledger.spend_report({kJan1, kJan1 + 48 * kHour, {}, 0});
    ASSERT_EQ(total.rows.size(), 1u);
    EXPECT_EQ(total.rows[0].requests, 4);
    EXPECT_EQ(total.rows[0].cost, 1500);
    EXPECT_TRUE(ledger.spend_report({0, 1, {}, 0}).rows.empty());
    EXPECT_TRUE(ledger.spend_report({0, 1, {GroupField::provider}, 0}).rows.empty());
}

TEST(StoreSpendReport, CsvQuotesFieldsThatNeedIt) {
    SpendReport report;
    report.group_by = {GroupField::key, GroupField::team};
    report.rows.push_back({{"plain", "a,b"}, 2, 10, 20, 3, 4, 1'500'000'000});
    report.rows.push_back({{"say \"hi\"", "line\nbreak"}, 1, 1, 1, 0, 0, 150});
    EXPECT_EQ(to_csv(report),
              "key,team,requests,prompt_tokens,completion_tokens,cached_tokens,reasoning_tokens,cost_usd,"
              "cost_nano_usd\r\n"
              "plain,\"a,b\",2,10,20,3,4,1.50,1500000000\r\n"
              "\"say \"\"hi\"\"\",\"line\nbreak\",1,1,1,0,0,0.00000015,150\r\n");
}

TEST(StoreSpendReport, GroupFieldNamesRoundTrip) {
    for (const GroupField field : {GroupField::key, GroupField::team, GroupField::model, GroupField::provider,
                                   GroupField::task, GroupField::day}) {
        EXPECT_EQ(parse_group_field(group_field_name(field)), field);
    }
    EXPECT_EQ(parse_group_field("week"), std::nullopt);
}
