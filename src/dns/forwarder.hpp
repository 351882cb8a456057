// The split-DNS forwarder: queries from clients on the daemon's inner address, sent on to the
// resolvers of the group their name routes to (dns/rules.hpp), the answers relayed back.
// Sans-I/O and single-threaded: messages, endpoints and `now` in; what to send, to whom, and
// which upstream exchanges to close, out.
//
// Each try of a query goes out on an exchange of its own, known by an UpstreamQueryHandle: the
// daemon opens a new socket for it (a fresh UDP socket, so a random source port from the
// kernel's ephemeral range, or a new TCP connection) and hands back only what arrives on it.
// With a fresh random 16-bit ID per try (RFC 5452 section 9.2), an off-path forger must guess
// both. A response counts only on its own exchange, with that ID and the query's question;
// anything else is dropped and counted, never delivered to another client or another rule's
// query.
//
// Over TCP (RFC 7766) both ways, the daemon strips and adds the 2-byte length prefix: the engine
// sees and makes whole messages.
//
// Behaviour, by the RFCs it follows:
// - a try unanswered within `upstream_timeout` (or failed: on_upstream_error) moves to the next
//   resolver of the same group; when the group has none left the client gets SERVFAIL. An
//   upstream SERVFAIL or REFUSED moves on too while resolvers remain.
// - TC on an upstream UDP answer: a UDP client gets it as it is and asks again over TCP
//   (RFC 7766 section 5); a TCP client's query is asked again of the same resolver over TCP.
// - EDNS(0) (RFC 6891): the client's OPT travels as it came. A UDP client that sent no OPT never
//   gets more than 512 bytes (RFC 1035 section 4.2.1), one with an OPT never more than the size
//   it offered: a larger answer is cut to its header and question with TC set.
// - at most `max_outstanding` queries in flight; beyond that a query is answered REFUSED.
//
// ldns parses each message (dns/message.hpp): a query costs a few allocations, a cost this
// control-plane service accepts.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/bytes.hpp"
#include "base/deadline_heap.hpp"
#include "base/ip_address.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"
#include "dns/message.hpp"
#include "dns/rules.hpp"

namespace tandem::dns {

enum class Transport : std::uint8_t { kUdp, kTcp };

// One upstream exchange: one try of one query, on a socket of its own.
struct UpstreamQueryHandle {
  std::uint64_t value = 0;
  friend auto operator<=>(const UpstreamQueryHandle&, const UpstreamQueryHandle&) = default;
};

// Open a new exchange `handle` to `resolver` over `transport` through `path` and send `query`.
struct UpstreamSend {
  UpstreamQueryHandle handle;
  std::string group;
  std::string path;
  Endpoint resolver;
  Transport transport = Transport::kUdp;
  std::vector<std::byte> query;
};

struct ClientReply {
  Endpoint client;
  Transport transport = Transport::kUdp;
  std::vector<std::byte> message;
};

struct ForwarderOutput {
  std::vector<UpstreamSend> sends;
  std::vector<ClientReply> replies;
  std::vector<UpstreamQueryHandle> closes;  // exchanges done with: close their sockets
  void clear() {
    sends.clear();
    replies.clear();
    closes.clear();
  }
};

struct ForwarderStats {
  std::uint64_t queries = 0;   // client messages received
  std::uint64_t answered = 0;  // upstream answers relayed to clients
  std::uint64_t servfail = 0;  // SERVFAIL sent after every resolver of a group failed
  // Drops and refusals, by reason.
  std::uint64_t malformed = 0;            // a client query or upstream answer that does not parse
  std::uint64_t not_implemented = 0;      // client queries of another opcode than QUERY (NOTIMP)
  std::uint64_t no_rule = 0;              // no rule and no default group: REFUSED
  std::uint64_t over_limit = 0;           // max_outstanding reached: REFUSED
  std::uint64_t bad_id = 0;               // an answer on an exchange with another ID
  std::uint64_t wrong_question = 0;       // an answer on an exchange to another question
  std::uint64_t late = 0;                 // an answer on an exchange closed or unknown
  std::uint64_t timeouts = 0;             // tries unanswered in time
  std::uint64_t upstream_errors = 0;      // tries the daemon reported failed
  std::uint64_t upstream_refusals = 0;    // SERVFAIL or REFUSED from a resolver with another left
  std::uint64_t failovers = 0;            // tries moved to the group's next resolver
  std::uint64_t tcp_retries = 0;          // truncated UDP answers asked again over TCP
  std::uint64_t truncated_relayed = 0;    // truncated UDP answers relayed to UDP clients
  std::uint64_t truncated_to_client = 0;  // answers cut to fit the client's UDP size
};

struct ForwarderConfig {
  Duration upstream_timeout = std::chrono::seconds(2);
  std::size_t max_outstanding = 1024;
};

class Forwarder {
 public:
  Forwarder(RuleSet rules, Rng& rng, ForwarderConfig config = {});
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // A whole DNS message from `client` (for TCP: one message, without its length prefix).
  void on_client_query(ByteView message, const Endpoint& client, Transport transport, TimePoint now,
                       ForwarderOutput& out);
  // A whole message that arrived on exchange `handle`.
  void on_upstream_response(UpstreamQueryHandle handle, ByteView message, TimePoint now,
                            ForwarderOutput& out);
  // Exchange `handle` failed (ICMP unreachable, TCP refused or reset): the next resolver now.
  void on_upstream_error(UpstreamQueryHandle handle, TimePoint now, ForwarderOutput& out);
  void on_timer(TimePoint now, ForwarderOutput& out);
  std::optional<TimePoint> next_deadline() const { return deadlines_.next(); }

  const ForwarderStats& stats() const { return stats_; }
  std::size_t outstanding() const { return pending_.size(); }

 private:
  struct Pending {
    Endpoint client;
    Transport client_transport = Transport::kUdp;
    std::uint16_t client_id = 0;
    Message query;                 // as parsed: its question and OPT
    std::vector<std::byte> bytes;  // as the client sent it; the ID is rewritten per try
    std::size_t group = 0;
    std::size_t resolver = 0;  // index in the group of the resolver tried now
    Transport upstream_transport = Transport::kUdp;
    std::uint16_t upstream_id = 0;
  };

  // Sends `p` to its group's resolver `p.resolver` over `p.upstream_transport` on a new
  // exchange.
  void start_try(Pending p, TimePoint now, ForwarderOutput& out);
  // The try on `handle` failed: the next resolver of the group, or SERVFAIL.
  void fail_over(UpstreamQueryHandle handle, TimePoint now, ForwarderOutput& out);
  // Ends the try on `handle` and takes its query out.
  Pending finish(UpstreamQueryHandle handle, ForwarderOutput& out);
  void relay(const Pending& p, ByteView response, const Message& parsed, ForwarderOutput& out);
  void reply(const Endpoint& client, Transport transport, std::vector<std::byte> message,
             ForwarderOutput& out);
  std::uint16_t random_id();

  RuleSet rules_;
  Rng& rng_;
  ForwarderConfig config_;
  std::uint64_t next_handle_ = 1;
  std::unordered_map<std::uint64_t, Pending> pending_;  // by exchange handle
  DeadlineHeap<std::uint64_t> deadlines_;
  ForwarderStats stats_;
};

}  // namespace tandem::dns
