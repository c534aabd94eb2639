#pragma once
// One structured JSON line per request on standard output. Workers append lines to a buffer under a short
// lock and never wait on the terminal or the disk; a writer thread of its own writes the buffer out every few
// milliseconds in one call (at once when it grows large), so a busy gateway pays no thread wake-up per line.
// Past kMaxPendingBytes (the output is stuck) lines are dropped and counted rather than held.

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

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
    static constexpr std::size_t kFlushBytes = 64 * 1024;
    static constexpr std::size_t kMaxPendingBytes = 16 * 1024 * 1024;

    // Lines go to `fd` (standard output by default); `enabled` false makes write() a no-op.
    explicit AccessLog(bool enabled, int fd = 1);
    // Writes what is buffered, then stops the writer.
    ~AccessLog();
    AccessLog(const AccessLog&) = delete;
    AccessLog& operator=(const AccessLog&) = delete;

    void write(const AccessRecord& record) const;
    // The line write() would log (tests read it).
    static std::string format(const AccessRecord& record);
    std::uint64_t dropped() const;

  private:
    void run();

    int fd_;
    mutable std::mutex mutex_;
    mutable std::condition_variable wake_;
    mutable std::string pending_;
    mutable std::uint64_t dropped_ = 0;
    bool stopping_ = false;
    std::thread writer_;
};

}  // namespace gaterouter::obs
