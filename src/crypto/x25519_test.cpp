// X25519 against RFC 7748 sections 5.2 (single and iterated vectors) and 6.1 (Alice and Bob), and
// the low-order points every X25519 user must refuse (libsodium's has_small_order list, from
// cr.yp.to/ecdh.html), which give an all-zero shared secret whatever the private key.
#include "crypto/x25519.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "crypto/random.hpp"
#include "crypto/test_hex.hpp"

namespace tandem::crypto {
namespace {

using testing::hex;
using testing::unhex;

struct ScalarMultVector {
  std::string_view scalar;
  std::string_view u;
  std::string_view output;
};

// RFC 7748 section 5.2. The second input u-coordinate has its top bit set, which X25519 must
// ignore (section 5: "implementations of X25519 MUST mask the most significant bit").
constexpr ScalarMultVector kRfc7748Section52[] = {
    {"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
     "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
     "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
    {"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
     "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
     "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
};

// RFC 7748 section 5.2, iterated: k = u = 9; repeat { k, u = X25519(k, u), k }.
constexpr std::string_view kIteratedAfter1 =
    "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079";
constexpr std::string_view kIteratedAfter1000 =
    "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51";

// RFC 7748 section 6.1.
constexpr std::string_view kAlicePrivate =
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr std::string_view kAlicePublic =
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
constexpr std::string_view kBobPrivate =
    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
constexpr std::string_view kBobPublic =
    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
constexpr std::string_view kAliceBobShared =
    "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

// Low-order u-coordinates: 0, 1, the two points of order 8, and p-1, p, p+1 (the last two are
// non-canonical spellings of 0 and 1).
constexpr std::string_view kLowOrderPoints[] = {
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

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

// Fills with one repeated byte, so generation can be checked without a real source.
class ConstantRng final : public Rng {
 public:
  explicit ConstantRng(std::byte value) : value_(value) {}
  void fill(std::span<std::byte> out) override { std::fill(out.begin(), out.end(), value_); }

 private:
  std::byte value_;
};

TEST(X25519, MatchesRfc7748Section52Vectors) {
  for (const auto& v : kRfc7748Section52) {
    const auto shared = x25519(private_from_hex(v.scalar), public_from_hex(v.u));
    ASSERT_TRUE(shared) << v.scalar;
    EXPECT_EQ(hex(shared->bytes()), v.output);
  }
}

TEST(X25519, MatchesRfc7748IteratedVector) {
  PublicKey k{};
  k[0] = std::byte{9};
  PublicKey u = k;
  for (int i = 1; i <= 1000; ++i) {
    const auto result = x25519(PrivateKey(k), u);
    ASSERT_TRUE(result) << i;
    u = k;
    std::copy(result->bytes().begin(), result->bytes().end(), k.begin());
    if (i == 1) {
      EXPECT_EQ(hex(k), kIteratedAfter1);
    }
  }
  EXPECT_EQ(hex(k), kIteratedAfter1000);
}

TEST(X25519, MatchesRfc7748Section61DiffieHellman) {
  const auto alice = private_from_hex(kAlicePrivate);
  const auto bob = private_from_hex(kBobPrivate);
  EXPECT_EQ(hex(x25519_public_key(alice)), kAlicePublic);
  EXPECT_EQ(hex(x25519_public_key(bob)), kBobPublic);
  const auto alice_side = x25519(alice, public_from_hex(kBobPublic));
  const auto bob_side = x25519(bob, public_from_hex(kAlicePublic));
  ASSERT_TRUE(alice_side);
  ASSERT_TRUE(bob_side);
  EXPECT_EQ(hex(alice_side->bytes()), kAliceBobShared);
  EXPECT_EQ(hex(bob_side->bytes()), kAliceBobShared);
}

TEST(X25519, ClampingAPrivateKeyKeepsItsPublicKey) {
  // The RFC's private keys are unclamped; X25519 clamps them itself, so clamping first changes
  // nothing (this is why `wg pubkey` accepts keys from other tools).
  auto alice = private_from_hex(kAlicePrivate);
  x25519_clamp(alice);
  EXPECT_NE(hex(alice.bytes()), kAlicePrivate);
  EXPECT_EQ(hex(x25519_public_key(alice)), kAlicePublic);
  const auto shared = x25519(alice, public_from_hex(kBobPublic));
  ASSERT_TRUE(shared);
  EXPECT_EQ(hex(shared->bytes()), kAliceBobShared);
}

TEST(X25519, RejectsLowOrderPoints) {
  SystemRng rng;
  const PrivateKey keys[] = {private_from_hex(kAlicePrivate), x25519_generate_private(rng)};
  for (const auto& key : keys) {
    for (std::string_view point : kLowOrderPoints)
      EXPECT_FALSE(x25519(key, public_from_hex(point))) << point;
  }
}

TEST(X25519, ClampSetsAndClearsTheRightBits) {
  auto ones = private_from_hex("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
  x25519_clamp(ones);
  EXPECT_EQ(hex(ones.bytes()), "f8ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  auto zeros = private_from_hex("0000000000000000000000000000000000000000000000000000000000000000");
  x25519_clamp(zeros);
  EXPECT_EQ(hex(zeros.bytes()), "0000000000000000000000000000000000000000000000000000000000000040");
}

TEST(X25519, GeneratesClampedKeysFromTheInjectedRng) {
  ConstantRng ones(std::byte{0xff});
  EXPECT_EQ(hex(x25519_generate_private(ones).bytes()),
            "f8ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  SystemRng rng;
  for (int i = 0; i < 20; ++i) {
    const auto key = x25519_generate_private(rng);
    EXPECT_EQ(std::to_integer<unsigned>(key.bytes()[0]) & 7u, 0u);
    EXPECT_EQ(std::to_integer<unsigned>(key.bytes()[31]) & 0xc0u, 0x40u);
  }
}

TEST(X25519, FreshKeyPairsAgree) {
  SystemRng rng;
  const auto a = x25519_generate_private(rng);
  const auto b = x25519_generate_private(rng);
  const auto ab = x25519(a, x25519_public_key(b));
  const auto ba = x25519(b, x25519_public_key(a));
  ASSERT_TRUE(ab);
  ASSERT_TRUE(ba);
  EXPECT_EQ(hex(ab->bytes()), hex(ba->bytes()));
  EXPECT_NE(x25519_public_key(a), x25519_public_key(b));
}

}  // namespace
}  // namespace tandem::crypto
