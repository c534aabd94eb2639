#include "gaterouter/http/sse.hpp"

namespace gaterouter::http {

bool SseParser::feed(std::string_view bytes, const EventFn& on_event) {
    if (skip_lf_ && !bytes.empty() && bytes.front() == '\n') bytes.remove_prefix(1);
    skip_lf_ = false;
    while (!bytes.empty()) {
        const auto eol = bytes.find_first_of("\r\n");
        if (eol == std::string_view::npos) {
            if (pending_.size() + bytes.size() > max_event_bytes_) return false;
            pending_.append(bytes);
            return true;
        }
        bool ok;
        if (pending_.empty()) {
            ok = process_line(bytes.substr(0, eol), on_event);
        } else {
            pending_.append(bytes.substr(0, eol));
            ok = process_line(pending_, on_event);
            pending_.clear();
        }
        if (!ok) return false;
        std::size_t next = eol + 1;
        if (bytes[eol] == '\r') {
            if (next < bytes.size()) {
                if (bytes[next] == '\n') ++next;
            } else {
                skip_lf_ = true;
            }
        }
        bytes.remove_prefix(next);
    }
    return true;
}

bool SseParser::finish(const EventFn& on_event) {
    if (!pending_.empty()) {
        std::string line = std::move(pending_);
        pending_.clear();
        if (!process_line(line, on_event)) return false;
    }
    return dispatch(on_event);
}

bool SseParser::process_line(std::string_view line, const EventFn& on_event) {
    if (line.empty()) return dispatch(on_event);
    if (line.front() == ':') return true;  // comment, e.g. a keep-alive ping
    std::string_view field = line;
    std::string_view value;
    if (auto colon = line.find(':'); colon != std::string_view::npos) {
        field = line.substr(0, colon);
        value = line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    }
    if (field == "data") {
        if (has_data_) data_.push_back('\n');
        data_.append(value);
        has_data_ = true;
    } else if (field == "event") {
        event_.assign(value);
    }
    // "id" and "retry" matter to browsers reconnecting, not to a relay.
    return data_.size() + event_.size() <= max_event_bytes_;
}

bool SseParser::dispatch(const EventFn& on_event) {
    if (!has_data_) {
        event_.clear();
        return true;
    }
    const bool go_on = on_event(SseEvent{event_, data_});
    event_.clear();
    data_.clear();
    has_data_ = false;
    return go_on;
}

std::string sse_data(std::string_view payload) {
    std::string out;
    out.reserve(payload.size() + 8);
    out.append("data: ").append(payload).append("\n\n");
    return out;
}

std::string sse_event(std::string_view name, std::string_view payload) {
    std::string out;
    out.reserve(name.size() + payload.size() + 16);
    out.append("event: ").append(name).append("\ndata: ").append(payload).append("\n\n");
    return out;
}

}  // namespace gaterouter::http
