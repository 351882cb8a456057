// A PowerShell script that sets up Windows' built-in L2TP/IPsec client for one account:
// Add-VpnConnection (IKEv1 with the pre-shared key, MS-CHAPv2, encryption required), the split
// routes, the login saved by one dial, and the registry value Windows needs before it speaks
// IPsec to a server behind NAT. Every value is a single-quoted PowerShell string.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"
#include "profile/profile_input.hpp"

namespace tandem::profile {

// The script, UTF-8 with a byte order mark (Windows PowerShell 5.1 reads a file without one in
// the ANSI code page). Run as `powershell -ExecutionPolicy Bypass -File NAME.ps1 [-BehindNat]`.
// Refused without an L2TP login with an IPsec pre-shared key: Windows dials L2TP without IPsec
// only after a registry change of its own.
Result<std::string, std::string> render_powershell(const ProfileInput& input);

// 'text' with every quote PowerShell ends a single-quoted string at (' and the typographic
// U+2018 to U+201B) doubled.
std::string powershell_quote(std::string_view text);

}  // namespace tandem::profile
