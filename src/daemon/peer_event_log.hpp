// How the daemon reports what a WireGuard device did: one log line per event, naming the peer by
// its configured name ([[peer]] name; else the first 8 characters of its base64 public key, as
// `wg` abbreviates). Refused handshakes are rate limited per peer, or per source address when
// no peer is known, so a flood of bad initiations cannot fill the log. Not thread-safe: the
// interface calls it under its device lock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/time.hpp"
#include "wireguard/device.hpp"

namespace tandem::daemon {

class PeerEventLog {
 public:
  static constexpr Duration kRefusalInterval = std::chrono::seconds(5);
  // Beyond this many rate-limit entries, those older than kRefusalInterval are forgotten.
  static constexpr std::size_t kMaxTrackedSources = 1024;

  struct Line {
    bool warning = false;
    std::string text;
  };

  void set_name(const wireguard::PublicKey& key, std::string name);
  // The configured name, else the key's first 8 base64 characters.
  std::string name_of(const wireguard::PublicKey& key) const;
  // What `wg` shows for a key it has no name for: its first 8 base64 characters.
  static std::string abbreviate(const wireguard::PublicKey& key);

  // The line to log for `event`, or nullopt when a refusal falls inside the rate limit.
  // `peer_key` is the public key of event.peer (absent for events without a peer).
  std::optional<Line> describe(const wireguard::DeviceEvent& event,
                               const std::optional<wireguard::PublicKey>& peer_key, TimePoint now);

 private:
  struct Limit {
    TimePoint last_logged;
    std::uint64_t suppressed = 0;
  };
  // True when a line for `source` may be logged now; `suppressed` gets how many were not since.
  bool allow(const std::string& source, TimePoint now, std::uint64_t& suppressed);

  std::map<wireguard::PublicKey, std::string> names_;
  std::unordered_map<std::string, Limit> limits_;
  TimePoint last_sweep_{};
};

}  // namespace tandem::daemon
