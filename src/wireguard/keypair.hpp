// One transport session's keys (whitepaper section 5.4.5-5.4.6): send and receive keys, the
// indices both sides use to find it, the send counter and the receive replay window.
// Single-threaded: the device lock guards it.
#pragma once

#include <cstdint>

#include "base/time.hpp"
#include "wireguard/messages.hpp"
#include "wireguard/noise.hpp"
#include "wireguard/replay_window.hpp"

namespace tandem::wireguard {

struct Keypair {
  Key send_key;
  Key receive_key;
  std::uint32_t local_index = 0;
  std::uint32_t remote_index = 0;
  bool we_initiated = false;
  TimePoint created{};
  std::uint64_t next_send_counter = 0;
  ReplayWindow replay;

  bool can_send(TimePoint now) const {
    return next_send_counter < kRejectAfterMessages && now - created < kRejectAfterTime;
  }
  bool can_receive(TimePoint now) const { return now - created < kRejectAfterTime; }
};

}  // namespace tandem::wireguard
