// The ICMP echoes an IcmpEchoProber's search asks for now, built as inner packets into a batch
// (marked Packet::mtu_probe) for an interface to seal: what a plain WireGuard interface sends its
// peers and a hybrid gateway its road warriors.
#pragma once

#include <cstddef>
#include <vector>

#include "base/time.hpp"
#include "hybrid/icmp_echo_prober.hpp"
#include "io/packet_batch.hpp"

namespace tandem::daemon {

// Appends the probes due at `now` to `probes`, each leaving `tailroom` bytes behind it in its
// slot for what sealing adds; those that do not fit the batch count as unanswered and go again.
// `scratch` is the caller's, to save an allocation per call.
void append_echo_probes(hybrid::IcmpEchoProber& echo, TimePoint now, std::size_t tailroom,
                        io::PacketBatch& probes, std::vector<hybrid::PmtuSearch::Probe>& scratch);

}  // namespace tandem::daemon
