#include "gaterouter/http/sse.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace gaterouter::http;

namespace {
struct Collected {
    std::vector<std::string> events, data;
};

Collected feed_in_pieces(std::string_view stream, std::size_t piece) {
    Collected c;
    SseParser parser;
    const SseParser::EventFn on = [&](const SseEvent& e) {
        c.events.emplace_back(e.event);
        c.data.emplace_back(e.data);
        return true;
    };
    for (std::size_t i = 0; i < stream.size(); i += piece)
        EXPECT_TRUE(parser.feed(stream.substr(i, piece), on));
    EXPECT_TRUE(parser.finish(on));
    return c;
}
}  // namespace

TEST(SseParser, SplitsEventsWhateverThePieces) {
    const std::string stream =
        "data: {\"a\":1}\n\n"
        ": keep-alive comment\n\n"
        "event: message_start\r\ndata: {\"b\":2}\r\n\r\n"
        "data: line1\ndata: line2\n\n"
        "id: 7\nretry: 100\ndata:no-space\n\n"
        "data: [DONE]\n\n";
    for (std::size_t piece : {1u, 2u, 3u, 7u, 1000u}) {
        const auto c = feed_in_pieces(stream, piece);
        ASSERT_EQ(c.data.size(), 5u) << "piece " << piece;
        EXPECT_EQ(c.data[0], "{\"a\":1}");
        EXPECT_EQ(c.events[1], "message_start");
        EXPECT_EQ(c.data[1], "{\"b\":2}");
        EXPECT_EQ(c.data[2], "line1\nline2");
        EXPECT_EQ(c.data[3], "no-space");
        EXPECT_EQ(c.data[4], "[DONE]");
    }
}

TEST(SseParser, DeliversALastEventWithoutBlankLineOnFinish) {
    const auto c = feed_in_pieces("data: tail", 3);
    ASSERT_EQ(c.data.size(), 1u);
    EXPECT_EQ(c.data[0], "tail");
}

TEST(SseParser, RefusesAnEventPastTheLimit) {
    SseParser parser(64);
    const SseParser::EventFn on = [](const SseEvent&) { return true; };
    EXPECT_FALSE(parser.feed("data: " + std::string(100, 'x'), on));
}

TEST(SseParser, StopsWhenTheCallbackSaysSo) {
    SseParser parser;
    int seen = 0;
    const SseParser::EventFn on = [&](const SseEvent&) { return ++seen < 1; };
    EXPECT_FALSE(parser.feed("data: 1\n\ndata: 2\n\n", on));
    EXPECT_EQ(seen, 1);
}

TEST(SseFraming, FramesDataAndNamedEvents) {
    EXPECT_EQ(sse_data("{}"), "data: {}\n\n");
    EXPECT_EQ(sse_event("ping", "{}"), "event: ping\ndata: {}\n\n");
}
