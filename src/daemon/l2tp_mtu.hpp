// The MTU of an L2TP session (its device's MTU and PPP's MRU) when [l2tp] names none: the MTU
// budget (hybrid/mtu_budget.hpp) of L2TP/IPsec, or of plain L2TP, over the underlay, for the
// costliest ESP suite the section allows, as wireguard_device_mtu() sizes a WireGuard device.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/ip_address.hpp"
#include "control/l2tp_config.hpp"
#include "hybrid/mtu_budget.hpp"
#include "ipsec/ike/v1/proposal.hpp"

namespace tandem::daemon {

// What an L2TP gateway sizes its device for: its clients' paths are not known before they dial
// (and differ between them), so it takes the common Internet path, Ethernet's 1500 bytes.
inline constexpr std::size_t kAssumedUnderlayMtu = 1500;

// The budget's name for an IKEv1 ESP suite. 3DES with HMAC-SHA-256 has none of its own: it is
// counted as AES-CBC with HMAC-SHA-256, whose IV, block and ICV are each at least as large.
hybrid::EspSuite esp_suite_of(const ipsec::ike::v1::Phase2Suite& suite);

// The suites [l2tp.ipsec] may end up with: its esp_proposals, or else the defaults it offers
// and accepts (ipsec/ike/v1/config.hpp).
std::vector<hybrid::EspSuite> allowed_esp_suites(const control::L2tpIpsecConfig& ipsec);

// Of `suites` (at least one), the one leaving the smallest inner MTU for `kind` over an IPv4
// underlay of `underlay` bytes, ESP in UDP 4500.
hybrid::EspSuite costliest_esp_suite(std::span<const hybrid::EspSuite> suites,
                                     hybrid::StackKind kind, std::size_t underlay);

// An L2TP session's MTU over an underlay of `underlay` bytes (whose outermost header is of
// `family`): with [l2tp.ipsec], L2TP/IPsec with the costliest suite it allows and ESP in UDP 4500
// (what a client forces, and the larger framing either way); without, plain L2TP. 0 when the
// stack does not fit (or IPsec over IPv6). `why` says how it was reached.
std::size_t l2tp_mtu_over(const control::L2tpConfig& config, std::size_t underlay,
                          IpAddress::Family family, std::string* why = nullptr);

// The MTU of [l2tp]'s device and PPP's MRU: its mtu when the file gives one; a client's, the
// budget over the kernel's path MTU to `server` (l2tp_mtu_over); a gateway's, or a client's
// with no route to its server now (or whose server is a name not resolved yet, `server` empty),
// the budget over kAssumedUnderlayMtu. Kept within what the file's mtu may be (1280 to 9000).
// `why` says which, for the log and `tandem check`.
unsigned l2tp_device_mtu(const control::L2tpConfig& config, const std::optional<Endpoint>& server,
                         std::string* why = nullptr);

}  // namespace tandem::daemon
