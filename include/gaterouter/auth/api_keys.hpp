#pragma once
// The client API keys the gateway accepts. Only SHA-256 hashes of keys are held; a presented key is hashed
// and compared in constant time, so neither the file nor timing gives a key away.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gaterouter::auth {

using KeyHash = std::array<unsigned char, 32>;

struct ApiKey {
    std::string name;
    KeyHash hash{};
};

KeyHash sha256(std::string_view data);
std::string to_hex(const KeyHash& hash);
// False when `hex` is not 64 hexadecimal digits.
bool from_hex(std::string_view hex, KeyHash& out);

// The bearer token of an "Authorization: Bearer <token>" value; empty when there is none.
std::string_view bearer_token(std::string_view authorization);

class ApiKeySet {
  public:
    explicit ApiKeySet(std::vector<ApiKey> keys);
    // No keys configured: every request is let through.
    bool open() const { return keys_.empty(); }
    // The matching key, or null.
    const ApiKey* verify(std::string_view presented) const;

  private:
    struct HashOfHash {
        std::size_t operator()(const KeyHash& h) const;
    };
    std::vector<ApiKey> keys_;
    std::unordered_map<KeyHash, std::size_t, HashOfHash> index_;
};

}  // namespace gaterouter::auth
