// IKE and ESP proposals as operators write them, in the strongSwan notation most of them know:
// "aes256-sha256-modp2048" for an IKEv1 phase 1 suite (cipher, hash, Diffie-Hellman group) and
// "aes256gcm16", "aes128-sha1" or "aes256-sha256-modp2048" (with a PFS group) for ESP. Weak
// choices are named for what they are: MODP 1024 is accepted here, and refused later unless
// allow_modp1024 is set; "3des-sha1" is refused by the section unless it allows 3DES.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"
#include "ipsec/ike/v1/proposal.hpp"

namespace tandem::control {

Result<ipsec::ike::v1::Phase1Suite, std::string> parse_ikev1_proposal(std::string_view text);
Result<ipsec::ike::v1::Phase2Suite, std::string> parse_esp_proposal(std::string_view text);

}  // namespace tandem::control
