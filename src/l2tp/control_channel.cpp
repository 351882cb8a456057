// RFC 2661 section 5.8 reliable delivery.
#include "l2tp/control_channel.hpp"

#include <algorithm>

namespace tandem::l2tp {

void ControlChannel::send(std::uint16_t session_id, std::vector<std::byte> body, TimePoint now,
                          std::vector<std::vector<std::byte>>& out) {
  Outstanding m;
  m.ns = next_ns_++;
  m.session_id = session_id;
  m.body = std::move(body);
  waiting_.push_back(std::move(m));
  send_allowed(now, out);
}

void ControlChannel::send_allowed(TimePoint now, std::vector<std::vector<std::byte>>& out) {
  while (!waiting_.empty() && unacked_.size() < peer_window_) {
    Outstanding m = std::move(waiting_.front());
    waiting_.pop_front();
    m.timeout = config_.initial_timeout;
    m.deadline = now + m.timeout;
    transmit(m, out);
    ++stats_.sent;
    unacked_.push_back(std::move(m));
  }
}

void ControlChannel::transmit(Outstanding& m, std::vector<std::vector<std::byte>>& out) {
  std::vector<std::byte> datagram(kControlHeaderSize + m.body.size());
  // Every transmission, first or repeated, carries the current Nr (5.8 allows the update).
  write_control_header(datagram.data(), datagram.size(), peer_tunnel_id_, m.session_id, m.ns,
                       expected_ns_);
  std::copy(m.body.begin(), m.body.end(), datagram.begin() + kControlHeaderSize);
  out.push_back(std::move(datagram));
  ack_owed_ = false;
}

void ControlChannel::process_ack(std::uint16_t nr) {
  // Nr may acknowledge at most what we have sent; anything beyond is a confused or forged peer.
  if (sequence_before(first_unsent_ns(), nr)) {
    ++stats_.bad_ack;
    return;
  }
  while (!unacked_.empty() && sequence_before(unacked_.front().ns, nr)) unacked_.pop_front();
}

void ControlChannel::on_receive(const Header& header, TimePoint now,
                                std::vector<DeliveredMessage>& deliver,
                                std::vector<std::vector<std::byte>>& out) {
  process_ack(header.nr);
  if (!header.payload.empty()) {
    const std::uint16_t ns = header.ns;
    if (sequence_before(ns, expected_ns_)) {
      // Our acknowledgement was lost: acknowledge again so the peer stops retransmitting.
      ++stats_.duplicates;
      ack_owed_ = true;
    } else {
      const auto ahead = static_cast<std::uint16_t>(ns - expected_ns_);
      if (ahead >= config_.receive_window) {
        ++stats_.outside_window;
      } else if (ahead > 0) {
        if (reorder_.emplace(ns, DeliveredMessage{header.session_id, {}}).second) {
          reorder_[ns].body.assign(header.payload.begin(), header.payload.end());
          ++stats_.reordered;
        }
      } else {
        deliver.push_back({header.session_id, {header.payload.begin(), header.payload.end()}});
        ++expected_ns_;
        ack_owed_ = true;
        for (auto it = reorder_.find(expected_ns_); it != reorder_.end();
             it = reorder_.find(expected_ns_)) {
          deliver.push_back(std::move(it->second));
          reorder_.erase(it);
          ++expected_ns_;
        }
      }
    }
  }
  send_allowed(now, out);
}

void ControlChannel::flush_ack(std::vector<std::vector<std::byte>>& out) {
  if (!ack_owed_) return;
  // A ZLB carries the Ns of the next new message without consuming it (5.8).
  std::vector<std::byte> zlb(kControlHeaderSize);
  write_control_header(zlb.data(), zlb.size(), peer_tunnel_id_, 0, first_unsent_ns(), expected_ns_);
  out.push_back(std::move(zlb));
  ++stats_.zlb_sent;
  ack_owed_ = false;
}

bool ControlChannel::on_timer(TimePoint now, std::vector<std::vector<std::byte>>& out) {
  for (auto& m : unacked_) {
    if (m.deadline > now) continue;
    if (m.retransmissions >= config_.max_retransmissions) return false;
    ++m.retransmissions;
    ++stats_.retransmitted;
    m.timeout = std::min(m.timeout * 2, config_.max_timeout);
    m.deadline = now + m.timeout;
    transmit(m, out);
  }
  return true;
}

TimePoint ControlChannel::next_deadline() const {
  TimePoint next = TimePoint::max();
  for (const auto& m : unacked_) next = std::min(next, m.deadline);
  return next;
}

}  // namespace tandem::l2tp
