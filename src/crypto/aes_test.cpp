// AES-GCM against the GCM specification's test cases 4 and 16 (AES-128 and AES-256, 60-byte
// plaintext, 20-byte AAD), and AES-CBC against RFC 3602 section 4 cases 1 and 2.
#include "crypto/aes.hpp"

#include <gtest/gtest.h>

#include <string>

#include "crypto/test_hex.hpp"

namespace tandem::crypto {
namespace {

using testing::unhex;
using testing::unhex_array;

const std::string kGcmPlain =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e24"
    "49a6b525b16aedf5aa0de657ba637b39";
const std::string kGcmAad = "feedfacedeadbeeffeedfacedeadbeefabaddad2";

struct GcmCase {
  std::string key, cipher, tag;
};

class GcmKat : public ::testing::TestWithParam<GcmCase> {};

TEST_P(GcmKat, SealsAndOpensTheSpecificationVector) {
  const auto& c = GetParam();
  auto gcm = AesGcm::create(unhex(c.key));
  ASSERT_TRUE(gcm);
  const auto nonce = unhex_array<12>("cafebabefacedbaddecaf888");
  auto data = unhex(kGcmPlain);
  std::array<std::byte, 16> tag{};
  ASSERT_TRUE(gcm->seal(nonce, unhex(kGcmAad), data, data, tag));
  EXPECT_EQ(data, unhex(c.cipher));
  EXPECT_EQ(std::vector<std::byte>(tag.begin(), tag.end()), unhex(c.tag));
  ASSERT_TRUE(gcm->open(nonce, unhex(kGcmAad), data, data, tag));
  EXPECT_EQ(data, unhex(kGcmPlain));
}

INSTANTIATE_TEST_SUITE_P(
    Aes, GcmKat,
    ::testing::Values(
        GcmCase{"feffe9928665731c6d6a8f9467308308",
                "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c"
                "7d8f6a5aac84aa051ba30b396a0aac973d58e091",
                "5bc94fbc3221a5db94fae95ae7121a47"},
        GcmCase{"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
                "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3d"
                "a7b08b1056828838c5f61e6393ba7a0abcc9f662",
                "76fc6ece0f4e1768cddf8853bb2d551b"}));

TEST(AesGcm, RefusesATamperedPacketAndWipesTheOutput) {
  auto gcm = AesGcm::create(unhex("feffe9928665731c6d6a8f9467308308"));
  ASSERT_TRUE(gcm);
  const auto nonce = unhex_array<12>("cafebabefacedbaddecaf888");
  auto data = unhex(kGcmPlain);
  std::array<std::byte, 16> tag{};
  ASSERT_TRUE(gcm->seal(nonce, unhex(kGcmAad), data, data, tag));
  auto aad = unhex(kGcmAad);
  aad[0] ^= std::byte{1};
  std::vector<std::byte> out(data.size(), std::byte{0x55});
  EXPECT_FALSE(gcm->open(nonce, aad, data, out, tag));
  EXPECT_EQ(out, std::vector<std::byte>(data.size(), std::byte{0}));
  // The context is still good for the genuine packet.
  EXPECT_TRUE(gcm->open(nonce, unhex(kGcmAad), data, out, tag));
  EXPECT_EQ(out, unhex(kGcmPlain));
}

TEST(AesGcm, RefusesKeysOfOtherSizes) {
  EXPECT_FALSE(AesGcm::create(std::vector<std::byte>(20)));
  EXPECT_FALSE(AesGcm::create({}));
  EXPECT_TRUE(AesGcm::create(std::vector<std::byte>(24)));
}

TEST(CbcCipher, EncryptsAndDecryptsRfc3602Vectors) {
  struct Case {
    std::string key, iv, plain, cipher;
  };
  const std::string single = "53696e676c6520626c6f636b206d7367";  // "Single block msg"
  const Case cases[] = {
      {"06a9214036b8a15b512e03d534120006", "3dafba429d9eb430b422da802c9fac41", single,
       "e353779c1079aeb82708942dbe77181a"},
      {"c286696d887c9aa0611bbb3e2025a45a", "562e17996d093d28ddb3ba695a2e6f58",
       "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
       "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1"},
  };
  for (const auto& c : cases) {
    auto cbc = CbcCipher::create(unhex(c.key));
    ASSERT_TRUE(cbc);
    const auto iv = unhex_array<16>(c.iv);
    auto data = unhex(c.plain);
    ASSERT_TRUE(cbc->encrypt(iv, data));
    EXPECT_EQ(data, unhex(c.cipher)) << c.key;
    ASSERT_TRUE(cbc->decrypt(iv, data));
    EXPECT_EQ(data, unhex(c.plain)) << c.key;
  }
}

TEST(CbcCipher, RefusesDataThatIsNotWholeBlocks) {
  auto cbc = CbcCipher::create(std::vector<std::byte>(32));
  ASSERT_TRUE(cbc);
  std::vector<std::byte> data(17);
  const std::array<std::byte, 16> iv{};
  EXPECT_FALSE(cbc->encrypt(iv, data));
  EXPECT_FALSE(cbc->decrypt(iv, data));
}

TEST(CbcCipher, TripleDesMatchesTheSp80067Example) {
  // NIST SP 800-67 Rev. 2, appendix B: three keys, "The qufck brown fox jump" in ECB. With a zero
  // IV one CBC block is one ECB block.
  auto des =
      CbcCipher::create_triple_des(unhex("0123456789abcdef23456789abcdef01456789abcdef0123"));
  ASSERT_TRUE(des);
  EXPECT_EQ(des->block_size(), 8U);
  const auto plain = unhex("54686520717566636b2062726f776e20666f78206a756d70");
  const std::string expected[] = {"a826fd8ce53b855f", "cce21c8112256fe6", "68d5c05dd9b6b900"};
  const std::array<std::byte, 8> zero{};
  for (std::size_t i = 0; i < 3; ++i) {
    std::vector<std::byte> block(plain.begin() + 8 * i, plain.begin() + 8 * (i + 1));
    ASSERT_TRUE(des->encrypt(zero, block));
    EXPECT_EQ(block, unhex(expected[i])) << i;
  }
  // Chained with an IV, and back.
  std::vector<std::byte> data = plain;
  const auto iv = unhex("0001020304050607");
  ASSERT_TRUE(des->encrypt(iv, data));
  EXPECT_EQ(data, unhex("f368d06f3bbd614e60f2d0245cad3f818d5c69f2cb3fd5c7"));
  ASSERT_TRUE(des->decrypt(iv, data));
  EXPECT_EQ(data, plain);
  // Wrong IV or key sizes are refused.
  EXPECT_FALSE(des->encrypt(std::array<std::byte, 16>{}, data));
  EXPECT_FALSE(CbcCipher::create_triple_des(std::vector<std::byte>(16)));
}

}  // namespace
}  // namespace tandem::crypto
