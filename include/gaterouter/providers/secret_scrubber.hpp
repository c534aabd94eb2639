#pragma once
// Takes a provider's credentials out of what the gateway relays from it. Providers echo request headers in
// error messages ("Bad request with key Bearer sk-…"), and some stream them back in error events: without
// this a client would read the key the gateway holds for it.

#include <string>
#include <string_view>
#include <vector>

#include "gaterouter/openai/error.hpp"

namespace gaterouter::providers {

class SecretScrubber {
  public:
    // Values shorter than kMinSecretBytes are left alone: a placeholder key such as "x" or "none" (local
    // servers) is no secret, and scrubbing it would mangle every answer.
    static constexpr std::size_t kMinSecretBytes = 8;
    static constexpr std::string_view kRedacted = "[redacted]";

    SecretScrubber() = default;
    explicit SecretScrubber(const std::vector<std::string>& secrets);

    bool empty() const { return secrets_.empty(); }
    // Replaces every occurrence of a secret in `text`.
    void scrub(std::string& text) const;
    void scrub(openai::ApiError& error) const;

  private:
    std::vector<std::string> secrets_;
};

}  // namespace gaterouter::providers
