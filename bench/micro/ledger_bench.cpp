// Micro-benchmarks of budgets and the ledger: reserve + settle of one request under six budgets (one per
// scope kind; the hot-path cost the gateway adds per request), one and none (a ledger kept for its records),
// from one and two threads; the ledger writer's throughput in requests per second (a reservation and a
// request row each) into a real SQLite file, with synchronous=FULL and NORMAL; and the import of journal
// rows.
#include <benchmark/benchmark.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <unistd.h>

#include "gaterouter/budget/budget_enforcer.hpp"
#include "gaterouter/store/ledger_writer.hpp"
#include "gaterouter/store/sqlite_stores.hpp"

using namespace gaterouter;
using namespace gaterouter::budget;

namespace {

// A fresh ledger file for one benchmark, removed afterwards.
class BenchDatabase {
  public:
    explicit BenchDatabase(store::Durability durability)
        : dir_(std::filesystem::temp_directory_path() / ("gaterouter-bench-" + std::to_string(::getpid()))) {
        std::filesystem::create_directories(dir_);
        store::SqliteOptions options;
        options.path = (dir_ / "ledger.db").string();
        options.durability = durability;
        database_.emplace(options);
        ledger_.emplace(*database_);
    }
    ~BenchDatabase() {
        ledger_.reset();
        database_.reset();
        std::filesystem::remove_all(dir_);
    }
    BenchDatabase(const BenchDatabase&) = delete;
    BenchDatabase& operator=(const BenchDatabase&) = delete;

    store::SqliteLedgerStore& ledger() { return *ledger_; }

  private:
    std::filesystem::path dir_;
    std::optional<store::SqliteDatabase> database_;
    std::optional<store::SqliteLedgerStore> ledger_;
};

const SpendTags kTags{"frontend", "web", "gpt-4o-mini", "chat"};

// The first `count` of six budgets, one per scope kind, all covering kTags.
std::vector<BudgetSpec> budgets(std::size_t count) {
    const Scope scopes[] = {
        {ScopeKind::global, "", ""},      {ScopeKind::team, "web", ""},
        {ScopeKind::key, "frontend", ""}, {ScopeKind::model, "gpt-4o-mini", ""},
        {ScopeKind::task, "chat", ""},    {ScopeKind::key_model, "frontend", "gpt-4o-mini"}};
    std::vector<BudgetSpec> specs;
    for (const Scope& scope : scopes) {
        if (specs.size() == count) break;
        BudgetSpec spec;
        spec.id = static_cast<std::int64_t>(specs.size()) + 1;
        spec.name = "budget-" + std::to_string(spec.id);
        spec.scope = scope;
        spec.period = Period::month;
        spec.limit = std::int64_t{1} << 60;  // never reached: the cost measured is the bookkeeping
        spec.alert_thresholds = {0.5, 0.8, 1.0};
        specs.push_back(spec);
    }
    return specs;
}

void BM_ReserveSettle(benchmark::State& state) {
    static SystemWallClock clock;
    static std::optional<BudgetEnforcer> enforcer;
    static std::optional<BenchDatabase> database;
    if (state.thread_index() == 0) {
        database.emplace(store::Durability::normal);
        enforcer.emplace(clock, std::function<void(const BudgetAlert&)>{});
        enforcer->load_totals(budgets(static_cast<std::size_t>(state.range(0))), database->ledger());
    }
    for (auto _ : state) {
        auto result = enforcer->reserve(kTags, 2'000'000);
        enforcer->settle(std::move(std::get<Reservation>(result)), kTags, 1'234'567);
    }
    state.SetItemsProcessed(state.iterations());
    if (state.thread_index() == 0) {
        enforcer.reset();
        database.reset();
    }
}
// The argument: how many budgets cover the request.
BENCHMARK(BM_ReserveSettle)->Arg(0)->Arg(1)->Arg(6)->Threads(1)->Threads(2)->UseRealTime();

store::RequestRow request_row(int i) {
    store::RequestRow row;
    row.time_unix_ms = 1'735'689'600'000 + i;
    row.request_id = "req-" + std::to_string(i);
    row.key_name = "frontend";
    row.team = "web";
    row.model = "gpt-4o-mini";
    row.provider = "openai";
    row.task = "chat";
    row.prompt_tokens = 812;
    row.completion_tokens = 240;
    row.cost = 266'000;
    row.status = 200;
    row.attempts = 1;
    return row;
}

// Each iteration queues a reservation and a request row per request, as the gateway will, for 10 000
// requests, then waits until all are committed.
void BM_LedgerWriterRows(benchmark::State& state) {
    constexpr int kRequests = 10'000;
    BenchDatabase database(state.range(0) == 0 ? store::Durability::full : store::Durability::normal);
    store::LedgerWriter writer(database.ledger());
    int next = 0;
    for (auto _ : state) {
        for (int i = 0; i < kRequests; ++i, ++next) {
            store::RequestRow row = request_row(next);
            writer.reserve(
                {row.time_unix_ms, row.request_id, row.key_name, row.team, row.model, row.task, 500'000}, {});
            writer.record(std::move(row), {});
        }
        writer.flush();
    }
    state.SetItemsProcessed(state.iterations() * kRequests);
    state.SetLabel(state.range(0) == 0 ? "requests, synchronous=FULL" : "requests, synchronous=NORMAL");
}
BENCHMARK(BM_LedgerWriterRows)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// What a batch costs against what a row costs: requests handed over `range(0)` at a time (as a worker hands
// over what one turn of its event loop queued), each waiting for its batch to commit before the next is
// handed over (as requests wait for their row), synchronous=NORMAL. 1 is the writer's cost per request when
// every request is its own batch.
void BM_LedgerWriterHandOver(benchmark::State& state) {
    const int per_hand_over = static_cast<int>(state.range(0));
    BenchDatabase database(store::Durability::normal);
    std::mutex mutex;
    std::condition_variable done;
    std::atomic<int> committed{0};
    store::LedgerWriterOptions options;
    options.after_batch = [&] {
        std::lock_guard lock(mutex);
        done.notify_one();
    };
    store::LedgerWriter writer(database.ledger(), options);
    std::vector<store::LedgerWriter::Item> items;
    int next = 0;
    for (auto _ : state) {
        for (int i = 0; i < per_hand_over; ++i, ++next) {
            store::RequestRow row = request_row(next);
            row.has_reservation_row = false;
            items.push_back({std::move(row), [&] { ++committed; }});
        }
        writer.enqueue(items);
        std::unique_lock lock(mutex);
        done.wait(lock, [&] { return committed == next; });
    }
    state.SetItemsProcessed(state.iterations() * per_hand_over);
    state.SetLabel("requests, synchronous=NORMAL");
}
BENCHMARK(BM_LedgerWriterHandOver)->Arg(1)->Arg(8)->Arg(64)->UseRealTime();

// The writer's share of the journal's way: moving a wake-up's rows (2 048, about 90 ms at 23 000 requests/s:
// 23 to a millisecond) from the journal into SQLite in one transaction, synchronous=NORMAL. CPU time per row.
void BM_ImportJournalRows(benchmark::State& state) {
    constexpr int kRows = 2048;
    BenchDatabase database(store::Durability::normal);
    std::vector<store::RequestRow> owned;
    std::vector<store::RequestRowView> rows(kRows);
    store::JournalMark mark;
    int next = 0;
    for (auto _ : state) {
        state.PauseTiming();
        owned.clear();
        for (int i = 0; i < kRows; ++i, ++next) {
            owned.push_back(request_row(next));
            owned.back().time_unix_ms = 1'735'689'600'000 + next / 23;
            owned.back().has_reservation_row = false;
        }
        for (int i = 0; i < kRows; ++i)
            rows[static_cast<std::size_t>(i)] = owned[static_cast<std::size_t>(i)].as<std::string_view>();
        mark.next_position += kRows;
        state.ResumeTiming();
        database.ledger().import_journal(rows, mark);
    }
    state.SetItemsProcessed(state.iterations() * kRows);
    state.SetLabel("request rows, synchronous=NORMAL");
}
BENCHMARK(BM_ImportJournalRows)->Unit(benchmark::kMillisecond);

}  // namespace
