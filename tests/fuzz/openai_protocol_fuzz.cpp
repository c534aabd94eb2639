// The OpenAi protocol (providers/openai_protocol.hpp) on bytes from upstreams and clients: see
// protocol_fuzz.hpp.

#include "gaterouter/providers/openai_protocol.hpp"
#include "protocol_fuzz.hpp"

using namespace gaterouter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const providers::OpenAiProtocol protocol;
    static const fuzz::FuzzModel model("openai");
    fuzz::fuzz_protocol({protocol, &protocol, model.model, true}, data, size);
    return 0;
}
