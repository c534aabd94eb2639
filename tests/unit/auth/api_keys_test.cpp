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

TEST(ApiKeys, VerifiesOnlyKnownKeys) {
    ApiKeySet keys({{"a", sha256("sk-one")}, {"b", sha256("sk-two")}});
    EXPECT_FALSE(keys.open());
    ASSERT_NE(keys.verify("sk-two"), nullptr);
    EXPECT_EQ(keys.verify("sk-two")->name, "b");
    EXPECT_EQ(keys.verify("sk-three"), nullptr);
    EXPECT_EQ(keys.verify(""), nullptr);
    EXPECT_TRUE(ApiKeySet({}).open());
}

TEST(ApiKeys, ReadsBearerTokens) {
    EXPECT_EQ(bearer_token("Bearer sk-1"), "sk-1");
    EXPECT_EQ(bearer_token("bearer   sk-1  "), "sk-1");
    EXPECT_EQ(bearer_token("Basic abc"), "");
    EXPECT_EQ(bearer_token("Bearer "), "");
    EXPECT_EQ(bearer_token(""), "");
}
