#include "gaterouter/http/router.hpp"

#include <gtest/gtest.h>

using namespace gaterouter;
using namespace gaterouter::http;

namespace {
Handler noop() {
    return [](Request&, ResponseWriter&) -> awaitable<void> { co_return; };
}
}  // namespace

TEST(Router, MatchesMethodAndPathIgnoringTheQuery) {
    Router r;
    r.add(Verb::post, "/v1/chat/completions", noop());
    r.add(Verb::get, "/v1/models", noop());
    r.add_prefix(Verb::put, "/_sim/models/", noop());

    EXPECT_NE(r.find(Verb::post, "/v1/chat/completions").handler, nullptr);
    EXPECT_NE(r.find(Verb::get, "/v1/models?x=1").handler, nullptr);
    EXPECT_NE(r.find(Verb::put, "/_sim/models/gpt-4o").handler, nullptr);

    const auto wrong_method = r.find(Verb::get, "/v1/chat/completions");
    EXPECT_EQ(wrong_method.handler, nullptr);
    EXPECT_TRUE(wrong_method.path_known);

    const auto unknown = r.find(Verb::get, "/v2/nothing");
    EXPECT_EQ(unknown.handler, nullptr);
    EXPECT_FALSE(unknown.path_known);
}
