// The split-DNS forwarder: one Pending per query in flight, keyed by the exchange of its current
// try; a try that ends (answered, timed out, failed, or moved to TCP) closes its exchange.
#include "dns/forwarder.hpp"

#include <algorithm>
#include <utility>

namespace tandem::dns {

Forwarder::Forwarder(RuleSet rules, Rng& rng, ForwarderConfig config)
    : rules_(std::move(rules)), rng_(rng), config_(config) {}

void Forwarder::on_client_query(ByteView message, const Endpoint& client, Transport transport,
                                TimePoint now, ForwarderOutput& out) {
  ++stats_.queries;
  const auto header = parse_header(message);
  // A response sent to us is never answered: two forwarders must not bounce errors forever.
  if (!header || header->qr) {
    ++stats_.malformed;
    return;
  }
  if (header->opcode != static_cast<std::uint8_t>(Opcode::kQuery)) {
    ++stats_.not_implemented;
    reply(client, transport, make_header_reply(*header, Rcode::kNotImp), out);
    return;
  }
  auto parsed = parse_message(message);
  if (!parsed) {
    ++stats_.malformed;
    reply(client, transport, make_header_reply(*header, Rcode::kFormErr), out);
    return;
  }
  const auto group = rules_.route(parsed->question.name);
  if (!group) {
    ++stats_.no_rule;
    reply(client, transport, make_error_reply(message, &*parsed, Rcode::kRefused), out);
    return;
  }
  if (pending_.size() >= config_.max_outstanding) {
    ++stats_.over_limit;
    reply(client, transport, make_error_reply(message, &*parsed, Rcode::kRefused), out);
    return;
  }
  Pending p;
  p.client = client;
  p.client_transport = transport;
  p.client_id = header->id;
  p.query = std::move(*parsed);
  p.bytes.assign(message.begin(), message.end());
  p.group = *group;
  start_try(std::move(p), now, out);
}

void Forwarder::on_upstream_response(UpstreamQueryHandle handle, ByteView message, TimePoint now,
                                     ForwarderOutput& out) {
  const auto it = pending_.find(handle.value);
  if (it == pending_.end()) {
    ++stats_.late;
    return;
  }
  const Pending& p = it->second;
  const auto header = parse_header(message);
  if (!header || !header->qr) {
    ++stats_.malformed;
    return;
  }
  if (header->id != p.upstream_id) {
    ++stats_.bad_id;
    return;
  }
  const auto parsed = parse_message(message);
  if (!parsed) {
    // A resolver's FORMERR may carry no question; it cannot be told from a forgery, and the try
    // times out into the next resolver.
    if (parsed.error() == ParseError::kMalformed) {
      ++stats_.malformed;
    } else {
      ++stats_.wrong_question;
    }
    return;
  }
  if (!same_question(p.query, *parsed)) {
    ++stats_.wrong_question;
    return;
  }
  const auto rcode = static_cast<Rcode>(parsed->header.rcode);
  const bool resolver_left = p.resolver + 1 < rules_.group(p.group).resolvers.size();
  if ((rcode == Rcode::kServFail || rcode == Rcode::kRefused) && resolver_left) {
    ++stats_.upstream_refusals;
    fail_over(handle, now, out);
    return;
  }
  if (parsed->header.tc && p.upstream_transport == Transport::kUdp &&
      p.client_transport == Transport::kTcp) {
    ++stats_.tcp_retries;
    Pending again = finish(handle, out);
    again.upstream_transport = Transport::kTcp;
    start_try(std::move(again), now, out);
    return;
  }
  if (parsed->header.tc && p.upstream_transport == Transport::kUdp) ++stats_.truncated_relayed;
  const Pending done = finish(handle, out);
  relay(done, message, *parsed, out);
}

void Forwarder::on_upstream_error(UpstreamQueryHandle handle, TimePoint now, ForwarderOutput& out) {
  if (!pending_.contains(handle.value)) return;
  ++stats_.upstream_errors;
  fail_over(handle, now, out);
}

void Forwarder::on_timer(TimePoint now, ForwarderOutput& out) {
  std::vector<std::uint64_t> due;
  deadlines_.take_due(now, due);
  for (const auto value : due) {
    if (!pending_.contains(value)) continue;
    ++stats_.timeouts;
    fail_over(UpstreamQueryHandle{value}, now, out);
  }
}

void Forwarder::start_try(Pending p, TimePoint now, ForwarderOutput& out) {
  const UpstreamGroup& group = rules_.group(p.group);
  p.upstream_id = random_id();
  const UpstreamQueryHandle handle{next_handle_++};
  UpstreamSend send;
  send.handle = handle;
  send.group = group.name;
  send.path = group.path;
  send.resolver = group.resolvers[p.resolver];
  send.transport = p.upstream_transport;
  send.query = p.bytes;
  set_id(send.query, p.upstream_id);
  out.sends.push_back(std::move(send));
  deadlines_.set(handle.value, now + config_.upstream_timeout);
  pending_.emplace(handle.value, std::move(p));
}

void Forwarder::fail_over(UpstreamQueryHandle handle, TimePoint now, ForwarderOutput& out) {
  Pending p = finish(handle, out);
  if (p.resolver + 1 < rules_.group(p.group).resolvers.size()) {
    ++stats_.failovers;
    ++p.resolver;
    start_try(std::move(p), now, out);
    return;
  }
  ++stats_.servfail;
  reply(p.client, p.client_transport, make_error_reply(p.bytes, &p.query, Rcode::kServFail), out);
}

Forwarder::Pending Forwarder::finish(UpstreamQueryHandle handle, ForwarderOutput& out) {
  auto node = pending_.extract(handle.value);
  deadlines_.erase(handle.value);
  out.closes.push_back(handle);
  return std::move(node.mapped());
}

void Forwarder::relay(const Pending& p, ByteView response, const Message& parsed,
                      ForwarderOutput& out) {
  ++stats_.answered;
  std::vector<std::byte> message(response.begin(), response.end());
  if (p.client_transport == Transport::kUdp) {
    const std::size_t limit =
        p.query.has_opt ? std::max<std::size_t>(kMaxUdpSizeWithoutEdns, p.query.udp_payload_size)
                        : kMaxUdpSizeWithoutEdns;
    if (message.size() > limit) {
      ++stats_.truncated_to_client;
      message = truncate_to_question(response, parsed);
    }
  }
  set_id(message, p.client_id);
  reply(p.client, p.client_transport, std::move(message), out);
}

void Forwarder::reply(const Endpoint& client, Transport transport, std::vector<std::byte> message,
                      ForwarderOutput& out) {
  if (message.empty()) return;
  out.replies.push_back(ClientReply{client, transport, std::move(message)});
}

std::uint16_t Forwarder::random_id() {
  std::byte b[2];
  rng_.fill(b);
  return load_be16(b);
}

}  // namespace tandem::dns
