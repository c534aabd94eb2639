#include <cstring>

#include "gaterouter/openai/json_access.hpp"
#include "gaterouter/openai/json_scan.hpp"
#include "gaterouter/providers/embeddings_protocol.hpp"

namespace gaterouter::providers {

using nlohmann::json;

std::optional<openai::ApiError> parse_embeddings_request(const std::string& body, EmbeddingsRequest& out) {
    openai::JsonSyntaxError syntax;
    const auto root = openai::scan_json(body, syntax);  // also bounds the nesting the tree below may have
    if (!root) return openai::invalid_json(syntax.message, syntax.offset);
    if (root->type != openai::JsonType::object)
        return openai::invalid_request("The request body must be a JSON object.", {}, "invalid_json");
    if (const auto repeated = openai::repeated_key(*root)) return openai::duplicate_key(*repeated);
    const json in = json::parse(body, nullptr, false);
    if (!in.contains("model") || !in["model"].is_string() || in["model"].get<std::string>().empty()) {
        return openai::invalid_request("Missing required parameter: 'model'.", "model",
                                       "missing_required_parameter");
    }
    out.model = in["model"].get<std::string>();
    if (!in.contains("input")) {
        return openai::invalid_request("Missing required parameter: 'input'.", "input",
                                       "missing_required_parameter");
    }
    out.raw_input = in["input"];
    if (out.raw_input.is_string()) {
        out.inputs.push_back(out.raw_input.get<std::string>());
    } else if (out.raw_input.is_array() && !out.raw_input.empty()) {
        for (const auto& item : out.raw_input) {
            if (item.is_string()) out.inputs.push_back(item.get<std::string>());
        }
        const bool tokens = out.inputs.empty();
        if (!tokens && out.inputs.size() != out.raw_input.size()) {
            return openai::invalid_request("'input' must be a string, a list of strings, or token arrays.",
                                           "input", "invalid_type");
        }
    } else {
        return openai::invalid_request("'input' must be a non-empty string or list.", "input",
                                       "invalid_type");
    }
    const std::string format = openai::get_or(in, "encoding_format", "float");
    if (format != "float" && format != "base64") {
        return openai::invalid_request("'encoding_format' must be 'float' or 'base64'.", "encoding_format",
                                       "invalid_value");
    }
    out.base64 = format == "base64";
    if (in.contains("dimensions")) {
        if (!in["dimensions"].is_number_integer() || in["dimensions"].get<std::int64_t>() < 1) {
            return openai::invalid_request("'dimensions' must be a positive integer.", "dimensions",
                                           "invalid_value");
        }
        out.dimensions = in["dimensions"].get<std::int64_t>();
    }
    return std::nullopt;
}

std::string encode_embedding_base64(const std::vector<float>& values) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string bytes(values.size() * 4, '\0');
    for (std::size_t i = 0; i < values.size(); ++i) {
        std::uint32_t bits;
        std::memcpy(&bits, &values[i], 4);
        for (int b = 0; b < 4; ++b)
            bytes[i * 4 + static_cast<std::size_t>(b)] = static_cast<char>((bits >> (8 * b)) & 0xFF);
    }
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const std::uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                                (i + 1 < bytes.size() ? static_cast<unsigned char>(bytes[i + 1]) << 8 : 0) |
                                (i + 2 < bytes.size() ? static_cast<unsigned char>(bytes[i + 2]) : 0);
        out.push_back(kAlphabet[(n >> 18) & 63]);
        out.push_back(kAlphabet[(n >> 12) & 63]);
        out.push_back(i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=');
        out.push_back(i + 2 < bytes.size() ? kAlphabet[n & 63] : '=');
    }
    return out;
}

}  // namespace gaterouter::providers
