// X25519 against RFC 7748 sections 5.2 and 6.1.
#include "crypto/x25519.hpp"

#include <gtest/gtest.h>

#include "crypto/random.hpp"
#include "crypto/test_hex.hpp"

namespace tandem::crypto {
namespace {

using testing::hex;
using testing::unhex;

PrivateKey private_from_hex(std::string_view h) {
  auto v = unhex(h);
  return PrivateKey(std::span<const std::byte, 32>(v.data(), 32));
}
PublicKey public_from_hex(std::string_view h) {
  PublicKey p;
  auto v = unhex(h);
  std::copy(v.begin(), v.end(), p.begin());
  return p;
}

TEST(X25519, MatchesRfc7748Section52FirstVector) {
  auto shared =
      x25519(private_from_hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
             public_from_hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"));
  ASSERT_TRUE(shared);
  EXPECT_EQ(hex(shared->bytes()),
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
}

TEST(X25519, MatchesRfc7748Section61DiffieHellman) {
  const auto alice =
      private_from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const auto bob =
      private_from_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  EXPECT_EQ(hex(x25519_public_key(alice)),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(hex(x25519_public_key(bob)),
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  auto k1 = x25519(alice, x25519_public_key(bob));
  auto k2 = x25519(bob, x25519_public_key(alice));
  ASSERT_TRUE(k1 && k2);
  EXPECT_EQ(hex(k1->bytes()), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_EQ(hex(k2->bytes()), hex(k1->bytes()));
}

TEST(X25519, RejectsSmallOrderPoints) {
  SystemRng rng;
  const auto key = x25519_generate_private(rng);
  EXPECT_FALSE(x25519(key, PublicKey{}));
  PublicKey one{};
  one[0] = std::byte{1};
  EXPECT_FALSE(x25519(key, one));
}

TEST(X25519, GeneratedKeysAreClamped) {
  SystemRng rng;
  for (int i = 0; i < 20; ++i) {
    const auto key = x25519_generate_private(rng);
    EXPECT_EQ(std::to_integer<unsigned>(key.bytes()[0]) & 7u, 0u);
    EXPECT_EQ(std::to_integer<unsigned>(key.bytes()[31]) & 0xc0u, 0x40u);
  }
}

TEST(X25519, ClampSetsAndClearsTheRightBits) {
  auto key = private_from_hex("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
  x25519_clamp(key);
  EXPECT_EQ(hex(key.bytes()), "f8ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
}

}  // namespace
}  // namespace tandem::crypto
