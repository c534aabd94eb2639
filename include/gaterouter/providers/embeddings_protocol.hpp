#pragma once
// A provider protocol's embeddings endpoint, for the protocols that have one (OpenAI-compatible servers and
// Gemini). The client's request is OpenAI's: input as a string or a list of strings, encoding_format float or
// base64, optional dimensions.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gaterouter/catalog/catalog.hpp"
#include "gaterouter/http/message.hpp"
#include "gaterouter/openai/error.hpp"

namespace gaterouter::providers {

struct EmbeddingsRequest {
    std::string model;
    std::vector<std::string>
        inputs;                   // token-array inputs are passed through by OpenAI-compatible servers only
    nlohmann::json raw_input;     // the input as the client sent it
    bool base64 = false;          // encoding_format "base64"
    std::int64_t dimensions = 0;  // 0: the model's default
};

// Reads an OpenAI embeddings request body; on bad input returns the 400 to send.
std::optional<openai::ApiError> parse_embeddings_request(const std::string& body, EmbeddingsRequest& out);

// The OpenAI "base64" encoding of an embedding: its float32 values, little-endian, in base64.
std::string encode_embedding_base64(const std::vector<float>& values);

class EmbeddingsProtocol {
  public:
    virtual ~EmbeddingsProtocol() = default;
    virtual http::Request build_embeddings_request(const EmbeddingsRequest& request, std::string& body,
                                                   const catalog::Model& model) const = 0;
    // The upstream's answer as OpenAI's {"object":"list","data":[...],"model","usage"}; nothing when it
    // cannot be translated. As for chat answers, the caller checks that the result is a JSON object.
    virtual std::optional<std::string> translate_embeddings_response(std::string body,
                                                                     const EmbeddingsRequest& request,
                                                                     const catalog::Model& model) const = 0;
};

}  // namespace gaterouter::providers
