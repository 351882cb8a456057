// The RADIUS client engine (RFC 2865 authentication, RFC 2866 accounting), sans-I/O and
// single-threaded: the daemon feeds it requests, received datagrams and the time, and sends the
// datagrams it returns to the servers named with them.
//
// Servers are tried in the configured order, separately for authentication and accounting. A
// request is sent, retransmitted unchanged `retries` times a `timeout` apart, then moved to the
// next server (failover); a server that left a request unanswered that way is held down for
// `dead_time`, so later requests start at one that answers. Each server has 256 identifiers;
// a request waits in a queue when all of its server's are in use.
//
// Against BlastRADIUS (CVE-2024-3596): every Access-Request carries Message-Authenticator as its
// first attribute, and an Access-Accept, -Reject or -Challenge is taken only with a valid
// Message-Authenticator, unless its server opted out (require_message_authenticator = false).
// A response must come from the server the request went to, with the identifier in use there,
// and a valid Response Authenticator; anything else is dropped and counted by reason.
// Accounting-Response is protected by its Response Authenticator alone (RFC 2866 has no
// Message-Authenticator), though one that is present must be valid. Retransmissions to one
// server are the identical packet (RFC 5080 2.2.1); an Accounting-Request moved to the next
// server is built anew, its Acct-Delay-Time saying how long it has waited.
//
// Spoofed answers cost a decode and one MD5 each and change nothing but the drop counts.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "auth/radius_packet.hpp"
#include "base/ip_address.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"

namespace tandem::auth {

struct RadiusServer {
  std::string name;   // for logs
  Endpoint endpoint;  // resolved by the daemon
  std::string secret;
  bool require_message_authenticator = true;
  Duration timeout = std::chrono::seconds(3);
  unsigned retries = 2;  // retransmissions before moving on to the next server
  // RadSec (RADIUS over TLS, RFC 6614): how the daemon reaches the server. The engine is the same
  // either way (a reliable transport has retries = 0).
  struct Tls {
    std::string ca_file;      // the server's certificate must chain to this CA
    std::string server_name;  // and name this (empty: its address)
    std::string certificate;  // ours, when the server asks for one
    std::string private_key;
    bool operator==(const Tls&) const = default;
  };
  std::optional<Tls> tls;
  bool operator==(const RadiusServer&) const = default;
};

struct RadiusClientSettings {
  std::vector<RadiusServer> authentication;
  std::vector<RadiusServer> accounting;
  Duration dead_time = std::chrono::seconds(60);  // hold-down of a server that did not answer
  // Who we are: RFC 2865 wants NAS-IP-Address or NAS-Identifier in every Access-Request.
  std::string nas_identifier = "tandem";
  std::optional<IpAddress> nas_ip_address;
  bool operator==(const RadiusClientSettings&) const = default;
};

// `[radius]` as the daemon runs it: the engine's settings and how often a session's accounting
// is brought up to date between its Start and Stop.
struct RadiusSettings {
  RadiusClientSettings client;
  Duration interim_interval = std::chrono::seconds(300);  // zero: Start and Stop only
  bool operator==(const RadiusSettings&) const = default;
};

using RequestId = std::uint64_t;

// The credentials a PPP peer presented (see radius_ppp.hpp for the conversion).
struct PapCredentials {
  std::string password;
};
struct ChapCredentials {  // CHAP with MD5 (RFC 1994): CHAP-Password and CHAP-Challenge
  std::uint8_t identifier = 0;
  std::vector<std::byte> challenge;
  std::array<std::byte, 16> response{};
};
struct MsChapV2Credentials {  // RFC 2548 2.3.2 and 2.1.7
  std::uint8_t identifier = 0;
  std::array<std::byte, 16> authenticator_challenge{};
  std::array<std::byte, 16> peer_challenge{};
  std::array<std::byte, 24> nt_response{};
};
using Credentials = std::variant<PapCredentials, ChapCredentials, MsChapV2Credentials>;

struct AccessRequestInput {
  std::string user_name;
  Credentials credentials;
  std::string calling_station_id;  // the peer's outer address, for the server's logs
};

enum class AccessOutcome : std::uint8_t { kAccepted, kRejected, kFailed };
const char* access_outcome_name(AccessOutcome o);

struct AccessResult {
  RequestId id = 0;
  AccessOutcome outcome = AccessOutcome::kFailed;
  std::string server;  // that answered (empty when none did)
  std::string reason;  // for logs: the server's Reply-Message, or why nobody answered usefully
  // The attributes honoured from an Access-Accept.
  std::optional<IpAddress> framed_ip_address;
  std::optional<Duration> session_timeout;
  std::optional<Duration> idle_timeout;
  std::vector<std::vector<std::byte>> classes;  // echoed in accounting
  std::vector<std::string> reply_messages;
  std::string ms_chap2_success;  // "S=" + 40 hex digits, for the PPP Success packet
};

struct AccountingInput {
  radius::AcctStatusType status_type = radius::AcctStatusType::kStart;
  std::string session_id;
  std::string user_name;
  std::optional<IpAddress> framed_ip_address;
  std::string calling_station_id;
  std::uint64_t input_octets = 0, output_octets = 0;  // sent as octets plus gigawords
  std::uint32_t input_packets = 0, output_packets = 0;
  std::optional<Duration> session_time;
  std::optional<radius::AcctTerminateCause> terminate_cause;
  std::vector<std::vector<std::byte>> classes;   // from the Access-Accept
  std::optional<std::uint32_t> event_timestamp;  // seconds since 1970 (the daemon's wall clock)
};

struct AccountingResult {
  RequestId id = 0;
  bool acknowledged = false;
  std::string server;
  std::string reason;
};

// Why a datagram was dropped; each is counted.
enum class ResponseDrop : std::uint8_t {
  kMalformed,
  kUnexpectedCode,  // a request code, or a response of the other kind
  kUnknownServer,   // from an address no configured server has
  kUnknownId,       // no request outstanding with that identifier at that server
  kBadAuthenticator,
  kMissingMessageAuthenticator,
  kBadMessageAuthenticator,
};
const char* response_drop_name(ResponseDrop d);

struct RadiusStats {
  std::uint64_t access_requests = 0, accepts = 0, rejects = 0, challenges = 0, access_failures = 0;
  std::uint64_t accounting_requests = 0, accounting_responses = 0, accounting_failures = 0;
  std::uint64_t retransmissions = 0, failovers = 0, queued_for_identifier = 0;
  std::array<std::uint64_t, 7> drops{};  // by ResponseDrop
  std::uint64_t dropped(ResponseDrop d) const { return drops[static_cast<std::size_t>(d)]; }
};

struct RadiusDatagram {
  Endpoint to;
  std::string server;
  std::vector<std::byte> bytes;
};

struct RadiusEvent {  // for logs
  enum class Kind : std::uint8_t { kServerDown, kServerUp, kDropped } kind{};
  std::string server;
  std::string detail;
};

struct RadiusOutput {
  std::vector<RadiusDatagram> datagrams;
  std::vector<AccessResult> access;
  std::vector<AccountingResult> accounting;
  std::vector<RadiusEvent> events;
};

class RadiusClient {
 public:
  RadiusClient(RadiusClientSettings settings, Rng& rng);

  RequestId submit_access(const AccessRequestInput& input, TimePoint now, RadiusOutput& out);
  RequestId submit_accounting(const AccountingInput& input, TimePoint now, RadiusOutput& out);
  void on_datagram(ByteView bytes, const Endpoint& from, TimePoint now, RadiusOutput& out);
  void on_timer(TimePoint now, RadiusOutput& out);
  TimePoint next_deadline() const;

  const RadiusStats& stats() const { return stats_; }
  std::size_t outstanding() const { return pending_.size(); }

 private:
  enum class Kind : std::uint8_t { kAccess, kAccounting };
  struct ServerState {
    RadiusServer config;
    std::array<std::optional<RequestId>, 256> ids{};
    std::uint8_t next_id = 0;
    TimePoint dead_until{};
    bool dead = false;
    TimePoint last_valid_response = TimePoint::min();
    std::deque<RequestId> waiting;  // for an identifier
  };
  struct Pending {
    Kind kind = Kind::kAccess;
    std::variant<AccessRequestInput, AccountingInput> input;
    TimePoint submitted{};
    std::vector<std::size_t> order;  // server indices still to try, the current one first
    std::optional<std::uint8_t> identifier;
    radius::Authenticator request_authenticator{};
    std::vector<std::byte> bytes;
    unsigned sends = 0;
    TimePoint first_send{};
    TimePoint deadline = TimePoint::max();
    std::vector<std::string> tried;  // "name (3 tries)"
    unsigned wrong_authenticator = 0, missing_message_authenticator = 0;
  };

  std::vector<ServerState>& servers(Kind kind) {
    return kind == Kind::kAccess ? auth_servers_ : acct_servers_;
  }
  RequestId submit(Kind kind, std::variant<AccessRequestInput, AccountingInput> input,
                   TimePoint now, RadiusOutput& out);
  std::vector<std::size_t> try_order(Kind kind, TimePoint now);
  // Takes an identifier at the request's current server and sends, or queues it.
  void start_at_server(RequestId id, Pending& p, TimePoint now, RadiusOutput& out);
  void send(Pending& p, TimePoint now, RadiusOutput& out);
  void release_identifier(Kind kind, std::size_t server, Pending& p, TimePoint now,
                          RadiusOutput& out);
  void give_up_on_server(RequestId id, Pending& p, TimePoint now, RadiusOutput& out);
  // The request's bytes for `server`, signed; `auth` is set to its authenticator. nullopt when
  // it does not fit in a packet.
  std::optional<std::vector<std::byte>> build_access(const AccessRequestInput& in,
                                                     const RadiusServer& server,
                                                     std::uint8_t identifier,
                                                     radius::Authenticator& auth);
  std::optional<std::vector<std::byte>> build_accounting(const AccountingInput& in,
                                                         const RadiusServer& server,
                                                         std::uint8_t identifier, Duration delay,
                                                         radius::Authenticator& auth);
  void drop(ResponseDrop reason, const std::string& server, RadiusOutput& out);
  void complete(RequestId id, const radius::Packet& response, std::size_t server, TimePoint now,
                RadiusOutput& out);
  // Ends the request without an answer: `why`, or the servers tried when empty.
  void fail(RequestId id, Pending& p, RadiusOutput& out, const std::string& why);

  RadiusClientSettings settings_;
  Rng* rng_;
  std::vector<ServerState> auth_servers_, acct_servers_;
  std::map<RequestId, Pending> pending_;
  RequestId next_request_ = 1;
  RadiusStats stats_;
};

// The verdict of an Access-Accept for these credentials: the attributes read out of it, or the
// reason it cannot be honoured (an MS-CHAPv2 accept without a well-formed MS-CHAP2-Success).
AccessResult read_access_accept(const radius::Packet& accept, const Credentials& credentials);

}  // namespace tandem::auth
