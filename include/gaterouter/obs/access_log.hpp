#pragma once
// One structured JSON line per request, written by spdlog's async logger so the event loop never waits on
// the terminal or the disk.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace gaterouter::obs {

struct AccessRecord {
    std::string_view request_id;
    std::string_view method;
    std::string_view path;
    unsigned status = 0;
    std::string_view model;     // as the client named it
    std::string_view upstream;  // provider that served it
    std::int64_t latency_us = 0;
    std::int64_t ttfb_us = -1;  // first byte to the client; -1 when nothing was sent
    std::int64_t overhead_us = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::string_view error_code;  // the OpenAI error code, when the request failed
    std::string_view task;        // the task type the classifier gave it
};

class AccessLog {
  public:
    // Lines go to standard output; `enabled` false makes write() a no-op.
    explicit AccessLog(bool enabled);
    void write(const AccessRecord& record) const;
    // The line write() would log (tests read it).
    static std::string format(const AccessRecord& record);

  private:
    std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace gaterouter::obs
