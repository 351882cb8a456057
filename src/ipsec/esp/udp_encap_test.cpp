// Telling keepalives, IKE and ESP apart on UDP 4500 (RFC 3948).
#include "ipsec/esp/udp_encap.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tandem::ipsec::esp {
namespace {

TEST(UdpEncap, ClassifiesEachKindOfDatagram) {
  EXPECT_EQ(classify_udp_payload(std::vector<std::byte>{std::byte{0xff}}), UdpPayload::kKeepalive);
  std::vector<std::byte> ike(4 + 28);
  EXPECT_EQ(classify_udp_payload(ike), UdpPayload::kIke);
  EXPECT_EQ(ike_message(ike).size(), 28u);
  std::vector<std::byte> esp(40);
  esp[3] = std::byte{7};
  EXPECT_EQ(classify_udp_payload(esp), UdpPayload::kEsp);
  EXPECT_EQ(classify_udp_payload(std::vector<std::byte>(10)), UdpPayload::kInvalid);
  EXPECT_EQ(classify_udp_payload(std::vector<std::byte>{std::byte{1}, std::byte{2}}),
            UdpPayload::kInvalid);
  EXPECT_EQ(classify_udp_payload({}), UdpPayload::kInvalid);
}

}  // namespace
}  // namespace tandem::ipsec::esp
