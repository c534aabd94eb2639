#include "gaterouter/providers/secret_scrubber.hpp"

#include <algorithm>

namespace gaterouter::providers {

SecretScrubber::SecretScrubber(const std::vector<std::string>& secrets) {
    for (const std::string& s : secrets) {
        if (s.size() >= kMinSecretBytes && std::find(secrets_.begin(), secrets_.end(), s) == secrets_.end())
            secrets_.push_back(s);
    }
    // Longest first, so that a secret containing another is taken out whole.
    std::sort(secrets_.begin(), secrets_.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

void SecretScrubber::scrub(std::string& text) const {
    for (const std::string& secret : secrets_) {
        for (std::size_t at = text.find(secret); at != std::string::npos;
             at = text.find(secret, at + kRedacted.size())) {
            text.replace(at, secret.size(), kRedacted);
        }
    }
}

void SecretScrubber::scrub(openai::ApiError& error) const {
    scrub(error.message);
    scrub(error.type);
    scrub(error.param);
    scrub(error.code);
}

}  // namespace gaterouter::providers
