// gaterouter: the gateway daemon and its command line.

#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "gaterouter/app/cli.hpp"
#include "gaterouter/app/daemon.hpp"
#include "gaterouter/obs/logging.hpp"

namespace {

constexpr std::string_view kUsage =
    R"(gaterouter — an OpenAI-compatible gateway that routes each request to the best model of a pool.

Usage:
  gaterouter [--config FILE] [--log-level LEVEL]   run the gateway
  gaterouter --check-config FILE                  validate FILE, print every problem, exit non-zero if any
  gaterouter --help | --version
  gaterouter keys create|list|revoke ...          manage client keys in the ledger
  gaterouter spend [--from DATE] [--group-by ...] spend reports from the ledger
                                                  (gaterouter keys --help; docs/budgets.md)

Options:
  --config FILE       the YAML configuration (default: $GATEROUTER_CONFIG, else config/gaterouter.yaml)
  --log-level LEVEL   trace, debug, info, warn, error, critical or off (overrides log.level in the file)
  --check-config FILE validate a configuration without starting
  --fake-clock UNIX_MS  for tests: budget windows, key expiry and ledger times follow a clock that starts at
                      UNIX_MS and moves only through the admin API (POST /admin/v1/clock)

Signals: SIGTERM or SIGINT stop accepting, finish requests in flight (server.shutdown_grace_ms), then exit 0.
)";

int usage_error(std::string_view message) {
    std::cerr << "gaterouter: " << message << "\n(see gaterouter --help)\n";
    return 2;
}

int check_config(const std::string& path) {
    try {
        const auto config = gaterouter::config::load_config_file(path);
        std::cout << path << ": OK (" << config.providers.size() << " provider(s), " << config.models.size()
                  << " model(s))\n";
        return 0;
    } catch (const gaterouter::config::ConfigError& e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
}

}  // namespace

int main(int argc, char** argv) {
    const char* env_config = std::getenv("GATEROUTER_CONFIG");
    std::string config_path = env_config != nullptr ? env_config : "config/gaterouter.yaml";
    std::string log_level;
    std::optional<std::int64_t> fake_clock;
    if (argc >= 2 && gaterouter::app::is_cli_command(argv[1])) return gaterouter::app::run_cli(argc, argv);
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            return 0;
        }
        if (arg == "--version") {
            std::cout << "gaterouter " << GATEROUTER_VERSION << "\n";
            return 0;
        }
        if (arg == "--check-config") {
            if (!has_value) return usage_error("--check-config needs a file");
            return check_config(argv[i + 1]);
        }
        if (arg == "--config") {
            if (!has_value) return usage_error("--config needs a file");
            config_path = argv[++i];
        } else if (arg == "--log-level") {
            if (!has_value || !gaterouter::obs::is_log_level(argv[i + 1])) {
                return usage_error("--log-level needs one of trace, debug, info, warn, error, critical, off");
            }
            log_level = argv[++i];
        } else if (arg == "--fake-clock") {
            char* end = nullptr;
            const long long ms = has_value ? std::strtoll(argv[i + 1], &end, 10) : 0;
            if (!has_value || end == argv[i + 1] || *end != '\0' || ms <= 0)
                return usage_error("--fake-clock needs a time in Unix milliseconds");
            fake_clock = ms;
            ++i;
        } else {
            return usage_error("unknown argument '" + std::string(arg) + "'");
        }
    }

    gaterouter::config::Config config;
    try {
        config = gaterouter::config::load_config_file(config_path);
    } catch (const gaterouter::config::ConfigError& e) {
        std::cerr << "gaterouter: refusing to start, the configuration has problems:\n" << e.what() << "\n";
        return 1;
    }
    gaterouter::obs::setup_logging(log_level.empty() ? config.log.level : log_level);
    try {
        gaterouter::app::Daemon daemon(std::move(config), fake_clock);
        return daemon.run();
    } catch (const std::exception& e) {
        spdlog::critical("gaterouter failed to start: {}", e.what());
        return 1;
    }
}
