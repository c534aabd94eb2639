// The Anthropic protocol (providers/anthropic_protocol.hpp) on bytes from upstreams and clients: see
// protocol_fuzz.hpp.

#include "gaterouter/providers/anthropic_protocol.hpp"
#include "protocol_fuzz.hpp"

using namespace gaterouter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const providers::AnthropicProtocol protocol;
    static const fuzz::FuzzModel model("anthropic");
    fuzz::fuzz_protocol({protocol, nullptr, model.model, false}, data, size);
    return 0;
}
