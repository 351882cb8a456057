#include "wireguard/cookie.hpp"

#include <algorithm>

#include "crypto/aead.hpp"
#include "crypto/blake2s.hpp"
#include "crypto/constant_time.hpp"

namespace tandem::wireguard {
namespace {

// Both handshake messages end with mac1 then mac2.
std::size_t mac1_offset(ByteView msg) {
  return msg.size() - 2 * kMacSize;
}
std::size_t mac2_offset(ByteView msg) {
  return msg.size() - kMacSize;
}

Mac mac(ByteView key, ByteView data) {
  Mac out;
  crypto::blake2s_keyed(key, {data}, out);
  return out;
}

}  // namespace

void CookieChecker::set_identity(const StaticIdentity& local) {
  mac1_key_ = local.mac1_key;
  cookie_key_ = local.cookie_key;
}

Mac CookieChecker::cookie_for(const Endpoint& source, Rng& rng, TimePoint now) {
  // The secret changes every two minutes so a cookie stops working soon after.
  if (!secret_birth_ || now - *secret_birth_ >= kCookieRefreshTime) {
    rng.fill(secret_.bytes());
    secret_birth_ = now;
  }
  std::array<std::byte, 18> address{};
  const std::size_t n = source.address.size();
  std::copy_n(reinterpret_cast<const std::byte*>(source.address.data()), n, address.begin());
  store_be16(address.data() + n, source.port);
  return mac(secret_.bytes(), std::span(address).first(n + 2));
}

CookieChecker::MacStatus CookieChecker::check(ByteView msg, const Endpoint& source,
                                              bool check_cookie, Rng& rng, TimePoint now) {
  if (msg.size() < 2 * kMacSize) return MacStatus::kInvalidMac1;
  const Mac expected_mac1 = mac(mac1_key_, msg.first(mac1_offset(msg)));
  if (!crypto::constant_time_equal(expected_mac1, msg.subspan(mac1_offset(msg), kMacSize)))
    return MacStatus::kInvalidMac1;
  if (!check_cookie) return MacStatus::kValidMac1;
  const Mac cookie = cookie_for(source, rng, now);
  const Mac expected_mac2 = mac(cookie, msg.first(mac2_offset(msg)));
  if (!crypto::constant_time_equal(expected_mac2, msg.subspan(mac2_offset(msg), kMacSize)))
    return MacStatus::kValidMac1;
  return MacStatus::kValidMac1AndCookie;
}

void CookieChecker::make_reply(ByteView msg, const Endpoint& source, Rng& rng, TimePoint now,
                               std::span<std::byte, CookieReplyLayout::kSize> out) {
  std::fill(out.begin(), out.end(), std::byte{0});
  store_le32(out.data(), static_cast<std::uint32_t>(MessageType::kCookieReply));
  // Both handshake messages carry their sender index at offset 4.
  store_le32(out.data() + CookieReplyLayout::kReceiver, load_le32(msg.data() + 4));
  auto nonce = out.subspan<CookieReplyLayout::kNonce, kCookieNonceSize>();
  rng.fill(nonce);
  const Mac cookie = cookie_for(source, rng, now);
  crypto::xchacha20poly1305_seal(cookie_key_, nonce, msg.subspan(mac1_offset(msg), kMacSize),
                                 cookie, out.subspan(CookieReplyLayout::kCookie));
}

bool CookieMaker::has_fresh_cookie(TimePoint now) const {
  return cookie_birth_ && now - *cookie_birth_ < kCookieRefreshTime - kCookieSecretLatency;
}

void CookieMaker::add_macs(MutableByteView msg, const RemoteStatic& remote, TimePoint now) {
  const Mac mac1 = mac(remote.mac1_key, msg.first(mac1_offset(msg)));
  std::copy(mac1.begin(), mac1.end(), msg.begin() + static_cast<std::ptrdiff_t>(mac1_offset(msg)));
  last_mac1_ = mac1;
  have_last_mac1_ = true;
  Mac mac2{};
  if (has_fresh_cookie(now)) mac2 = mac(cookie_, msg.first(mac2_offset(msg)));
  std::copy(mac2.begin(), mac2.end(), msg.begin() + static_cast<std::ptrdiff_t>(mac2_offset(msg)));
}

bool CookieMaker::consume_reply(ByteView reply, const RemoteStatic& remote, TimePoint now) {
  if (!have_last_mac1_ || reply.size() != CookieReplyLayout::kSize) return false;
  Mac cookie;
  const auto nonce = reply.subspan<CookieReplyLayout::kNonce, kCookieNonceSize>();
  if (!crypto::xchacha20poly1305_open(remote.cookie_key, nonce, last_mac1_,
                                      reply.subspan(CookieReplyLayout::kCookie), cookie))
    return false;
  cookie_ = cookie;
  cookie_birth_ = now;
  // One reply per message we sent: a second copy must not refresh the cookie.
  have_last_mac1_ = false;
  return true;
}

}  // namespace tandem::wireguard
