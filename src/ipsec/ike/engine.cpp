#include "ipsec/ike/engine.hpp"

#include "ipsec/ike/v1/node.hpp"
#include "ipsec/ike/v2/node.hpp"

namespace tandem::ipsec::ike {
namespace {

// What both adapters pass straight through to their node.
template <typename NodeType>
class NodeEngine : public Engine {
 public:
  template <typename ConfigType>
  NodeEngine(const ConfigType& config, Rng& rng) : node_(config, rng) {}
  void on_datagram(ByteView message, const Endpoint& local, const Endpoint& from, TimePoint now,
                   Actions& out) override {
    node_.on_datagram(message, local, from, now, out);
  }
  void on_timer(TimePoint now, Actions& out) override { node_.on_timer(now, out); }
  TimePoint next_deadline() const override { return node_.next_deadline(); }
  void note_inbound_esp(std::uint32_t spi, TimePoint now) override {
    node_.note_inbound_esp(spi, now);
  }
  void rekey_child(std::uint32_t spi, TimePoint now, Actions& out) override {
    node_.rekey_child(spi, now, out);
  }
  void close(std::uint64_t ike_sa, TimePoint now, Actions& out) override {
    node_.close(ike_sa, now, out);
  }

 protected:
  NodeType node_;
};

class Ikev1Engine final : public NodeEngine<v1::Node> {
 public:
  using NodeEngine::NodeEngine;
  int version() const override { return 1; }
  Result<std::uint64_t, std::string> initiate(std::string_view peer_name, const Endpoint& local,
                                              TimePoint now, Actions& out) override {
    return node_.initiate(peer_name, local, now, out);
  }
  std::vector<IkeSaSummary> summaries() const override {
    std::vector<IkeSaSummary> out;
    for (const auto& s : node_.status()) {
      IkeSaSummary o{s.handle, s.peer, s.remote, s.initiator, s.established, s.suite, {}};
      for (const auto& [in, outbound] : s.children) o.inbound_spis.push_back(in);
      out.push_back(std::move(o));
    }
    return out;
  }
  std::vector<std::pair<std::string, std::uint64_t>> counters() const override {
    const auto& s = node_.stats();
    return {{"malformed", s.malformed},
            {"unknown_sa", s.unknown_sa},
            {"refused", s.refused},
            {"retransmitted", s.retransmitted},
            {"duplicates", s.duplicates},
            {std::string(kAuthFailedPrefix) + "unknown_peer", s.unknown_peer},
            {std::string(kAuthFailedPrefix) + "wrong_key", s.auth_failed}};
  }
};

class Ikev2Engine final : public NodeEngine<v2::Node> {
 public:
  using NodeEngine::NodeEngine;
  int version() const override { return 2; }
  // IKEv2 sends from the address in its configuration (Config::local_address).
  Result<std::uint64_t, std::string> initiate(std::string_view peer_name, const Endpoint&,
                                              TimePoint now, Actions& out) override {
    return node_.initiate(peer_name, now, out);
  }
  void set_login_gate(LoginGate* gate) override { node_.set_login_gate(gate); }
  bool replace_peers(const v2::Config& config, TimePoint now, Actions& out) override {
    node_.replace_peers(config.peers, now, out);
    return true;
  }
  std::vector<IkeSaSummary> summaries() const override {
    std::vector<IkeSaSummary> out;
    for (const auto& s : node_.ike_sas()) {
      IkeSaSummary o{
          s.id,    s.peer, s.remote, s.initiator, s.state == v2::IkeSaState::kEstablished,
          s.suite, {}};
      for (const auto& c : s.children)
        if (!c.replaced) o.inbound_spis.push_back(c.inbound_spi);
      out.push_back(std::move(o));
    }
    return out;
  }
  std::vector<std::pair<std::string, std::uint64_t>> counters() const override {
    const auto& s = node_.stats();
    std::vector<std::pair<std::string, std::uint64_t>> out{
        {"retransmitted", s.retransmissions},
        {"responses_resent", s.responses_resent},
        {"cookies_sent", s.cookies_sent},
        {"half_open_expired", s.half_open_expired}};
    for (std::size_t r = 0; r < static_cast<std::size_t>(v2::DropReason::kCount); ++r)
      if (s.drops[r] != 0)
        out.emplace_back(
            std::string("dropped_") + v2::drop_reason_name(static_cast<v2::DropReason>(r)),
            s.drops[r]);
    for (std::size_t r = 0; r < static_cast<std::size_t>(v2::AuthFailure::kCount); ++r)
      if (s.auth_failures[r] != 0)
        out.emplace_back(
            std::string(kAuthFailedPrefix) + v2::auth_failure_name(static_cast<v2::AuthFailure>(r)),
            s.auth_failures[r]);
    return out;
  }
};

}  // namespace

std::unique_ptr<Engine> make_ikev1_engine(const v1::Config& config, Rng& rng) {
  return std::make_unique<Ikev1Engine>(config, rng);
}

std::unique_ptr<Engine> make_ikev2_engine(const v2::Config& config, Rng& rng) {
  return std::make_unique<Ikev2Engine>(config, rng);
}

}  // namespace tandem::ipsec::ike
