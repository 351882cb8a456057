// PPP authentication, both sides: PAP (RFC 1334 section 2), CHAP with MD5 (RFC 1994) and
// MS-CHAPv2 (RFC 2759). The authenticator does not judge credentials itself: it reports an
// AuthRequest and waits for a verdict, so a local user list, RADIUS or LDAP can decide.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/rng.hpp"
#include "base/time.hpp"
#include "ppp/frame.hpp"
#include "ppp/lcp.hpp"

namespace tandem::ppp {

// What the peer presented, for whoever decides.
struct AuthRequest {
  AuthMethod method = AuthMethod::kNone;
  std::string username;
  std::string password;                   // PAP only
  std::uint8_t identifier = 0;            // CHAP-MD5: part of the hashed input
  std::vector<std::byte> challenge;       // CHAP: the challenge we sent
  std::vector<std::byte> response;        // CHAP-MD5: 16 bytes; MS-CHAPv2: the 24-byte NT-Response
  std::vector<std::byte> peer_challenge;  // MS-CHAPv2
};

struct AuthVerdict {
  bool accepted = false;
  // MS-CHAPv2 success carries the authenticator response ("S=..."); otherwise a message.
  std::string authenticator_response;
  std::string message;
};

struct AuthOutput {
  std::vector<std::vector<std::byte>> frames;
  std::optional<AuthRequest> request;  // authenticator: a decision is needed
  std::optional<bool> finished;        // true: authenticated; false: failed
  std::string detail;                  // why it failed, or who logged in
};

// The authenticator (gateway) side.
class Authenticator {
 public:
  Authenticator(Rng& rng, std::string name) : rng_(&rng), name_(std::move(name)) {}
  void start(AuthMethod method, TimePoint now, AuthOutput& out);
  void receive(Protocol protocol, const ControlPacket& p, AuthOutput& out);
  void verdict(const AuthVerdict& v, AuthOutput& out);
  void on_timer(TimePoint now, AuthOutput& out);
  TimePoint deadline() const { return waiting_ ? deadline_ : TimePoint::max(); }
  bool done() const { return done_; }

 private:
  void send_challenge(TimePoint now, AuthOutput& out);
  void fail(std::string why, AuthOutput& out);

  Rng* rng_;
  std::string name_;
  AuthMethod method_ = AuthMethod::kNone;
  std::uint8_t id_ = 0;
  std::vector<std::byte> challenge_;
  bool waiting_ = false;   // for a response (timer runs)
  bool deciding_ = false;  // an AuthRequest is out
  bool done_ = false;
  int retries_ = 0;
  TimePoint deadline_{};
  std::string username_;
  // Sent again when the peer repeats itself because our verdict was lost (RFC 1994 4.2).
  std::vector<std::byte> last_verdict_;
};

// The authenticatee (client) side.
class AuthPeer {
 public:
  AuthPeer(Rng& rng, std::string username, std::string password)
      : rng_(&rng), username_(std::move(username)), password_(std::move(password)) {}
  void start(AuthMethod method, TimePoint now, AuthOutput& out);
  void receive(Protocol protocol, const ControlPacket& p, TimePoint now, AuthOutput& out);
  void on_timer(TimePoint now, AuthOutput& out);
  TimePoint deadline() const {
    return pap_waiting_ || !last_response_.empty() ? deadline_ : TimePoint::max();
  }
  bool done() const { return done_; }

 private:
  void send_pap(TimePoint now, AuthOutput& out);
  void on_challenge(const ControlPacket& p, TimePoint now, AuthOutput& out);
  void on_success(const ControlPacket& p, AuthOutput& out);

  Rng* rng_;
  std::string username_;
  std::string password_;
  AuthMethod method_ = AuthMethod::kNone;
  bool pap_waiting_ = false;
  bool done_ = false;
  int retries_ = 0;
  std::uint8_t pap_id_ = 0;
  TimePoint deadline_{};
  // MS-CHAPv2 state kept to check the server's authenticator response.
  std::array<std::byte, 16> auth_challenge_{};
  std::array<std::byte, 16> peer_challenge_{};
  std::array<std::byte, 24> nt_response_{};
  std::optional<std::uint8_t> chap_id_;
  // Our CHAP response, repeated until a verdict arrives: a lost Success would otherwise leave us
  // waiting forever while the authenticator has moved on.
  std::vector<std::byte> last_response_;
};

}  // namespace tandem::ppp
