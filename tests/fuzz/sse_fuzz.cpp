// The SSE parser (http/sse.hpp) as the stream relay drives it: an upstream's body arrives in reads of any
// size, and the events must come out the same however the bytes were cut. Pieces are cut at lengths taken
// from the input itself, so the fuzzer steers where the cuts fall (between '\r' and '\n' among them).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "gaterouter/http/sse.hpp"

using gaterouter::http::SseEvent;
using gaterouter::http::SseParser;

namespace {

struct Parsed {
    std::vector<std::pair<std::string, std::string>> events;
    bool ok = true;
};

template <class Cut>
Parsed parse(std::string_view body, std::size_t max_event_bytes, Cut next_piece) {
    Parsed out;
    SseParser parser(max_event_bytes);
    const SseParser::EventFn collect = [&](const SseEvent& e) {
        out.events.emplace_back(e.event, e.data);
        return true;
    };
    while (!body.empty() && out.ok) {
        const std::size_t n = std::min<std::size_t>(next_piece(), body.size());
        out.ok = parser.feed(body.substr(0, n), collect);
        body.remove_prefix(n);
    }
    if (out.ok) out.ok = parser.finish(collect);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const Parsed whole = parse(body, 4 * 1024 * 1024, [&] { return body.size(); });
    std::size_t at = 0;
    const Parsed cut = parse(body, 4 * 1024 * 1024, [&] { return 1 + data[at++ % size] % 7; });
    FUZZ_CHECK(whole.ok && cut.ok);
    FUZZ_CHECK(whole.events == cut.events);
    for (const auto& [event, payload] : whole.events) {
        FUZZ_CHECK(event.find_first_of("\r\n") == std::string::npos &&
                   payload.find('\r') == std::string::npos);
    }

    // A small limit: the parser must refuse, not grow, and never hand out an event past it.
    constexpr std::size_t kSmall = 64;
    std::size_t at_small = 0;
    const Parsed small = parse(body, kSmall, [&] { return 1 + data[at_small++ % size] % 13; });
    for (const auto& [event, payload] : small.events) FUZZ_CHECK(event.size() + payload.size() <= kSmall);
    return 0;
}
