#include "gaterouter/obs/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>

namespace gaterouter::obs {

bool is_log_level(std::string_view level) {
    static constexpr std::array<std::string_view, 7> kLevels{"trace", "debug",    "info", "warn",
                                                             "error", "critical", "off"};
    for (auto l : kLevels) {
        if (l == level) return true;
    }
    return false;
}

void set_log_level(std::string_view level) {
    spdlog::set_level(spdlog::level::from_str(std::string(level)));
}

void setup_logging(std::string_view level) {
    auto main =
        std::make_shared<spdlog::logger>("gaterouter", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    main->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    main->flush_on(spdlog::level::info);
    spdlog::set_default_logger(main);
    set_log_level(level);
}

}  // namespace gaterouter::obs
