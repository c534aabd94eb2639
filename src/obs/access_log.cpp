#include "gaterouter/obs/access_log.hpp"

#include <pthread.h>
#include <unistd.h>

#include <cerrno>

#include <chrono>
#include <ctime>

#include "gaterouter/obs/json_text.hpp"

namespace gaterouter::obs {
namespace {

// "2026-11-24T09:11:10.123Z", reformatting the date part only when the second changes.
void append_utc_now(std::string& out) {
    thread_local std::time_t cached_second = -1;
    thread_local char prefix[32];
    const auto now = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    const std::time_t second = static_cast<std::time_t>(ms / 1000);
    if (second != cached_second) {
        std::tm tm{};
        gmtime_r(&second, &tm);
        std::strftime(prefix, sizeof prefix, "%Y-%m-%dT%H:%M:%S", &tm);
        cached_second = second;
    }
    const auto millis = static_cast<int>(ms % 1000);
    out.append(prefix);
    out.push_back('.');
    out.push_back(static_cast<char>('0' + millis / 100));
    out.push_back(static_cast<char>('0' + millis / 10 % 10));
    out.push_back(static_cast<char>('0' + millis % 10));
    out.push_back('Z');
}

void field(std::string& out, std::string_view name, std::string_view value) {
    out.append(",\"").append(name).append("\":");
    if (value.empty()) {
        out.append("null");
    } else {
        append_json_string(out, value);
    }
}

void field(std::string& out, std::string_view name, std::int64_t value) {
    out.append(",\"").append(name).append("\":").append(std::to_string(value));
}

}  // namespace

AccessLog::AccessLog(bool enabled, int fd) : fd_(fd) {
    if (!enabled) return;
    writer_ = std::thread([this] {
        ::pthread_setname_np(::pthread_self(), "gr-access-log");
        run();
    });
}

AccessLog::~AccessLog() {
    if (!writer_.joinable()) return;
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    writer_.join();
}

void AccessLog::run() {
    std::string out;
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait_for(lock, std::chrono::milliseconds(5),
                       [this] { return stopping_ || pending_.size() >= kFlushBytes; });
        out.swap(pending_);
        const bool last = stopping_;
        lock.unlock();
        std::size_t done = 0;
        while (done < out.size()) {
            const ssize_t n = ::write(fd_, out.data() + done, out.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;  // the output is gone (closed pipe): nothing more to do with these lines
            done += static_cast<std::size_t>(n);
        }
        out.clear();
        if (last) return;
        lock.lock();
    }
}

std::uint64_t AccessLog::dropped() const {
    const std::lock_guard lock(mutex_);
    return dropped_;
}

std::string AccessLog::format(const AccessRecord& r) {
    std::string line;
    line.reserve(320);
    line.append("{\"time\":\"");
    append_utc_now(line);
    line.push_back('"');
    field(line, "request_id", r.request_id);
    field(line, "method", r.method);
    field(line, "path", r.path);
    field(line, "status", static_cast<std::int64_t>(r.status));
    field(line, "model", r.model);
    field(line, "upstream", r.upstream);
    field(line, "latency_us", r.latency_us);
    if (r.ttfb_us >= 0) {
        field(line, "ttfb_us", r.ttfb_us);
    } else {
        line.append(",\"ttfb_us\":null");
    }
    field(line, "overhead_us", r.overhead_us);
    field(line, "bytes_in", static_cast<std::int64_t>(r.bytes_in));
    field(line, "bytes_out", static_cast<std::int64_t>(r.bytes_out));
    if (!r.task.empty()) field(line, "task", r.task);
    if (!r.error_code.empty()) field(line, "error", r.error_code);
    line.push_back('}');
    return line;
}

void AccessLog::write(const AccessRecord& record) const {
    if (!writer_.joinable()) return;
    std::string line = format(record);
    line.push_back('\n');
    bool flush_now = false;
    {
        const std::lock_guard lock(mutex_);
        if (pending_.size() + line.size() > kMaxPendingBytes) {
            ++dropped_;
            return;
        }
        pending_.append(line);
        flush_now = pending_.size() >= kFlushBytes && pending_.size() - line.size() < kFlushBytes;
    }
    if (flush_now) wake_.notify_one();
}

}  // namespace gaterouter::obs
