// A WireGuard device: this node's static identity, its peers, the cryptokey routing table and
// the index table, and the whole protocol behaviour between them (whitepaper sections 2-6).
// Sans-I/O: bytes, endpoints and `now` go in; datagrams to send, inner packets to deliver and
// events come out through DeviceActions, all of one input at once. Single-threaded: the daemon
// serialises calls with one lock and runs only seal()/open() concurrently (they are static and
// touch nothing but the packet and the job).
//
// Two ways to drive it:
//  - send_inner_packet / receive_datagram / on_timer: one call does everything (tests, tools).
//  - prepare_send, seal, and prepare_receive, open, complete_receive: the same split in three so
//    the daemon can do the AEAD of a whole batch on all cores outside the lock.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/packet.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"
#include "wireguard/allowed_ips.hpp"
#include "wireguard/cookie.hpp"
#include "wireguard/messages.hpp"
#include "wireguard/noise.hpp"
#include "wireguard/peer.hpp"
#include "wireguard/ratelimiter.hpp"

namespace tandem::wireguard {

struct DeviceEvent {
  enum class Kind : std::uint8_t {
    kHandshakeInitiationSent,
    kHandshakeCompleted,  // a new session is usable (we_initiated says which role we had)
    kHandshakeGaveUp,     // no response within REKEY_ATTEMPT_TIME
    kKeysZeroed,          // no session for 3 * REJECT_AFTER_TIME: key material wiped
    kEndpointChanged,     // the peer roamed
    kCookieReplySent,
    kCookieReplyReceived,
    // Handshakes refused, each with the most likely cause; `endpoint` is where it came from.
    // Initiator: a response to our initiation failed to authenticate. In Noise IKpsk2 the
    // pre-shared key enters only here, so this is what a PSK mismatch looks like.
    kResponseNotAuthenticated,
    // Responder: an initiation for us from a static key that is no configured peer (`peer` is
    // 0, `public_key` holds the key).
    kInitiationFromUnknownKey,
    // Responder: a peer's initiation whose timestamp is not newer than the last one accepted
    // (a replay, or the peer's clock went backwards).
    kInitiationReplayed,
    // Responder: an initiation that failed mac1 or decryption: it was made for another public
    // key (`peer` is 0).
    kInitiationNotForUs,
    // The underlay's path to the peer's endpoint carries less than the device MTU implies:
    // `path_mtu` is the report's, `inner_mtu` what packets to this peer are now held to.
    kPathMtuLowered,
  };
  Kind kind;
  PeerId peer = 0;
  bool we_initiated = false;
  Endpoint endpoint;
  PublicKey public_key{};     // kInitiationFromUnknownKey only
  std::size_t path_mtu = 0;   // kPathMtuLowered only
  std::size_t inner_mtu = 0;  // kPathMtuLowered only
};

class DeviceActions {
 public:
  virtual ~DeviceActions() = default;
  // `datagram` is valid only during the call.
  virtual void send_datagram(const Endpoint& to, ByteView datagram) = 0;
  virtual void deliver_inner_packet(ByteView packet) = 0;
  virtual void on_event(const DeviceEvent& event) = 0;
};

// What the locked part of the send path decided for one inner packet, for seal() to carry out.
struct SealJob {
  // kTooBig: the largest inner packet the peer takes now (the packet is larger).
  std::size_t mtu = 0;
  Key key;
  std::uint64_t counter = 0;
  std::uint32_t receiver = 0;
  std::size_t padded_length = 0;
  Endpoint to;
};

// What the locked part of the receive path decided for one transport datagram.
struct OpenJob {
  Key key;
  std::uint64_t counter = 0;
  PeerId peer = 0;
  std::uint32_t local_index = 0;
  std::size_t datagram_size = 0;
};

// kTooBig: larger than the path to its peer carries (SealJob::mtu says how much it does); the
// caller answers it (ICMP from inside the tunnel, or fragments that each go through again).
enum class SendVerdict : std::uint8_t { kSeal, kStaged, kDropped, kTooBig };

// What WireGuard adds to an inner packet on the underlay besides the outer IP header: UDP (8),
// the transport header (16) and the tag (16). Padding is capped at the MTU and adds nothing to a
// packet of the MTU.
inline constexpr std::size_t kUdpTransportOverhead = 8 + TransportLayout::kHeaderSize + kTagSize;
// How long a learned underlay path MTU holds before the full size is tried again (RFC 1191
// section 6.3 suggests ten minutes; the kernel's net.ipv4.route.mtu_expires is the same).
inline constexpr Duration kPathMtuLifetime = std::chrono::minutes(10);
enum class ReceiveVerdict : std::uint8_t { kOpen, kHandled, kDropped };

class Device {
 public:
  // Room seal() needs around an inner packet: the header in front, padding and tag behind.
  static constexpr std::size_t kHeadroom = TransportLayout::kHeaderSize;
  static constexpr std::size_t kTailroom = kMessagePaddingMultiple - 1 + kTagSize;

  Device(Rng& rng, WallClock& wall);
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  // --- Configuration (what the UAPI and config files set) ---
  // Changing the key ends every session; a peer with our own public key is removed (as
  // wireguard-go does).
  void set_private_key(const std::optional<PrivateKey>& key);
  const std::optional<StaticIdentity>& identity() const { return identity_; }
  void set_mtu(std::size_t mtu) { mtu_ = mtu; }
  std::size_t mtu() const { return mtu_; }

  // Adds the peer if new; returns its id either way.
  PeerId add_peer(const PublicKey& public_key);
  std::optional<PeerId> find_peer(const PublicKey& public_key) const;
  void remove_peer(PeerId id);
  void remove_all_peers();
  void set_preshared_key(PeerId id, const std::optional<Key>& psk);
  void set_endpoint(PeerId id, const Endpoint& endpoint);
  // Turning persistent keepalive on sends one at once, as wireguard-go does.
  void set_persistent_keepalive(PeerId id, std::uint16_t seconds, TimePoint now,
                                DeviceActions& actions);
  void add_allowed_ip(PeerId id, const IpPrefix& prefix);
  void clear_allowed_ips(PeerId id);
  std::vector<IpPrefix> allowed_ips(PeerId id) const;

  // --- The underlay's path MTU ---
  // A datagram of ours to `destination` was refused as too big for a path of `path_mtu` bytes
  // (an ICMP fragmentation-needed or packet-too-big, or this host's own refusal): every peer at
  // that address is held to it until kPathMtuLifetime passes or its endpoint changes. Reports
  // below the family's floor (552 for IPv4, as the kernel's min_pmtu; 1280 for IPv6) count as
  // the floor. A report that would not lower a peer's MTU changes nothing. kPathMtuLowered for
  // each peer whose MTU fell.
  void on_path_too_big(const Endpoint& destination, std::size_t path_mtu, TimePoint now,
                       DeviceActions& actions);
  // What path MTU probes (inner packets of chosen sizes that the far end acknowledges) found
  // the path to `id` to carry, as an inner packet size; nullopt: nothing measured. Holds until
  // set again, also across endpoint changes (the prober searches again after one).
  void set_probed_mtu(PeerId id, std::optional<std::size_t> inner_mtu);
  // The peer whose allowed IPs take `inner` (cryptokey routing), if any.
  std::optional<PeerId> peer_for(const IpAddress& inner) const {
    return allowed_ips_.lookup(inner);
  }
  // The largest inner packet `peer` takes: the device MTU, or less while its underlay path is
  // known to be smaller (from ICMP, or from probes).
  std::size_t inner_mtu(const Peer& peer) const;
  // The same from ICMP alone.
  std::size_t reported_mtu(const Peer& peer) const;
  // What a path MTU probe (or its answer) to `peer` may be: what ICMP said the path carries, not
  // the device MTU (a probe tests the path; the far end's device may be larger than ours).
  std::size_t probe_limit(const Peer& peer) const;

  const Peer* peer(PeerId id) const;
  std::vector<PeerId> peer_ids() const;  // in the order peers were added
  std::size_t peer_count() const { return peers_.size(); }

  // Under load, handshakes need a valid mac2 (else they get a cookie reply) and are rate
  // limited per source. Load is detected from the handshake rate; tests may force it.
  void force_under_load(bool on) { forced_under_load_ = on; }
  void set_under_load_threshold(std::uint32_t handshakes_per_second) {
    under_load_threshold_ = handshakes_per_second;
  }

  std::uint64_t drops(DropReason reason) const { return drops_[static_cast<std::size_t>(reason)]; }
  std::uint64_t total_drops() const;

  // --- Whole-path calls ---
  // `packet` holds an inner IP packet with kHeadroom before and kTailroom after it; it is
  // encrypted in place and handed to send_datagram.
  void send_inner_packet(Packet& packet, TimePoint now, DeviceActions& actions);
  // `packet` holds a received datagram and its source endpoint; it is decrypted in place.
  void receive_datagram(Packet& packet, TimePoint now, DeviceActions& actions);
  void on_timer(TimePoint now, DeviceActions& actions);
  std::optional<TimePoint> next_deadline() const;

  // --- Split send path ---
  // A packet marked `mtu_probe` (a path MTU probe or the answer to one) may exceed what probes
  // found so far (up to probe_limit), is sealed at its own size, is dropped rather than held for
  // a handshake, and is not counted as data (Peer::data_packets_sent). An ICMP echo reply, the
  // answer to whatever probe the far end sends, may exceed it too and is sealed at its own size.
  SendVerdict prepare_send(Packet& packet, TimePoint now, SealJob& job, DeviceActions& actions);
  // Pads, encrypts in place, writes the header; the packet becomes the datagram, addressed to
  // job.to. Thread-safe.
  static void seal(Packet& packet, const SealJob& job);

  // --- Split receive path ---
  // Handshake and cookie messages are handled here completely (kHandled).
  ReceiveVerdict prepare_receive(Packet& packet, TimePoint now, OpenJob& job,
                                 DeviceActions& actions);
  // Decrypts in place; the packet becomes the padded plaintext. Thread-safe.
  static bool open(Packet& packet, const OpenJob& job);
  // Replay, session and cryptokey-routing checks; true when packet (trimmed to the inner
  // packet) should be delivered.
  bool complete_receive(Packet& packet, bool opened, const OpenJob& job, TimePoint now,
                        DeviceActions& actions);

 private:
  Peer* find(PeerId id);
  void drop(DropReason reason) { ++drops_[static_cast<std::size_t>(reason)]; }
  Duration jitter();
  std::uint32_t allocate_index(PeerId peer);
  void release_index(std::uint32_t index);
  void destroy_keypair(std::unique_ptr<Keypair>& keypair);
  void clear_sessions(Peer& peer);
  bool under_load(TimePoint now);

  // Handshakes (device_handshake.cpp).
  void send_initiation(Peer& peer, bool is_retry, TimePoint now, DeviceActions& actions);
  void handle_initiation(Packet& packet, TimePoint now, DeviceActions& actions);
  void handle_response(Packet& packet, TimePoint now, DeviceActions& actions);
  void handle_cookie_reply(Packet& packet, TimePoint now, DeviceActions& actions);
  bool mac_checks_pass(Packet& packet, TimePoint now, DeviceActions& actions);
  void begin_session(Peer& peer, SessionKeys& keys, TimePoint now);
  void update_endpoint(Peer& peer, const Endpoint& source, DeviceActions& actions);

  // Sending from inside the engine (device_send.cpp).
  void send_keepalive(Peer& peer, TimePoint now, DeviceActions& actions);
  void send_staged(Peer& peer, TimePoint now, DeviceActions& actions);
  void seal_and_send(Peer& peer, Keypair& keypair, ByteView inner, TimePoint now,
                     DeviceActions& actions);
  void after_data_sent(Peer& peer, Keypair& keypair, bool keepalive, TimePoint now,
                       DeviceActions& actions);
  // Padded to a multiple of 16, never past `cap` (the peer's inner MTU).
  static std::size_t padded_length(std::size_t length, std::size_t cap);
  // Drops a learned path MTU that has outlived kPathMtuLifetime.
  static void expire_path_mtu(Peer& peer, TimePoint now);
  // Takes the next counter of `keypair` for a packet of `padded` bytes (with its padding) to
  // `peer`, and counts the datagram it will become.
  void assign_seal_job(Peer& peer, Keypair& keypair, std::size_t padded, SealJob& job);

  // Timers (device_timers.cpp).
  void run_peer_timers(Peer& peer, TimePoint now, DeviceActions& actions);

  Rng& rng_;
  WallClock& wall_;
  std::optional<StaticIdentity> identity_;
  CookieChecker cookie_checker_;
  HandshakeRateLimiter rate_limiter_;
  std::size_t mtu_ = 1420;

  PeerId next_peer_id_ = 1;
  std::unordered_map<PeerId, std::unique_ptr<Peer>> peers_;
  std::vector<PeerId> peer_order_;
  // Public keys are uniformly random, so a few of their bytes are as good a hash as any.
  struct KeyHash {
    std::size_t operator()(const PublicKey& key) const {
      std::size_t h = 0;
      std::memcpy(&h, key.data(), sizeof h);
      return h;
    }
  };
  // Every handshake finds its peer by key: in constant time, whatever the number of peers.
  std::unordered_map<PublicKey, PeerId, KeyHash> by_key_;
  std::unordered_map<std::uint32_t, PeerId> indices_;  // local index -> peer
  AllowedIps<PeerId> allowed_ips_;

  bool forced_under_load_ = false;
  std::uint32_t under_load_threshold_ = 128;
  TimePoint load_window_start_{};
  std::uint32_t handshakes_in_window_ = 0;
  std::optional<TimePoint> under_load_until_;

  std::array<std::uint64_t, kDropReasonCount> drops_{};
  // Room to build handshake messages, keepalives and staged packets without allocating.
  std::array<std::byte, kHeadroom + StagedQueue::kSlotSize + kTailroom> scratch_{};
};

}  // namespace tandem::wireguard
