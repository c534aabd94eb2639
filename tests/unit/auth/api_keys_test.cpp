#include "gaterouter/auth/api_keys.hpp"

#include <gtest/gtest.h>

using namespace gaterouter::auth;

TEST(ApiKeys, HashesAsSha256Hex) {
    // printf '%s' abc | sha256sum
    EXPECT_EQ(to_hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    KeyHash h{};
    EXPECT_TRUE(from_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", h));
    EXPECT_EQ(h, sha256("abc"));
    EXPECT_FALSE(from_hex("xyz", h));
    EXPECT_FALSE(from_hex(std::string(64, 'g'), h));
}

namespace {
ApiKey key_named(std::string name, std::string_view secret) {
    ApiKey key;
    key.name = std::move(name);
    key.hash = sha256(secret);
    return key;
}
}  // namespace

TEST(ApiKeys, VerifiesOnlyKnownKeys) {
    ApiKeySet keys({key_named("a", "sk-one"), key_named("b", "sk-two")});
    EXPECT_FALSE(keys.open());
    ASSERT_NE(keys.verify("sk-two"), nullptr);
    EXPECT_EQ(keys.verify("sk-two")->name, "b");
    EXPECT_EQ(keys.verify("sk-three"), nullptr);
    EXPECT_EQ(keys.verify(""), nullptr);
    EXPECT_TRUE(ApiKeySet({}).open());
}

TEST(ApiKeys, AllowedModelsAndGeneratedKeys) {
    ApiKey key = key_named("a", "sk-one");
    EXPECT_TRUE(key.allows("anything"));
    key.allowed_models = {"gpt-4.1"};
    EXPECT_TRUE(key.allows("gpt-4.1"));
    EXPECT_FALSE(key.allows("gpt-5"));
    const std::string k1 = generate_key(), k2 = generate_key();
    EXPECT_EQ(k1.rfind("sk-gr-", 0), 0u);
    EXPECT_EQ(k1.size(), 6u + 43u);  // 32 random bytes in base64url
    EXPECT_NE(k1, k2);
}

TEST(ApiKeys, ReadsBearerTokens) {
    EXPECT_EQ(bearer_token("Bearer sk-1"), "sk-1");
    EXPECT_EQ(bearer_token("bearer   sk-1  "), "sk-1");
    EXPECT_EQ(bearer_token("Basic abc"), "");
    EXPECT_EQ(bearer_token("Bearer "), "");
    EXPECT_EQ(bearer_token(""), "");
}
