// The SK payload: IKE_AUTH-like payloads sealed and opened back with each transform; the header
// and clear payloads are authenticated; any flipped byte is refused; and a peer with other keys
// cannot open it.
#include "ipsec/ike/v2/sk.hpp"

#include <gtest/gtest.h>

#include "base/seeded_rng.hpp"

namespace tandem::ipsec::ike::v2 {
namespace {

struct Case {
  const char* name;
  SkCipher cipher;
  std::size_t key;
  SkIntegrity integrity;
  std::size_t integrity_key;
};

const Case kCases[] = {
    {"gcm256", SkCipher::kAesGcm16, 36, SkIntegrity::kNone, 0},
    {"cbc128_sha1", SkCipher::kAesCbc, 16, SkIntegrity::kHmacSha1_96, 20},
    {"cbc256_sha256", SkCipher::kAesCbc, 32, SkIntegrity::kHmacSha256_128, 32},
};

std::vector<Payload> inner() {
  return {IdPayload{true, 2, std::vector<std::byte>(6, std::byte{'c'})},
          AuthPayload{2, std::vector<std::byte>(32, std::byte{7})},
          ConfigPayload{1, {{1, {}}, {3, {}}}}, NotifyPayload{ProtocolId::kNone, {}, 16384, {}}};
}

class EachSkTransform : public ::testing::TestWithParam<Case> {
 protected:
  SkProtector make(std::uint8_t fill) {
    const auto& c = GetParam();
    auto p =
        SkProtector::create(c.cipher, std::vector<std::byte>(c.key, std::byte{fill}), c.integrity,
                            std::vector<std::byte>(c.integrity_key, std::byte(fill + 1)));
    EXPECT_TRUE(p) << p.error();
    return std::move(*p);
  }
  SeededRng rng{3};
  Header header{0x1111, 0x2222, ExchangeType::kIkeAuth, true, false, 1};
};

TEST_P(EachSkTransform, SealsAndOpensInnerPayloads) {
  SkProtector sender = make(1);
  SkProtector receiver = make(1);
  for (int round = 0; round < 3; ++round) {
    const std::vector<Payload> clear{VendorPayload{std::vector<std::byte>(16, std::byte{9})}};
    const auto wire = sender.seal(header, clear, inner(), rng);
    auto decoded = decode_message(wire);
    ASSERT_TRUE(decoded) << decoded.error().what;
    EXPECT_EQ(decoded->header, header);
    ASSERT_EQ(decoded->payloads.size(), 2u);
    EXPECT_EQ(decoded->payloads[0], clear[0]);
    auto opened = receiver.open(wire);
    ASSERT_TRUE(opened) << opened.error().what;
    EXPECT_EQ(*opened, inner());
  }
}

TEST_P(EachSkTransform, RefusesAnyChangeAndForeignKeys) {
  SkProtector sender = make(1);
  SkProtector receiver = make(1);
  SkProtector stranger = make(5);
  const auto wire = sender.seal(header, {}, inner(), rng);
  // Every byte after the SPIs (the length field aside, which decode checks first).
  for (std::size_t i = 16; i < wire.size(); ++i) {
    if (i >= 24 && i < 28) continue;
    auto forged = wire;
    forged[i] ^= std::byte{0x04};
    EXPECT_FALSE(receiver.open(forged)) << GetParam().name << " byte " << i;
  }
  EXPECT_FALSE(stranger.open(wire));
  EXPECT_TRUE(receiver.open(wire));
}

INSTANTIATE_TEST_SUITE_P(Ikev2Sk, EachSkTransform, ::testing::ValuesIn(kCases),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(Ikev2Sk, RefusesUnsafeKeys) {
  EXPECT_FALSE(
      SkProtector::create(SkCipher::kAesCbc, std::vector<std::byte>(16), SkIntegrity::kNone, {}));
  EXPECT_FALSE(
      SkProtector::create(SkCipher::kAesGcm16, std::vector<std::byte>(16), SkIntegrity::kNone, {}));
  EXPECT_FALSE(SkProtector::create(SkCipher::kAesCbc, std::vector<std::byte>(16),
                                   SkIntegrity::kHmacSha1_96, std::vector<std::byte>(19)));
}

}  // namespace
}  // namespace tandem::ipsec::ike::v2
