#pragma once
// For the store tests: a fresh SQLite file in its own temporary directory per test, removed afterwards.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <utility>

#include <unistd.h>

#include "gaterouter/store/ledger_rows.hpp"
#include "gaterouter/store/sqlite_database.hpp"

namespace gaterouter::store {

class TempDatabasePath {
  public:
    TempDatabasePath() {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ =
            std::filesystem::temp_directory_path() / ("gaterouter-" + std::string(info->test_suite_name()) +
                                                      "-" + info->name() + "-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    ~TempDatabasePath() { std::filesystem::remove_all(dir_); }
    TempDatabasePath(const TempDatabasePath&) = delete;
    TempDatabasePath& operator=(const TempDatabasePath&) = delete;

    std::string path() const { return (dir_ / "ledger.db").string(); }
    SqliteOptions options(Durability durability = Durability::full) const {
        SqliteOptions options;
        options.path = path();
        options.durability = durability;
        return options;
    }

  private:
    std::filesystem::path dir_;
};

// A finished request's row: key frontend of team web, gpt-4o-mini on openai, a chat, 10 + 20 tokens.
inline RequestRow sample_request(std::string id, std::int64_t time, NanoUsd cost) {
    RequestRow row;
    row.time_unix_ms = time;
    row.request_id = std::move(id);
    row.key_name = "frontend";
    row.team = "web";
    row.model = "gpt-4o-mini";
    row.provider = "openai";
    row.task = "chat";
    row.prompt_tokens = 10;
    row.completion_tokens = 20;
    row.cost = cost;
    row.status = 200;
    row.attempts = 1;
    return row;
}

// Every request row in [from, to).
inline SpendFilter between(std::int64_t from, std::int64_t to) {
    SpendFilter filter;
    filter.from_unix_ms = from;
    filter.to_unix_ms = to;
    return filter;
}

}  // namespace gaterouter::store
