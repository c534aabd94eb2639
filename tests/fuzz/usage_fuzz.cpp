// Usage as upstreams report it (openai/completion.hpp): read_usage on an OpenAI-shaped completion or chunk,
// and token_count on every member of the usage object. Counts feed costs and budgets, so whatever an upstream
// writes, each must stay within [0, kMaxReportedTokens] and their sums must not overflow.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "gaterouter/openai/completion.hpp"
#include "gaterouter/openai/json_access.hpp"

using namespace gaterouter::openai;

namespace {

bool bounded(std::int64_t tokens) {
    return tokens >= 0 && tokens <= kMaxReportedTokens;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const std::optional<Usage> usage = read_usage(text)) {
        FUZZ_CHECK(bounded(usage->prompt_tokens) && bounded(usage->completion_tokens));
        FUZZ_CHECK(bounded(usage->cached_tokens) && bounded(usage->reasoning_tokens));
        (void)usage->to_json().dump();
    }
    const nlohmann::json tree = parse_json(text);
    if (tree.is_object()) {
        for (const auto& [key, value] : tree.items()) FUZZ_CHECK(bounded(token_count(tree, key)));
    }
    return 0;
}
