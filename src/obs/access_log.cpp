#include "gaterouter/obs/access_log.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

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

AccessLog::AccessLog(bool enabled) {
    if (!enabled) return;
    logger_ = spdlog::get("access");
    if (!logger_) {
        logger_ = std::make_shared<spdlog::async_logger>(
            "access", std::make_shared<spdlog::sinks::stdout_sink_mt>(), spdlog::thread_pool(),
            spdlog::async_overflow_policy::overrun_oldest);
        logger_->set_pattern("%v");
        logger_->set_level(spdlog::level::info);
        spdlog::register_logger(logger_);
    }
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
    if (!logger_) return;
    const std::string line = format(record);
    logger_->log(spdlog::level::info, spdlog::string_view_t(line.data(), line.size()));
}

}  // namespace gaterouter::obs
