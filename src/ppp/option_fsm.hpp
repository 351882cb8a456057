// The option-negotiation automaton of RFC 1661 section 4, shared by LCP, IPCP and IPV6CP: ten
// states, the restart timer and counters, and the Configure/Terminate/Code-Reject exchanges. What
// the options mean is left to a Negotiator, one per protocol. Single-threaded, sans-I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "ppp/frame.hpp"
#include "ppp/protocol.hpp"

namespace tandem::ppp {

enum class FsmState : std::uint8_t {
  kInitial,
  kStarting,
  kClosed,
  kStopped,
  kClosing,
  kStopping,
  kReqSent,
  kAckRcvd,
  kAckSent,
  kOpened,
};

const char* fsm_state_name(FsmState s);

// The protocol-specific half: what we ask for and what we accept.
class Negotiator {
 public:
  enum class Verdict : std::uint8_t { kAck, kNak, kReject };
  virtual ~Negotiator() = default;
  // A new negotiation starts: forget what the last one settled.
  virtual void reset() = 0;
  // The options of our next Configure-Request.
  virtual std::vector<std::byte> request() = 0;
  // Judges the peer's Configure-Request; for Nak or Reject, `reply` receives the options to send.
  virtual Verdict check(const std::vector<Option>& options, std::vector<std::byte>& reply) = 0;
  // The peer acknowledged our request (these are our options, as sent).
  virtual void acked(const std::vector<Option>& options) = 0;
  virtual void naked(const std::vector<Option>& options) = 0;
  virtual void rejected(const std::vector<Option>& options) = 0;
};

// The verdict on a Configure-Request from the options a Negotiator collected: any Reject wins over
// any Nak (1661 5.3 and 5.4); `reply` receives the options to send back.
Negotiator::Verdict settle_verdict(std::vector<std::byte>& nak, std::vector<std::byte>& reject,
                                   std::vector<std::byte>& reply);

// "This-Layer-Up" and friends (1661 section 4.4), reported to the link above.
enum class LayerSignal : std::uint8_t { kUp, kDown, kStarted, kFinished };

struct FsmOutput {
  std::vector<std::vector<std::byte>> frames;
  std::vector<std::pair<Protocol, LayerSignal>> signals;
};

class OptionFsm {
 public:
  OptionFsm(Protocol protocol, Negotiator& negotiator) : protocol_(protocol), n_(&negotiator) {}

  // Administrative and lower-layer events (1661 section 4.1).
  void up(TimePoint now, FsmOutput& out);
  void down(FsmOutput& out);
  void open(TimePoint now, FsmOutput& out);
  void close(std::string_view reason, TimePoint now, FsmOutput& out);

  // A control packet for this protocol. Codes beyond 1-7 are the caller's (LCP's echo and
  // friends); an unknown code gets a Code-Reject.
  void receive(const ControlPacket& packet, TimePoint now, FsmOutput& out);
  void on_timer(TimePoint now, FsmOutput& out);
  TimePoint deadline() const { return timer_running() ? deadline_ : TimePoint::max(); }

  FsmState state() const { return state_; }
  bool opened() const { return state_ == FsmState::kOpened; }
  // Why the automaton last finished, for the log ("peer sent Terminate-Request", ...).
  const std::string& finish_reason() const { return finish_reason_; }

 private:
  bool timer_running() const;
  void irc(bool for_configure) {
    restart_counter_ = for_configure ? kMaxConfigure : kMaxTerminate;
    if (for_configure) naks_sent_ = 0;
  }
  void scr(TimePoint now, FsmOutput& out);
  void str(std::string_view reason, TimePoint now, FsmOutput& out);
  void send(Code code, std::uint8_t id, ByteView data, FsmOutput& out);
  void signal(LayerSignal s, FsmOutput& out) { out.signals.push_back({protocol_, s}); }
  void tlf(std::string_view reason, FsmOutput& out);
  // Closing -> Closed, Stopping -> Stopped with This-Layer-Finished; false in any other state.
  bool finish_termination(FsmOutput& out);

  void on_configure_request(const ControlPacket& p, TimePoint now, FsmOutput& out);
  void on_configure_ack(const ControlPacket& p, TimePoint now, FsmOutput& out);
  void on_configure_nak_or_reject(const ControlPacket& p, bool reject, TimePoint now,
                                  FsmOutput& out);
  void on_terminate_request(const ControlPacket& p, TimePoint now, FsmOutput& out);
  void on_terminate_ack(TimePoint now, FsmOutput& out);

  Protocol protocol_;
  Negotiator* n_;
  FsmState state_ = FsmState::kInitial;
  int restart_counter_ = 0;
  // Configure-Naks sent since our last Configure-Ack: past kMaxFailure they become Rejects (1661
  // 4.6), so a peer that insists on a value we refuse cannot keep the link negotiating forever.
  int naks_sent_ = 0;
  TimePoint deadline_{};
  std::uint8_t next_id_ = 1;
  std::uint8_t request_id_ = 0;             // identifier of our outstanding Configure-Request
  std::vector<std::byte> request_options_;  // its options, to match the Ack against
  std::string finish_reason_;
};

}  // namespace tandem::ppp
