// ChaCha20-Poly1305 against RFC 8439 section 2.8.2 (seal) and appendix A.5 (open), and
// XChaCha20-Poly1305 against draft-irtf-cfrg-xchacha-03 appendix A.3.1.
#include "crypto/aead.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "crypto/constant_time.hpp"
#include "crypto/test_hex.hpp"

namespace tandem::crypto {
namespace {

using testing::hex;
using testing::unhex;

struct AeadVector {
  std::string_view key;
  std::string_view nonce;
  std::string_view aad;
  std::string_view plaintext;  // hex
  std::string_view sealed;     // hex: ciphertext then the 16-byte tag
};

// RFC 8439 section 2.8.2. The nonce is the 32-bit constant 07000000 followed by the IV.
constexpr AeadVector kRfc8439Section282 = {
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
    "070000004041424344454647",
    "50515253c0c1c2c3c4c5c6c7",
    // "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the
    // future, sunscreen would be it."
    "4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
    "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
    "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
    "637265656e20776f756c642062652069742e",
    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
    "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
    "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
    "3ff4def08e4b7a9de576d26586cec64b6116"
    "1ae10b594f09e26a7e902ecbd0600691",
};

// RFC 8439 appendix A.5 ("ChaCha20-Poly1305 AEAD Decryption"): received ciphertext and tag.
constexpr AeadVector kRfc8439AppendixA5 = {
    "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0",
    "000000000102030405060708",
    "f33388860000000000004e91",
    // "Internet-Drafts are draft documents valid for a maximum of six months and may be updated,
    // replaced, or obsoleted by other documents at any time. It is inappropriate to use
    // Internet-Drafts as reference material or to cite them other than as /work in progress./",
    // with UTF-8 curly quotes around "work in progress./".
    "496e7465726e65742d4472616674732061726520647261667420646f63756d65"
    "6e74732076616c696420666f722061206d6178696d756d206f6620736978206d"
    "6f6e74687320616e64206d617920626520757064617465642c207265706c6163"
    "65642c206f72206f62736f6c65746564206279206f7468657220646f63756d65"
    "6e747320617420616e792074696d652e20497420697320696e617070726f7072"
    "6961746520746f2075736520496e7465726e65742d4472616674732061732072"
    "65666572656e6365206d6174657269616c206f7220746f206369746520746865"
    "6d206f74686572207468616e206173202fe2809c776f726b20696e2070726f67"
    "726573732e2fe2809d",
    "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
    "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
    "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
    "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
    "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
    "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
    "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
    "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
    "a6ad5cb4022b02709b"
    "eead9d67890cbb22392336fea1851f38",
};

// draft-irtf-cfrg-xchacha-03 appendix A.3.1: the section 2.8.2 inputs with a 24-byte nonce.
constexpr AeadVector kXChaChaA31 = {
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
    "404142434445464748494a4b4c4d4e4f5051525354555657",
    "50515253c0c1c2c3c4c5c6c7",
    kRfc8439Section282.plaintext,
    "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
    "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
    "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
    "21f9664c97637da9768812f615c68b13b52e"
    "c0875924c1c7987947deafd8780acf49",
};

// A vector's fields as bytes, with fixed-size views for the API.
struct Decoded {
  explicit Decoded(const AeadVector& v)
      : key(unhex(v.key)),
        nonce(unhex(v.nonce)),
        aad(unhex(v.aad)),
        plaintext(unhex(v.plaintext)),
        sealed(unhex(v.sealed)) {}

  AeadKeyView key_view() const { return AeadKeyView(key.data(), kAeadKeySize); }
  std::span<const std::byte, kChaChaNonceSize> nonce12() const {
    return std::span<const std::byte, kChaChaNonceSize>(nonce.data(), kChaChaNonceSize);
  }
  std::span<const std::byte, kXChaChaNonceSize> nonce24() const {
    return std::span<const std::byte, kXChaChaNonceSize>(nonce.data(), kXChaChaNonceSize);
  }

  std::vector<std::byte> key, nonce, aad, plaintext, sealed;
};

TEST(ChaCha20Poly1305, SealsRfc8439Section282Vector) {
  const Decoded v(kRfc8439Section282);
  std::vector<std::byte> out(v.plaintext.size() + kAeadTagSize);
  ASSERT_TRUE(chacha20poly1305_seal(v.key_view(), v.nonce12(), v.aad, v.plaintext, out));
  EXPECT_EQ(hex(out), kRfc8439Section282.sealed);
}

TEST(ChaCha20Poly1305, OpensRfc8439Section282Vector) {
  const Decoded v(kRfc8439Section282);
  std::vector<std::byte> out(v.plaintext.size());
  ASSERT_TRUE(chacha20poly1305_open(v.key_view(), v.nonce12(), v.aad, v.sealed, out));
  EXPECT_EQ(out, v.plaintext);
}

TEST(ChaCha20Poly1305, OpensRfc8439AppendixA5Vector) {
  const Decoded v(kRfc8439AppendixA5);
  std::vector<std::byte> out(v.plaintext.size());
  ASSERT_TRUE(chacha20poly1305_open(v.key_view(), v.nonce12(), v.aad, v.sealed, out));
  EXPECT_EQ(out, v.plaintext);
  // The reverse direction gives back exactly the received bytes.
  std::vector<std::byte> resealed(v.sealed.size());
  ASSERT_TRUE(chacha20poly1305_seal(v.key_view(), v.nonce12(), v.aad, v.plaintext, resealed));
  EXPECT_EQ(resealed, v.sealed);
}

TEST(ChaCha20Poly1305, RejectsTamperedTagCiphertextAadKeyAndNonce) {
  const Decoded v(kRfc8439Section282);
  std::vector<std::byte> out(v.plaintext.size());

  auto bad_tag = v.sealed;
  bad_tag.back() ^= std::byte{0x01};
  EXPECT_FALSE(chacha20poly1305_open(v.key_view(), v.nonce12(), v.aad, bad_tag, out));

  auto bad_ciphertext = v.sealed;
  bad_ciphertext[7] ^= std::byte{0x80};
  EXPECT_FALSE(chacha20poly1305_open(v.key_view(), v.nonce12(), v.aad, bad_ciphertext, out));

  auto bad_aad = v.aad;
  bad_aad[0] ^= std::byte{0x01};
  EXPECT_FALSE(chacha20poly1305_open(v.key_view(), v.nonce12(), bad_aad, v.sealed, out));
  EXPECT_FALSE(chacha20poly1305_open(v.key_view(), v.nonce12(), {}, v.sealed, out));

  auto bad_key = v.key;
  bad_key[31] ^= std::byte{0x01};
  EXPECT_FALSE(chacha20poly1305_open(AeadKeyView(bad_key.data(), kAeadKeySize), v.nonce12(), v.aad,
                                     v.sealed, out));

  auto bad_nonce = v.nonce;
  bad_nonce[0] ^= std::byte{0x01};
  EXPECT_FALSE(chacha20poly1305_open(
      v.key_view(), std::span<const std::byte, kChaChaNonceSize>(bad_nonce.data(), 12), v.aad,
      v.sealed, out));
}

TEST(ChaCha20Poly1305, RejectsOutputOfTheWrongSize) {
  const Decoded v(kRfc8439Section282);
  std::vector<std::byte> short_out(v.plaintext.size() + kAeadTagSize - 1);
  EXPECT_FALSE(chacha20poly1305_seal(v.key_view(), v.nonce12(), v.aad, v.plaintext, short_out));
  std::vector<std::byte> long_out(v.plaintext.size() + 1);
  EXPECT_FALSE(chacha20poly1305_open(v.key_view(), v.nonce12(), v.aad, v.sealed, long_out));
  // Shorter than a tag: nothing to authenticate.
  std::array<std::byte, 0> none{};
  EXPECT_FALSE(chacha20poly1305_open(v.key_view(), v.nonce12(), v.aad,
                                     std::span(v.sealed).first(kAeadTagSize - 1), none));
}

TEST(ChaCha20Poly1305, ReusableContextSealsAndOpensInPlace) {
  const Decoded v(kRfc8439Section282);
  ChaCha20Poly1305 aead(v.key_view());
  std::vector<std::byte> buf = v.plaintext;
  buf.resize(v.plaintext.size() + kAeadTagSize);
  const auto payload = std::span(buf).first(v.plaintext.size());
  for (int round = 0; round < 3; ++round) {  // the context serves packet after packet
    ASSERT_TRUE(aead.seal(v.nonce12(), v.aad, payload, buf));
    EXPECT_EQ(hex(buf), kRfc8439Section282.sealed);
    ASSERT_TRUE(aead.open(v.nonce12(), v.aad, buf, payload));
    EXPECT_TRUE(std::equal(payload.begin(), payload.end(), v.plaintext.begin()));
  }
}

TEST(ChaCha20Poly1305, ReusableContextOpensAppendixA5InPlace) {
  const Decoded v(kRfc8439AppendixA5);
  ChaCha20Poly1305 aead(v.key_view());
  std::vector<std::byte> buf = v.sealed;
  const auto payload = std::span(buf).first(v.plaintext.size());
  ASSERT_TRUE(aead.open(v.nonce12(), v.aad, buf, payload));
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), v.plaintext.begin()));
}

TEST(ChaCha20Poly1305, FailedOpenWipesOutputAndKeepsTheContextUsable) {
  const Decoded v(kRfc8439AppendixA5);
  ChaCha20Poly1305 aead(v.key_view());
  std::vector<std::byte> buf = v.sealed;
  buf[buf.size() - 1] ^= std::byte{0x01};
  const auto payload = std::span(buf).first(v.plaintext.size());
  EXPECT_FALSE(aead.open(v.nonce12(), v.aad, buf, payload));
  // No unauthenticated plaintext survives a failed open.
  EXPECT_TRUE(constant_time_is_zero(payload));

  std::vector<std::byte> good = v.sealed;
  const auto good_payload = std::span(good).first(v.plaintext.size());
  ASSERT_TRUE(aead.open(v.nonce12(), v.aad, good, good_payload));
  EXPECT_TRUE(std::equal(good_payload.begin(), good_payload.end(), v.plaintext.begin()));
}

TEST(ChaCha20Poly1305, MovedContextKeepsItsKey) {
  const Decoded v(kRfc8439Section282);
  ChaCha20Poly1305 first(v.key_view());
  ChaCha20Poly1305 second(std::move(first));
  std::vector<std::byte> out(v.sealed.size());
  ASSERT_TRUE(second.seal(v.nonce12(), v.aad, v.plaintext, out));
  EXPECT_EQ(hex(out), kRfc8439Section282.sealed);

  const Decoded other(kRfc8439AppendixA5);
  ChaCha20Poly1305 third(other.key_view());
  third = std::move(second);
  ASSERT_TRUE(third.seal(v.nonce12(), v.aad, v.plaintext, out));
  EXPECT_EQ(hex(out), kRfc8439Section282.sealed);
}

TEST(ChaCha20Poly1305, EmptyPlaintextIsJustATag) {
  const Decoded v(kRfc8439Section282);
  std::array<std::byte, kAeadTagSize> tag{};
  const auto nonce = wireguard_nonce(0);
  ASSERT_TRUE(chacha20poly1305_seal(v.key_view(), nonce, {}, {}, tag));
  EXPECT_FALSE(constant_time_is_zero(tag));
  std::array<std::byte, 0> none{};
  EXPECT_TRUE(chacha20poly1305_open(v.key_view(), nonce, {}, tag, none));
  ChaCha20Poly1305 aead(v.key_view());
  EXPECT_TRUE(aead.open(nonce, {}, tag, none));
  tag[3] ^= std::byte{4};
  EXPECT_FALSE(chacha20poly1305_open(v.key_view(), nonce, {}, tag, none));
  EXPECT_FALSE(aead.open(nonce, {}, tag, none));
}

TEST(ChaCha20Poly1305, OneShotFormsAreIndependentAcrossThreads) {
  // Each thread alternates keys on its own context; a shared context would mix them up.
  const Decoded a(kRfc8439Section282);
  const Decoded b(kRfc8439AppendixA5);
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::byte> sealed(a.sealed.size());
      std::vector<std::byte> opened(b.plaintext.size());
      for (int i = 0; i < 200; ++i) {
        if (!chacha20poly1305_seal(a.key_view(), a.nonce12(), a.aad, a.plaintext, sealed) ||
            sealed != a.sealed)
          ++failures[t];
        if (!chacha20poly1305_open(b.key_view(), b.nonce12(), b.aad, b.sealed, opened) ||
            opened != b.plaintext)
          ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

TEST(ChaCha20Poly1305, WireguardNonceIsLittleEndianCounterAfterFourZeros) {
  EXPECT_EQ(hex(wireguard_nonce(0x0102030405060708ull)), "000000000807060504030201");
  EXPECT_EQ(hex(wireguard_nonce(0)), "000000000000000000000000");
  EXPECT_EQ(hex(wireguard_nonce(~0ull)), "00000000ffffffffffffffff");
}

TEST(XChaCha20Poly1305, SealsAndOpensDraftVector) {
  const Decoded v(kXChaChaA31);
  std::vector<std::byte> out(v.plaintext.size() + kAeadTagSize);
  ASSERT_TRUE(xchacha20poly1305_seal(v.key_view(), v.nonce24(), v.aad, v.plaintext, out));
  EXPECT_EQ(hex(out), kXChaChaA31.sealed);
  std::vector<std::byte> back(v.plaintext.size());
  ASSERT_TRUE(xchacha20poly1305_open(v.key_view(), v.nonce24(), v.aad, out, back));
  EXPECT_EQ(back, v.plaintext);
}

TEST(XChaCha20Poly1305, SealsAndOpensInPlace) {
  const Decoded v(kXChaChaA31);
  std::vector<std::byte> buf = v.plaintext;
  buf.resize(v.plaintext.size() + kAeadTagSize);
  const auto payload = std::span(buf).first(v.plaintext.size());
  ASSERT_TRUE(xchacha20poly1305_seal(v.key_view(), v.nonce24(), v.aad, payload, buf));
  EXPECT_EQ(hex(buf), kXChaChaA31.sealed);
  ASSERT_TRUE(xchacha20poly1305_open(v.key_view(), v.nonce24(), v.aad, buf, payload));
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), v.plaintext.begin()));
}

TEST(XChaCha20Poly1305, RejectsTamperingWrongAadAndWrongSizes) {
  const Decoded v(kXChaChaA31);
  std::vector<std::byte> out(v.plaintext.size());
  auto bad = v.sealed;
  bad[0] ^= std::byte{0x01};
  EXPECT_FALSE(xchacha20poly1305_open(v.key_view(), v.nonce24(), v.aad, bad, out));
  auto bad_tag = v.sealed;
  bad_tag.back() ^= std::byte{0x01};
  EXPECT_FALSE(xchacha20poly1305_open(v.key_view(), v.nonce24(), v.aad, bad_tag, out));
  EXPECT_FALSE(xchacha20poly1305_open(v.key_view(), v.nonce24(), {}, v.sealed, out));
  // The last byte of the 24-byte nonce matters too (it goes to ChaCha20, not HChaCha20).
  auto bad_nonce = v.nonce;
  bad_nonce[23] ^= std::byte{0x01};
  EXPECT_FALSE(xchacha20poly1305_open(
      v.key_view(), std::span<const std::byte, kXChaChaNonceSize>(bad_nonce.data(), 24), v.aad,
      v.sealed, out));

  std::vector<std::byte> wrong(v.plaintext.size() + 1);
  EXPECT_FALSE(xchacha20poly1305_open(v.key_view(), v.nonce24(), v.aad, v.sealed, wrong));
  EXPECT_FALSE(xchacha20poly1305_seal(v.key_view(), v.nonce24(), v.aad, v.plaintext, wrong));
  std::array<std::byte, 0> none{};
  EXPECT_FALSE(xchacha20poly1305_open(v.key_view(), v.nonce24(), v.aad,
                                      std::span(v.sealed).first(kAeadTagSize - 1), none));
}

}  // namespace
}  // namespace tandem::crypto
