#pragma once
// For the store tests: a fresh SQLite file in its own temporary directory per test, removed afterwards.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

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

// Every request row in [from, to).
inline SpendFilter between(std::int64_t from, std::int64_t to) {
    SpendFilter filter;
    filter.from_unix_ms = from;
    filter.to_unix_ms = to;
    return filter;
}

}  // namespace gaterouter::store
