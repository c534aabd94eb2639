#include "gaterouter/app/daemon.hpp"

#include <pthread.h>
#include <sys/resource.h>

#include <spdlog/spdlog.h>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "gaterouter/api/alert_webhook.hpp"
#include "gaterouter/api/handlers.hpp"
#include "gaterouter/http/net.hpp"
#include "gaterouter/http/server.hpp"

namespace gaterouter::app {

struct Daemon::Worker {
    explicit Worker(const upstream::PoolLimits& limits) : client(io, limits) {}
    net::io_context io{1};  // one thread per context: Asio can skip its locking
    upstream::Client client;
    http::Router router;
    std::unique_ptr<http::Server> server;
    std::thread thread;
};

struct Daemon::State {
    // First: the sessions of every listener below give their places back to these when they end.
    std::unique_ptr<http::ConnectionGate> gate;
    std::unique_ptr<http::ConnectionGate> admin_gate;
    route::SteadyClock clock;
    budget::SystemWallClock system_clock;
    budget::ManualWallClock fake_clock{0};
    // The admin listener: a thread of its own, so that its blocking store calls never stall a worker.
    net::io_context admin_io{1};
    http::Router admin_router;
    std::unique_ptr<http::Server> admin_server;
    std::thread admin_thread;
    api::Services services;
    std::vector<std::unique_ptr<Worker>> workers;
    tcp::endpoint endpoint;
};

namespace {

// Every idle keep-alive client holds a descriptor: allow as many as the hard limit permits. Returns the limit
// in force.
std::uint64_t raise_open_file_limit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return RLIM_INFINITY;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur;
}

// One gate per listener, so that a flood on the public port leaves the admin one reachable.
std::unique_ptr<http::ConnectionGate> make_gate(const config::ServerConfig& server, std::string listener) {
    const http::ConnectionCaps caps{server.max_connections, server.max_connections_per_address};
    return std::make_unique<http::ConnectionGate>(
        caps, [caps, listener = std::move(listener)](const http::ConnectionRefusals& refused) {
            spdlog::warn(
                "{} listener refused {} new connection(s) at server.max_connections ({}) and {} at "
                "server.max_connections_per_address ({}) since the last report",
                listener, refused.over_total, caps.max_total, refused.over_per_address, caps.max_per_address);
        });
}

// Budget alerts: a log line, and the webhook's queue when one is configured (it posts from its own thread).
void log_budget_alert(const budget::BudgetAlert& alert, api::AlertWebhook* webhook) {
    spdlog::warn("budget '{}' reached {:.0f}% of its {} limit: ${} of ${}", alert.budget,
                 alert.threshold * 100, alert.hard ? "hard" : "soft", store::format_usd(alert.spent),
                 store::format_usd(alert.limit));
    if (webhook != nullptr) webhook->send(alert);
}

// The scheduler and what steers it: policies and aliases ("auto" and the configured ones).
void wire_routing(const config::Config& config, const route::Clock& clock, api::Services& s) {
    s.clock = &clock;
    s.policies = std::make_shared<const route::Policies>(config.routing);
    s.scheduler = std::make_shared<const route::Scheduler>(*s.catalog, *s.deployments);
    s.retry_budget = std::make_shared<route::RetryBudget>(config.routing.retry_budget, clock);
    s.wait_for_recovery = config.routing.wait_for_recovery;
    s.aliases.emplace("auto", api::Preferences{});
    for (const auto& a : config.routing.aliases)
        s.aliases.emplace(a.name, api::resolve_preferences(a.routing, *s.catalog, *s.policies));
}

}  // namespace

std::vector<std::string> startup_warnings(const config::Config& config, std::uint64_t open_files_limit) {
    std::vector<std::string> out;
    const auto& admin = config.admin;
    error_code ec;
    const auto admin_address = net::ip::make_address(admin.listen_host, ec);
    if (admin.enabled && (ec || !admin_address.is_loopback())) {
        out.push_back("the admin API listens on " + admin.listen_host +
                      ", beyond this host: anyone who can reach it is one token away from keys and budgets "
                      "(listen on 127.0.0.1 and reach it through a tunnel, or firewall the port)");
    }
    // A busy client connection holds a second descriptor for its upstream one.
    const std::size_t cap = config.server.max_connections;
    if (open_files_limit != RLIM_INFINITY && (cap == 0 || cap > open_files_limit / 2)) {
        out.push_back("server.max_connections (" + (cap == 0 ? std::string("no cap") : std::to_string(cap)) +
                      ") is more than half the open-files limit (" + std::to_string(open_files_limit) +
                      "): descriptors can run out before the cap refuses anyone; raise the limit or lower "
                      "the cap");
    }
    return out;
}

Daemon::Daemon(config::Config config, std::optional<std::int64_t> fake_clock_unix_ms)
    : config_(std::move(config)), state_(std::make_unique<State>()) {
    const std::uint64_t open_files_limit = raise_open_file_limit();
    std::signal(SIGPIPE, SIG_IGN);
    for (const std::string& warning : startup_warnings(config_, open_files_limit))
        spdlog::warn("{}", warning);

    auto& s = state_->services;
    auto catalog = std::make_shared<const catalog::Catalog>(config_);
    s.providers = std::make_shared<const providers::ProviderSet>(*catalog);
    s.models_body = api::models_body(*catalog);
    s.catalog = std::move(catalog);
    s.wall_clock = &state_->system_clock;
    if (fake_clock_unix_ms) {
        state_->fake_clock.set(*fake_clock_unix_ms);
        s.wall_clock = &state_->fake_clock;
        s.fake_clock = &state_->fake_clock;
        spdlog::warn("the wall clock is fake (--fake-clock): for tests only");
    }
    if (!config_.ledger.path.empty()) {
        std::shared_ptr<api::AlertWebhook> webhook;
        if (!config_.alerts.webhook_url.empty())
            webhook = std::make_shared<api::AlertWebhook>(config_.alerts.webhook_url);
        s.ledger = api::open_ledger(config_, *s.wall_clock, [webhook](const budget::BudgetAlert& alert) {
            log_budget_alert(alert, webhook.get());
        });
        spdlog::info("ledger: {} ({} budget(s))", config_.ledger.path, s.ledger->budgets->statuses().size());
    }
    s.keys = std::make_shared<auth::KeyRegistry>(
        std::make_shared<const auth::ApiKeySet>(std::vector<auth::ApiKey>{}));
    s.key_publisher = std::make_shared<api::KeyPublisher>(config_, s.ledger.get(), *s.keys, state_->clock);
    s.admission = std::make_shared<admit::AdmissionQueue>(
        admit::AdmissionOptions{config_.admission.max_depth, config_.admission.poll}, state_->clock);
    s.admission_config = config_.admission;
    const auto& b = config_.routing.breaker;
    const route::BreakerPolicy breaker{
        b.consecutive_failures, b.error_rate, b.min_requests, b.window, b.cooldown, b.half_open_probes};
    s.deployments = std::make_shared<const route::Deployments>(*s.catalog, breaker, state_->clock);
    s.max_attempts = config_.routing.max_attempts;
    wire_routing(config_, state_->clock, s);
    if (!config_.routing.classifier_model.empty()) {
        s.classifier = std::make_shared<const classify::TaskClassifier>(
            classify::TaskClassifier::load(config_.routing.classifier_model));
    }
    s.access_log = std::make_shared<const obs::AccessLog>(config_.log.access_log);
    s.metrics = std::make_shared<obs::RequestMetrics>();
    s.max_body_bytes = config_.server.max_body_bytes;
    const auto& u = config_.upstream;
    s.upstream_timeouts = {u.connect_timeout, u.first_byte_timeout, u.idle_timeout, u.total_timeout};

    const http::ServerLimits limits{config_.server.max_header_bytes, config_.server.max_body_bytes,
                                    config_.server.idle_timeout,     config_.server.first_byte_timeout,
                                    config_.server.read_timeout,     config_.server.write_timeout};
    const upstream::PoolLimits pool{u.max_idle_per_origin, u.pool_idle_ttl, u.dns_ttl};
    unsigned n = config_.server.workers != 0 ? config_.server.workers : std::thread::hardware_concurrency();
    n = std::max(1u, n);

    tcp::endpoint endpoint(net::ip::make_address(config_.server.listen_host), config_.server.listen_port);
    state_->gate = make_gate(config_.server, "the public");
    for (unsigned i = 0; i < n; ++i) {
        auto w = std::make_unique<Worker>(pool);
        api::add_routes(w->router, s, w->client);
        w->server = std::make_unique<http::Server>(w->io, endpoint, w->router, limits, api::make_reject(s),
                                                   *state_->gate);
        // With port 0 the first worker got a port from the kernel; the others share that one.
        endpoint = w->server->local_endpoint();
        state_->workers.push_back(std::move(w));
    }
    state_->endpoint = endpoint;
    if (config_.admin.enabled) {
        api::add_admin_routes(state_->admin_router, s, config_);
        const tcp::endpoint admin_endpoint(net::ip::make_address(config_.admin.listen_host),
                                           config_.admin.listen_port);
        state_->admin_gate = make_gate(config_.server, "the admin");
        state_->admin_server =
            std::make_unique<http::Server>(state_->admin_io, admin_endpoint, state_->admin_router, limits,
                                           api::make_reject(s), *state_->admin_gate);
    }
    if (s.keys->current()->open())
        spdlog::warn("no api_keys configured: the gateway accepts requests without a key");
}

Daemon::~Daemon() = default;

int Daemon::run() {
    // Before any worker starts, so a signal that comes early is caught rather than killing the process.
    net::io_context signals_io;
    net::signal_set signals(signals_io, SIGINT, SIGTERM);
    signals.async_wait([](const error_code&, int) {});

    auto& workers = state_->workers;
    for (std::size_t i = 0; i < workers.size(); ++i) {
        const auto& w = workers[i];
        w->server->start();
        w->thread = std::thread([&io = w->io, name = "gr-worker-" + std::to_string(i)] {
            ::pthread_setname_np(::pthread_self(), name.c_str());  // what top -H and /proc show
            io.run();
        });
    }
    const auto& ep = state_->endpoint;
    const std::string host =
        ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
    spdlog::info("gaterouter {} listening on http://{}:{} with {} worker(s), {} model(s)", GATEROUTER_VERSION,
                 host, ep.port(), workers.size(), state_->services.catalog->models().size());
    // Logged after the public address, which tools read as the first "listening on".
    if (state_->admin_server) {
        state_->admin_server->start();
        state_->admin_thread = std::thread([&io = state_->admin_io] {
            ::pthread_setname_np(::pthread_self(), "gr-admin");
            io.run();
        });
        const auto admin = state_->admin_server->local_endpoint();
        spdlog::info("admin API listening on http://{}:{}", admin.address().to_string(), admin.port());
    }

    state_->services.key_publisher->watch(config_.ledger.key_poll);

    signals_io.run();

    start_shutdown();
    const auto grace = config_.server.shutdown_grace;
    const auto deadline = std::chrono::steady_clock::now() + grace;
    auto open = [&] {
        std::size_t total = 0;
        for (auto& w : workers) total += w->server->open_connections();
        return total;
    };
    while (open() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const std::size_t left = open();
    if (left > 0) spdlog::warn("shutdown grace period over: closing {} connection(s) still open", left);
    for (auto& w : workers) {
        net::post(w->io, [&w = *w] {
            w.server->close_all();
            w.client.close_idle();
            w.io.stop();
        });
    }
    for (auto& w : workers) w->thread.join();
    if (state_->admin_server) {
        net::post(state_->admin_io, [this] {
            state_->admin_server->close_all();
            state_->admin_io.stop();
        });
        state_->admin_thread.join();
    }
    if (state_->services.ledger) state_->services.ledger->writer->stop();  // what is queued is written
    spdlog::info("gaterouter stopped");
    return 0;
}

void Daemon::start_shutdown() {
    spdlog::info("shutting down: no new connections, finishing requests in flight (up to {} ms)",
                 config_.server.shutdown_grace.count());
    state_->services.draining.store(true);
    for (auto& w : state_->workers) {
        net::post(w->io, [&w = *w] {
            w.server->begin_shutdown();
            w.client.close_idle();
        });
    }
}

}  // namespace gaterouter::app
