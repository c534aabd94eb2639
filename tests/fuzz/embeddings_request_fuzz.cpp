// A client's embeddings body as the embeddings endpoint reads it (providers/embeddings.cpp), and the upstream
// requests the two protocols with an embeddings API build from what it accepted.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "fuzz_model.hpp"
#include "gaterouter/openai/json_scan.hpp"
#include "gaterouter/providers/gemini_protocol.hpp"
#include "gaterouter/providers/openai_protocol.hpp"

using namespace gaterouter;

namespace {

bool is_json(const std::string& text) {
    openai::JsonSyntaxError ignored;
    return openai::scan_json(text, ignored).has_value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string body(reinterpret_cast<const char*>(data), size);
    providers::EmbeddingsRequest request;
    if (const auto bad = providers::parse_embeddings_request(body, request)) {
        FUZZ_CHECK(bad->status == 400);
        (void)bad->body();
        return 0;
    }
    FUZZ_CHECK(!request.model.empty());
    FUZZ_CHECK(request.dimensions >= 0);

    static const fuzz::FuzzModel openai_model("openai");
    std::string openai_body = body;
    const http::Request to_openai =
        providers::OpenAiProtocol().build_embeddings_request(request, openai_body, openai_model.model);
    FUZZ_CHECK(is_json(to_openai.body()));

    static const fuzz::FuzzModel gemini_model("gemini");
    std::string gemini_body = body;
    const http::Request to_gemini =
        providers::GeminiProtocol().build_embeddings_request(request, gemini_body, gemini_model.model);
    FUZZ_CHECK(is_json(to_gemini.body()));
    return 0;
}
