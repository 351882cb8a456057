// ChaCha20-Poly1305 against RFC 8439 section 2.8.2 and XChaCha20-Poly1305 against
// draft-irtf-cfrg-xchacha-03 appendix A.3.1.
#include "crypto/aead.hpp"

#include <gtest/gtest.h>

#include "crypto/test_hex.hpp"

namespace tandem::crypto {
namespace {

using testing::hex;
using testing::unhex;

constexpr std::string_view kKey =
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
constexpr std::string_view kAad = "50515253c0c1c2c3c4c5c6c7";
constexpr std::string_view kPlaintext =
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
    "sunscreen would be it.";
constexpr std::string_view kRfc8439Nonce = "070000004041424344454647";
constexpr std::string_view kRfc8439Sealed =
    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
    "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
    "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
    "3ff4def08e4b7a9de576d26586cec64b6116"
    "1ae10b594f09e26a7e902ecbd0600691";
constexpr std::string_view kXChaChaNonce = "404142434445464748494a4b4c4d4e4f5051525354555657";
constexpr std::string_view kXChaChaSealed =
    "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
    "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
    "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
    "21f9664c97637da9768812f615c68b13b52e"
    "c0875924c1c7987947deafd8780acf49";

struct Inputs {
  std::vector<std::byte> key = unhex(kKey);
  std::vector<std::byte> aad = unhex(kAad);
  ByteView plaintext = as_bytes(kPlaintext);
  AeadKeyView key_view() const { return AeadKeyView(key.data(), kAeadKeySize); }
};

template <std::size_t N>
std::array<std::byte, N> fixed(std::string_view h) {
  std::array<std::byte, N> out{};
  auto v = unhex(h);
  std::copy(v.begin(), v.end(), out.begin());
  return out;
}

TEST(ChaCha20Poly1305, SealsRfc8439Vector) {
  Inputs in;
  std::vector<std::byte> out(in.plaintext.size() + kAeadTagSize);
  ASSERT_TRUE(
      chacha20poly1305_seal(in.key_view(), fixed<12>(kRfc8439Nonce), in.aad, in.plaintext, out));
  EXPECT_EQ(hex(out), kRfc8439Sealed);
}

TEST(ChaCha20Poly1305, OpensRfc8439VectorAndRejectsTampering) {
  Inputs in;
  auto sealed = unhex(kRfc8439Sealed);
  std::vector<std::byte> out(sealed.size() - kAeadTagSize);
  ASSERT_TRUE(chacha20poly1305_open(in.key_view(), fixed<12>(kRfc8439Nonce), in.aad, sealed, out));
  EXPECT_TRUE(std::equal(out.begin(), out.end(), in.plaintext.begin()));

  auto bad_tag = sealed;
  bad_tag.back() ^= std::byte{1};
  EXPECT_FALSE(
      chacha20poly1305_open(in.key_view(), fixed<12>(kRfc8439Nonce), in.aad, bad_tag, out));
  auto bad_aad = in.aad;
  bad_aad[0] ^= std::byte{1};
  EXPECT_FALSE(
      chacha20poly1305_open(in.key_view(), fixed<12>(kRfc8439Nonce), bad_aad, sealed, out));
}

TEST(ChaCha20Poly1305, ReusableContextSealsAndOpensInPlace) {
  Inputs in;
  ChaCha20Poly1305 aead(in.key_view());
  std::vector<std::byte> buf(in.plaintext.begin(), in.plaintext.end());
  buf.resize(buf.size() + kAeadTagSize);
  const auto nonce = fixed<12>(kRfc8439Nonce);
  ASSERT_TRUE(aead.seal(nonce, in.aad, std::span(buf).first(in.plaintext.size()), buf));
  EXPECT_EQ(hex(buf), kRfc8439Sealed);
  ASSERT_TRUE(aead.open(nonce, in.aad, buf, std::span(buf).first(in.plaintext.size())));
  EXPECT_TRUE(std::equal(in.plaintext.begin(), in.plaintext.end(), buf.begin()));
  // The same context again, for a second packet.
  ASSERT_TRUE(aead.seal(nonce, in.aad, std::span(buf).first(in.plaintext.size()), buf));
  EXPECT_EQ(hex(buf), kRfc8439Sealed);
}

TEST(ChaCha20Poly1305, EmptyPlaintextIsJustATag) {
  Inputs in;
  std::array<std::byte, kAeadTagSize> tag{};
  const auto nonce = wireguard_nonce(0);
  ASSERT_TRUE(chacha20poly1305_seal(in.key_view(), nonce, {}, {}, tag));
  std::array<std::byte, 0> none{};
  EXPECT_TRUE(chacha20poly1305_open(in.key_view(), nonce, {}, tag, none));
  tag[3] ^= std::byte{4};
  EXPECT_FALSE(chacha20poly1305_open(in.key_view(), nonce, {}, tag, none));
}

TEST(ChaCha20Poly1305, WireguardNonceIsLittleEndianCounterAfterFourZeros) {
  EXPECT_EQ(hex(wireguard_nonce(0x0102030405060708ull)), "000000000807060504030201");
}

TEST(XChaCha20Poly1305, SealsAndOpensDraftVector) {
  Inputs in;
  std::vector<std::byte> out(in.plaintext.size() + kAeadTagSize);
  const auto nonce = fixed<24>(kXChaChaNonce);
  ASSERT_TRUE(xchacha20poly1305_seal(in.key_view(), nonce, in.aad, in.plaintext, out));
  EXPECT_EQ(hex(out), kXChaChaSealed);
  std::vector<std::byte> back(in.plaintext.size());
  ASSERT_TRUE(xchacha20poly1305_open(in.key_view(), nonce, in.aad, out, back));
  EXPECT_TRUE(std::equal(back.begin(), back.end(), in.plaintext.begin()));
  out[0] ^= std::byte{1};
  EXPECT_FALSE(xchacha20poly1305_open(in.key_view(), nonce, in.aad, out, back));
}

}  // namespace
}  // namespace tandem::crypto
