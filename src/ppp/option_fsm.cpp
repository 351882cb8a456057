// RFC 1661 section 4: the state transition table, event by event.
#include "ppp/option_fsm.hpp"

#include <algorithm>

namespace tandem::ppp {

using S = FsmState;

const char* fsm_state_name(FsmState s) {
  switch (s) {
    case S::kInitial:
      return "Initial";
    case S::kStarting:
      return "Starting";
    case S::kClosed:
      return "Closed";
    case S::kStopped:
      return "Stopped";
    case S::kClosing:
      return "Closing";
    case S::kStopping:
      return "Stopping";
    case S::kReqSent:
      return "Req-Sent";
    case S::kAckRcvd:
      return "Ack-Rcvd";
    case S::kAckSent:
      return "Ack-Sent";
    case S::kOpened:
      return "Opened";
  }
  return "?";
}

Negotiator::Verdict settle_verdict(std::vector<std::byte>& nak, std::vector<std::byte>& reject,
                                   std::vector<std::byte>& reply) {
  if (!reject.empty()) {
    reply = std::move(reject);
    return Negotiator::Verdict::kReject;
  }
  if (!nak.empty()) {
    reply = std::move(nak);
    return Negotiator::Verdict::kNak;
  }
  return Negotiator::Verdict::kAck;
}

bool OptionFsm::timer_running() const {
  return state_ == S::kClosing || state_ == S::kStopping || state_ == S::kReqSent ||
         state_ == S::kAckRcvd || state_ == S::kAckSent;
}

void OptionFsm::send(Code code, std::uint8_t id, ByteView data, FsmOutput& out) {
  out.frames.push_back(build_control_frame(protocol_, static_cast<std::uint8_t>(code), id, data));
}

void OptionFsm::scr(TimePoint now, FsmOutput& out) {
  request_options_ = n_->request();
  request_id_ = next_id_++;
  send(Code::kConfigureRequest, request_id_, request_options_, out);
  --restart_counter_;
  deadline_ = now + kRestartTimer;
}

void OptionFsm::str(std::string_view reason, TimePoint now, FsmOutput& out) {
  send(Code::kTerminateRequest, next_id_++, as_bytes(reason), out);
  --restart_counter_;
  deadline_ = now + kRestartTimer;
}

void OptionFsm::tlf(std::string_view reason, FsmOutput& out) {
  finish_reason_ = std::string(reason);
  signal(LayerSignal::kFinished, out);
}

void OptionFsm::up(TimePoint now, FsmOutput& out) {
  if (state_ == S::kInitial) {
    state_ = S::kClosed;
  } else if (state_ == S::kStarting) {
    n_->reset();
    irc(true);
    scr(now, out);
    state_ = S::kReqSent;
  }
}

void OptionFsm::down(FsmOutput& out) {
  switch (state_) {
    case S::kClosed:
    case S::kClosing:
      state_ = S::kInitial;
      break;
    case S::kStopped:
      signal(LayerSignal::kStarted, out);
      state_ = S::kStarting;
      break;
    case S::kOpened:
      signal(LayerSignal::kDown, out);
      state_ = S::kStarting;
      break;
    case S::kStopping:
    case S::kReqSent:
    case S::kAckRcvd:
    case S::kAckSent:
      state_ = S::kStarting;
      break;
    default:
      break;
  }
}

void OptionFsm::open(TimePoint now, FsmOutput& out) {
  switch (state_) {
    case S::kInitial:
      signal(LayerSignal::kStarted, out);
      state_ = S::kStarting;
      break;
    case S::kClosed:
      n_->reset();
      irc(true);
      scr(now, out);
      state_ = S::kReqSent;
      break;
    case S::kClosing:
      state_ = S::kStopping;
      break;
    default:
      break;
  }
}

void OptionFsm::close(std::string_view reason, TimePoint now, FsmOutput& out) {
  switch (state_) {
    case S::kStarting:
      tlf(reason, out);
      state_ = S::kInitial;
      break;
    case S::kStopped:
      state_ = S::kClosed;
      break;
    case S::kStopping:
      state_ = S::kClosing;
      break;
    case S::kOpened:
      signal(LayerSignal::kDown, out);
      [[fallthrough]];
    case S::kReqSent:
    case S::kAckRcvd:
    case S::kAckSent:
      finish_reason_ = std::string(reason);
      irc(false);
      str(reason, now, out);
      state_ = S::kClosing;
      break;
    default:
      break;
  }
}

void OptionFsm::on_timer(TimePoint now, FsmOutput& out) {
  if (!timer_running() || now < deadline_) return;
  if (restart_counter_ > 0) {  // TO+
    switch (state_) {
      case S::kClosing:
      case S::kStopping:
        str(finish_reason_, now, out);
        break;
      case S::kAckRcvd:
      case S::kReqSent:
        scr(now, out);
        state_ = S::kReqSent;
        break;
      case S::kAckSent:
        scr(now, out);
        break;
      default:
        break;
    }
    return;
  }
  // TO-: the peer stopped answering.
  if (finish_termination(out)) return;
  tlf("peer did not answer Configure-Request", out);
  state_ = S::kStopped;
}

bool OptionFsm::finish_termination(FsmOutput& out) {
  if (state_ != S::kClosing && state_ != S::kStopping) return false;
  tlf(finish_reason_, out);
  state_ = state_ == S::kClosing ? S::kClosed : S::kStopped;
  return true;
}

void OptionFsm::receive(const ControlPacket& p, TimePoint now, FsmOutput& out) {
  if (state_ == S::kInitial || state_ == S::kStarting) return;  // 1661: should not happen
  switch (static_cast<Code>(p.code)) {
    case Code::kConfigureRequest:
      return on_configure_request(p, now, out);
    case Code::kConfigureAck:
      return on_configure_ack(p, now, out);
    case Code::kConfigureNak:
      return on_configure_nak_or_reject(p, false, now, out);
    case Code::kConfigureReject:
      return on_configure_nak_or_reject(p, true, now, out);
    case Code::kTerminateRequest:
      return on_terminate_request(p, now, out);
    case Code::kTerminateAck:
      return on_terminate_ack(now, out);
    case Code::kCodeReject:
      // Treated as RXJ+ (a code we can do without): we only send codes 1-11, and a peer that
      // rejects one of those fails negotiation through the restart timer anyway.
      if (state_ == S::kAckRcvd) state_ = S::kReqSent;
      return;
    default: {
      // RUC: echo the whole unknown packet back in a Code-Reject.
      std::vector<std::byte> rejected(kControlHeaderSize + p.data.size());
      rejected[0] = std::byte{p.code};
      rejected[1] = std::byte{p.identifier};
      store_be16(rejected.data() + 2, static_cast<std::uint16_t>(rejected.size()));
      std::copy(p.data.begin(), p.data.end(), rejected.begin() + kControlHeaderSize);
      send(Code::kCodeReject, next_id_++, rejected, out);
      return;
    }
  }
}

void OptionFsm::on_configure_request(const ControlPacket& p, TimePoint now, FsmOutput& out) {
  if (state_ == S::kClosed) {
    send(Code::kTerminateAck, p.identifier, {}, out);
    return;
  }
  if (state_ == S::kClosing || state_ == S::kStopping) return;
  // Renegotiation starts from scratch, before the request is judged: what check() learns about
  // the peer must survive.
  if (state_ == S::kOpened || state_ == S::kStopped) {
    if (state_ == S::kOpened) signal(LayerSignal::kDown, out);
    n_->reset();
    irc(true);
    scr(now, out);
  }
  auto options = parse_options(p.data);
  std::vector<std::byte> reply;
  Negotiator::Verdict verdict = Negotiator::Verdict::kReject;
  if (options) {
    verdict = n_->check(*options, reply);
  } else {
    reply.assign(p.data.begin(), p.data.end());  // malformed: reject the lot
  }
  if (verdict == Negotiator::Verdict::kNak && options) {
    if (naks_sent_ >= kMaxFailure) {
      // Not converging: reject, verbatim, the options we kept Nak-ing.
      const auto naked = parse_options(reply);
      std::vector<std::byte> reject;
      for (const auto& o : *options)
        if (naked && std::any_of(naked->begin(), naked->end(),
                                 [&](const Option& n) { return n.type == o.type; }))
          append_option(reject, o.type, o.value);
      // A Nak that only suggested options the peer never sent has nothing to reject.
      if (!reject.empty()) {
        reply = std::move(reject);
        verdict = Negotiator::Verdict::kReject;
      }
    } else {
      ++naks_sent_;
    }
  }
  const bool good = verdict == Negotiator::Verdict::kAck;
  if (good) naks_sent_ = 0;
  if (good) {
    send(Code::kConfigureAck, p.identifier, p.data, out);
  } else {
    send(verdict == Negotiator::Verdict::kNak ? Code::kConfigureNak : Code::kConfigureReject,
         p.identifier, reply, out);
  }
  switch (state_) {
    case S::kStopped:
    case S::kOpened:
    case S::kReqSent:
    case S::kAckSent:
      state_ = good ? S::kAckSent : S::kReqSent;
      break;
    case S::kAckRcvd:
      if (good) {
        state_ = S::kOpened;
        signal(LayerSignal::kUp, out);
      }
      break;
    default:
      break;
  }
}

void OptionFsm::on_configure_ack(const ControlPacket& p, TimePoint now, FsmOutput& out) {
  // 5.2: the Ack must answer our last request and repeat its options exactly.
  if (p.identifier != request_id_ ||
      !std::equal(p.data.begin(), p.data.end(), request_options_.begin(), request_options_.end()))
    return;
  switch (state_) {
    case S::kClosed:
    case S::kStopped:
      send(Code::kTerminateAck, p.identifier, {}, out);
      break;
    case S::kReqSent:
      if (auto o = parse_options(p.data)) n_->acked(*o);
      irc(true);
      state_ = S::kAckRcvd;
      break;
    case S::kAckRcvd:  // a crossed connection: start over
      scr(now, out);
      state_ = S::kReqSent;
      break;
    case S::kAckSent:
      if (auto o = parse_options(p.data)) n_->acked(*o);
      irc(true);
      state_ = S::kOpened;
      signal(LayerSignal::kUp, out);
      break;
    case S::kOpened:
      signal(LayerSignal::kDown, out);
      n_->reset();
      scr(now, out);
      state_ = S::kReqSent;
      break;
    default:
      break;
  }
}

void OptionFsm::on_configure_nak_or_reject(const ControlPacket& p, bool reject, TimePoint now,
                                           FsmOutput& out) {
  if (p.identifier != request_id_) return;
  auto options = parse_options(p.data);
  if (!options) return;
  switch (state_) {
    case S::kClosed:
    case S::kStopped:
      send(Code::kTerminateAck, p.identifier, {}, out);
      return;
    case S::kOpened:
      signal(LayerSignal::kDown, out);
      break;
    case S::kReqSent:
    case S::kAckSent:
    case S::kAckRcvd:
      break;
    default:
      return;
  }
  if (reject) {
    n_->rejected(*options);
  } else {
    n_->naked(*options);
  }
  if (state_ == S::kReqSent || state_ == S::kAckSent) irc(true);
  scr(now, out);
  if (state_ != S::kAckSent) state_ = S::kReqSent;
}

void OptionFsm::on_terminate_request(const ControlPacket& p, TimePoint now, FsmOutput& out) {
  send(Code::kTerminateAck, p.identifier, {}, out);
  switch (state_) {
    case S::kAckRcvd:
    case S::kAckSent:
      state_ = S::kReqSent;
      break;
    case S::kOpened:
      signal(LayerSignal::kDown, out);
      finish_reason_ = "peer sent Terminate-Request";
      restart_counter_ = 0;  // zrc: wait one restart period, then finish
      deadline_ = now + kRestartTimer;
      state_ = S::kStopping;
      break;
    default:
      break;
  }
}

void OptionFsm::on_terminate_ack(TimePoint now, FsmOutput& out) {
  if (finish_termination(out)) return;
  switch (state_) {
    case S::kAckRcvd:
      state_ = S::kReqSent;
      break;
    case S::kOpened:
      signal(LayerSignal::kDown, out);
      scr(now, out);
      state_ = S::kReqSent;
      break;
    default:
      break;
  }
}

}  // namespace tandem::ppp
