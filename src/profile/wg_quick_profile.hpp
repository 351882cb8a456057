// A wg-quick(8) .conf for one account: what the WireGuard apps (Android, iOS, macOS, Windows) and
// wg-quick import, and what the QR code carries. Nothing but the settings: the apps read the
// text as it stands, and a QR code of it stays as small as it can.
#pragma once

#include <string>

#include "base/result.hpp"
#include "profile/profile_input.hpp"

namespace tandem::profile {

// [Interface] PrivateKey, Address (each a /32 or /128), DNS (servers then search domains) when
// there are any, MTU when set; [Peer] PublicKey, PresharedKey when there is one, Endpoint,
// AllowedIPs (the routes), PersistentKeepalive when not 0. Refused without a private key or an
// address, or when check_profile_input refuses the input.
Result<std::string, std::string> render_wg_quick(const ProfileInput& input);

}  // namespace tandem::profile
