// gaterouter-sim: an LLM provider simulator (OpenAI, Anthropic and Gemini protocols) for tests, benchmarks
// and the demo. See docs/simulator.md.

#include <boost/asio/signal_set.hpp>

#include <charconv>
#include <iostream>
#include <thread>
#include <vector>

#include "gaterouter/http/net.hpp"
#include "gaterouter/http/server.hpp"
#include "sim_server.hpp"

namespace {

constexpr const char* kUsage = R"(gaterouter-sim — a fast simulated LLM provider

Usage: gaterouter-sim [--listen HOST:PORT] [--config FILE] [--threads N] [--quiet]
  --listen HOST:PORT  where to listen (default 127.0.0.1:9090; port 0 picks a free one)
  --config FILE       knobs per model (YAML: defaults:, models:), and correctness: (docs/simulator.md)
  --threads N         worker threads (default 1)
Prints "gaterouter-sim listening on http://HOST:PORT" once ready. Control: PUT /_sim/models/<model>,
DELETE /_sim/models/<model>, POST /_sim/reset, GET /_sim/stats, GET /_sim/last_request,
GET /_sim/verdicts/<request-id>.
)";

struct Worker {
    gaterouter::net::io_context io{1};
    gaterouter::http::Router router;
    std::unique_ptr<gaterouter::http::Server> server;
    std::thread thread;
};

}  // namespace

int main(int argc, char** argv) {
    using namespace gaterouter;
    std::string listen = "127.0.0.1:9090", config;
    unsigned threads = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            return 0;
        } else if (arg == "--listen" && has_value) {
            listen = argv[++i];
        } else if (arg == "--config" && has_value) {
            config = argv[++i];
        } else if (arg == "--threads" && has_value) {
            threads = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
        } else if (arg != "--quiet") {
            std::cerr << "gaterouter-sim: bad argument '" << arg << "'\n" << kUsage;
            return 2;
        }
    }
    const auto colon = listen.rfind(':');
    unsigned port = 0;
    if (colon == std::string::npos ||
        std::from_chars(listen.data() + colon + 1, listen.data() + listen.size(), port).ec != std::errc{} ||
        port > 65535) {
        std::cerr << "gaterouter-sim: --listen wants HOST:PORT\n";
        return 2;
    }
    std::string host = listen.substr(0, colon);
    if (host.starts_with('[')) host = host.substr(1, host.size() - 2);

    sim::KnobStore knobs;
    std::unique_ptr<sim::Correctness> correctness;
    try {
        if (!config.empty()) {
            knobs.load_file(config);
            correctness = sim::Correctness::load(config);
        }
    } catch (const std::exception& e) {
        std::cerr << "gaterouter-sim: " << e.what() << "\n";
        return 1;
    }

    // Uncapped: the simulator plays providers, and every gateway under test connects from loopback. Declared
    // before the workers, whose sessions give their places back to it when they end.
    http::ConnectionGate gate({}, nullptr);
    std::vector<std::unique_ptr<Worker>> workers;
    sim::SimServer sim(knobs, correctness.get(), [&workers] {
        std::pair<std::size_t, std::uint64_t> total{0, 0};
        for (const auto& w : workers) {
            total.first += w->server->open_connections();
            total.second += w->server->accepted_connections();
        }
        return total;
    });
    const http::RejectFn reject = [](http::Status status, std::string_view reason, const http::Request*) {
        http::Response res{status, 11};
        res.set(http::bhttp::field::content_type, "application/json");
        res.body() = R"({"error":{"message":")" + std::string(reason) +
                     R"(","type":"invalid_request_error","param":null,"code":null}})";
        return res;
    };
    http::ServerLimits limits;
    limits.max_body_bytes = 64 * 1024 * 1024;
    try {
        tcp::endpoint endpoint(net::ip::make_address(host), static_cast<std::uint16_t>(port));
        for (unsigned i = 0; i < threads; ++i) {
            auto w = std::make_unique<Worker>();
            sim.add_routes(w->router);
            w->server = std::make_unique<http::Server>(w->io, endpoint, w->router, limits, reject, gate);
            endpoint = w->server->local_endpoint();
            workers.push_back(std::move(w));
        }
    } catch (const std::exception& e) {
        std::cerr << "gaterouter-sim: cannot listen on " << listen << ": " << e.what() << "\n";
        return 1;
    }
    net::io_context signals_io;
    net::signal_set signals(signals_io, SIGINT, SIGTERM);
    signals.async_wait([](const error_code&, int) {});
    for (auto& w : workers) {
        w->server->start();
        w->thread = std::thread([&io = w->io] { io.run(); });
    }
    const auto ep = workers.front()->server->local_endpoint();
    std::cout << "gaterouter-sim listening on http://" << host << ":" << ep.port() << std::endl;
    signals_io.run();
    for (auto& w : workers) net::post(w->io, [&io = w->io] { io.stop(); });
    for (auto& w : workers) w->thread.join();
    // Stopping destroys the coroutines still in flight, and those update the simulator's counters as they
    // go: the workers go before `sim`, which was declared after them.
    workers.clear();
    return 0;
}
