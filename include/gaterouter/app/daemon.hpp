#pragma once
// Wiring: builds the components from the config, runs one event loop per worker thread, and shuts down
// gracefully on SIGTERM/SIGINT (stop accepting, let requests and streams in flight finish up to the grace
// period, then close what is left).

#include <memory>

#include "gaterouter/config/config.hpp"

namespace gaterouter::app {

class Daemon {
  public:
    // Throws on anything that keeps the gateway from starting (a port in use, a protocol not built in).
    explicit Daemon(config::Config config);
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
