// One face for both IKE versions, so that the daemon's IPsec stack drives an IKEv1 or an IKEv2
// node the same way: datagrams and time in, ike::Actions out, and a version-neutral summary of
// the IKE SAs for status views. Sans-I/O.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"
#include "ipsec/ike/actions.hpp"
#include "ipsec/ike/login_gate.hpp"

namespace tandem::ipsec::ike {

namespace v1 {
struct Config;
}
namespace v2 {
struct Config;
}

// Engine::counters() names a refused peer authentication "auth_failed_<reason>".
inline constexpr std::string_view kAuthFailedPrefix = "auth_failed_";

struct IkeSaSummary {
  std::uint64_t handle = 0;
  std::string peer;  // the configured peer's name ("" until the peer is known)
  Endpoint remote;
  bool initiator = false;
  bool established = false;
  std::string suite;
  std::vector<std::uint32_t> inbound_spis;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual int version() const = 0;
  // Starts an IKE SA (and its first Child SA) with a configured peer, sending from `local`.
  virtual Result<std::uint64_t, std::string> initiate(std::string_view peer_name,
                                                      const Endpoint& local, TimePoint now,
                                                      Actions& out) = 0;
  // An IKE message (on port 4500 without the non-ESP marker) that arrived on `local`.
  virtual void on_datagram(ByteView message, const Endpoint& local, const Endpoint& from,
                           TimePoint now, Actions& out) = 0;
  virtual void on_timer(TimePoint now, Actions& out) = 0;
  virtual TimePoint next_deadline() const = 0;
  virtual void note_inbound_esp(std::uint32_t inbound_spi, TimePoint now) = 0;
  virtual void rekey_child(std::uint32_t inbound_spi, TimePoint now, Actions& out) = 0;
  virtual void close(std::uint64_t ike_sa, TimePoint now, Actions& out) = 0;
  // Takes the peers of `config` in place of the running ones (v2::Node::replace_peers): the IKE
  // SAs of a peer that went or changed are closed, telling the peer. False where the engine
  // keeps its peers until a restart (IKEv1).
  virtual bool replace_peers(const v2::Config& config, TimePoint now, Actions& out) {
    (void)config;
    (void)now;
    (void)out;
    return false;
  }
  // IKEv2 responder: the login gate asked before each IKE_AUTH is checked (v2::Node). Ignored
  // where logins are not per identity (IKEv1's group key for L2TP/IPsec).
  virtual void set_login_gate(LoginGate* gate) { (void)gate; }
  virtual std::vector<IkeSaSummary> summaries() const = 0;
  // Counters for status views, by name.
  virtual std::vector<std::pair<std::string, std::uint64_t>> counters() const = 0;
};

std::unique_ptr<Engine> make_ikev1_engine(const v1::Config& config, Rng& rng);
std::unique_ptr<Engine> make_ikev2_engine(const v2::Config& config, Rng& rng);

}  // namespace tandem::ipsec::ike
