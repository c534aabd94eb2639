#pragma once
// Server-Sent Events: an incremental parser for streams read from upstreams, and the framing for streams
// written to clients (https://html.spec.whatwg.org/multipage/server-sent-events.html).

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace gaterouter::http {

struct SseEvent {
    std::string_view event;  // the "event:" field; empty for the default "message"
    std::string_view data;   // "data:" lines joined with '\n'
};

class SseParser {
  public:
    // Bytes of one event may arrive in any number of pieces; events are delivered whole, in order.
    // The callback returns false to stop parsing (the rest of the input is dropped).
    using EventFn = std::function<bool(const SseEvent&)>;

    explicit SseParser(std::size_t max_event_bytes = 4 * 1024 * 1024) : max_event_bytes_(max_event_bytes) {}

    // Returns false when an event grew past the size limit or the callback asked to stop.
    bool feed(std::string_view bytes, const EventFn& on_event);
    // Delivers a last event that was not followed by a blank line (a stream cut short by the server).
    bool finish(const EventFn& on_event);

  private:
    bool process_line(std::string_view line, const EventFn& on_event);
    bool dispatch(const EventFn& on_event);

    std::size_t max_event_bytes_;
    std::string pending_;  // bytes of an incomplete line
    std::string event_;
    std::string data_;
    bool has_data_ = false;
    bool skip_lf_ = false;  // the last chunk ended in '\r'; a following '\n' belongs to it
};

// "data: <payload>\n\n" (payload must not contain newlines; JSON from our builders never does).
std::string sse_data(std::string_view payload);
// "event: <name>\ndata: <payload>\n\n"
std::string sse_event(std::string_view name, std::string_view payload);

}  // namespace gaterouter::http
