#include "gaterouter/auth/api_keys.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

#include <cstring>

namespace gaterouter::auth {

KeyHash sha256(std::string_view data) {
    KeyHash out{};
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
    return out;
}

std::string to_hex(const KeyHash& hash) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    s.reserve(64);
    for (const unsigned char b : hash) {
        s.push_back(kHex[b >> 4]);
        s.push_back(kHex[b & 0xF]);
    }
    return s;
}

bool from_hex(std::string_view hex, KeyHash& out) {
    if (hex.size() != 64) return false;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < 32; ++i) {
        const int hi = nibble(hex[2 * i]);
        const int lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<unsigned char>(hi * 16 + lo);
    }
    return true;
}

std::string_view bearer_token(std::string_view authorization) {
    constexpr std::string_view kScheme = "bearer ";
    if (authorization.size() <= kScheme.size()) return {};
    for (std::size_t i = 0; i < kScheme.size(); ++i) {
        if (static_cast<char>(std::tolower(static_cast<unsigned char>(authorization[i]))) != kScheme[i])
            return {};
    }
    authorization.remove_prefix(kScheme.size());
    while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
    while (!authorization.empty() && authorization.back() == ' ') authorization.remove_suffix(1);
    return authorization;
}

std::size_t ApiKeySet::HashOfHash::operator()(const KeyHash& h) const {
    std::size_t v = 0;
    std::memcpy(&v, h.data(), sizeof v);  // already uniformly distributed
    return v;
}

ApiKeySet::ApiKeySet(std::vector<ApiKey> keys) : keys_(std::move(keys)) {
    for (std::size_t i = 0; i < keys_.size(); ++i) index_.emplace(keys_[i].hash, i);
}

const ApiKey* ApiKeySet::verify(std::string_view presented) const {
    if (presented.empty()) return nullptr;
    const KeyHash h = sha256(presented);
    const auto it = index_.find(h);
    if (it == index_.end()) return nullptr;
    const ApiKey& key = keys_[it->second];
    // The index lookup compares hashes of the secret, which tells nothing about the secret; the final check
    // is constant-time all the same.
    return CRYPTO_memcmp(key.hash.data(), h.data(), h.size()) == 0 ? &key : nullptr;
}

bool ApiKey::allows(std::string_view model) const {
    return allowed_models.empty() ||
           std::find(allowed_models.begin(), allowed_models.end(), model) != allowed_models.end();
}

std::string generate_key() {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        throw std::runtime_error("the system's random generator failed");
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string key = "sk-gr-";
    std::uint32_t bits = 0;
    int have = 0;
    for (const unsigned char b : bytes) {
        bits = (bits << 8) | b;
        have += 8;
        while (have >= 6) {
            key.push_back(kAlphabet[(bits >> (have - 6)) & 63]);
            have -= 6;
        }
    }
    if (have > 0) key.push_back(kAlphabet[(bits << (6 - have)) & 63]);
    return key;
}

}  // namespace gaterouter::auth
