// MAC1, MAC2 and cookie replies: WireGuard's defence against handshake floods (whitepaper
// section 5.3 and 5.4.4, 5.4.7). The responder side (CookieChecker) proves a sender knows our
// public key (mac1) and, under load, that it can receive at its source address (mac2 over a
// cookie we handed it). The initiator side (CookieMaker, one per peer) adds both macs and keeps
// the cookie a peer sent. Single-threaded.
#pragma once

#include <array>
#include <optional>
#include <span>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"
#include "wireguard/messages.hpp"
#include "wireguard/noise.hpp"

namespace tandem::wireguard {

using Mac = std::array<std::byte, kMacSize>;

class CookieChecker {
 public:
  enum class MacStatus : std::uint8_t { kInvalidMac1, kValidMac1, kValidMac1AndCookie };

  void set_identity(const StaticIdentity& local);
  // Checks an initiation or response (the macs are its last 32 bytes). mac2 is checked only
  // when `check_cookie`; the cookie is bound to `source`.
  MacStatus check(ByteView msg, const Endpoint& source, bool check_cookie, Rng& rng, TimePoint now);
  // A cookie reply to `msg` (its sender index is the reply's receiver).
  void make_reply(ByteView msg, const Endpoint& source, Rng& rng, TimePoint now,
                  std::span<std::byte, CookieReplyLayout::kSize> out);

 private:
  Mac cookie_for(const Endpoint& source, Rng& rng, TimePoint now);

  std::array<std::byte, kKeySize> mac1_key_{};
  std::array<std::byte, kKeySize> cookie_key_{};
  Key secret_;
  std::optional<TimePoint> secret_birth_;
};

class CookieMaker {
 public:
  // Fills mac1 and, while we hold a fresh cookie from this peer, mac2 of an outgoing
  // initiation or response; remembers mac1 to authenticate the cookie reply.
  void add_macs(MutableByteView msg, const RemoteStatic& remote, TimePoint now);
  // Accepts a cookie reply to the last message we sent this peer.
  bool consume_reply(ByteView reply, const RemoteStatic& remote, TimePoint now);
  bool has_fresh_cookie(TimePoint now) const;

 private:
  Mac cookie_{};
  std::optional<TimePoint> cookie_birth_;
  Mac last_mac1_{};
  bool have_last_mac1_ = false;
};

}  // namespace tandem::wireguard
