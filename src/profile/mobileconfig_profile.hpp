// An Apple configuration profile (.mobileconfig) for macOS and iOS: one com.apple.vpn.managed
// payload for L2TP/IPsec (IPSec SharedSecret, PPP AuthName and AuthPassword) and, when the
// gateway serves the account over IKEv2, one more for IKEv2 with its pre-shared key. An XML
// property list (Apple's PropertyList-1.0 DTD), unsigned: the device asks before installing it.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"
#include "base/rng.hpp"
#include "profile/profile_input.hpp"

namespace tandem::profile {

// PayloadUUIDs are random version 4 UUIDs from rng; PayloadIdentifiers are reverse-DNS names
// under the endpoint's domain (payload_identifier). Refused when the account has neither an
// L2TP login with an IPsec pre-shared key nor an IKEv2 login.
Result<std::string, std::string> render_mobileconfig(const ProfileInput& input, Rng& rng);

// The profile's PayloadIdentifier: the endpoint's name reversed ("vpn.example.org" gives
// "org.example.vpn"), or "tandem.<address>" for an IP literal, then ".tandem.<account>" with
// every character other than letters, digits and '-' of the account turned into '-'. A device
// replaces an installed profile with the same identifier.
std::string payload_identifier(const ProfileInput& input);

// A random UUID, version 4 (RFC 9562), in upper case as Apple writes them.
std::string random_uuid(Rng& rng);

// Text as XML character data: &, <, >, " and ' as entities, characters XML 1.0 forbids dropped.
std::string xml_escape(std::string_view text);

}  // namespace tandem::profile
