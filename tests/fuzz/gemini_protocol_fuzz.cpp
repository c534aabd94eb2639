// The Gemini protocol (providers/gemini_protocol.hpp) on bytes from upstreams and clients: see
// protocol_fuzz.hpp.

#include "gaterouter/providers/gemini_protocol.hpp"
#include "protocol_fuzz.hpp"

using namespace gaterouter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const providers::GeminiProtocol protocol;
    static const fuzz::FuzzModel model("gemini");
    fuzz::fuzz_protocol({protocol, &protocol, model.model, false}, data, size);
    return 0;
}
