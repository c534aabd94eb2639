#pragma once
// Wiring: builds the components from the config, runs one event loop per worker thread, and shuts down
// gracefully on SIGTERM/SIGINT (stop accepting, let requests and streams in flight finish up to the grace
// period, then close what is left).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gaterouter/config/config.hpp"

namespace gaterouter::app {

// What the daemon warns about at start, for `config` under an open-files limit of `open_files_limit`: an
// admin listener reachable from beyond this host, a connection cap that the descriptors cannot cover.
std::vector<std::string> startup_warnings(const config::Config& config, std::uint64_t open_files_limit);

class Daemon {
  public:
    // Throws on anything that keeps the gateway from starting (a port in use, a protocol not built in).
    // With `fake_clock_unix_ms`, the wall clock (budget windows, key expiry, ledger times) starts there and
    // moves only when the admin API says so: for tests.
    explicit Daemon(config::Config config, std::optional<std::int64_t> fake_clock_unix_ms = std::nullopt);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Serves until a termination signal, then drains; returns the process exit code.
    int run();

  private:
    struct Worker;
    void start_shutdown();

    config::Config config_;
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace gaterouter::app
