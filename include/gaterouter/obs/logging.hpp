#pragma once
// Process-wide logging set-up: the main log (human-readable, standard error) and the async worker behind the
// access log.

#include <optional>
#include <string>
#include <string_view>

namespace gaterouter::obs {

// Valid names: trace, debug, info, warn, error, critical, off.
bool is_log_level(std::string_view level);
// Call once at start-up, before any other logging.
void setup_logging(std::string_view level);
void set_log_level(std::string_view level);

}  // namespace gaterouter::obs
