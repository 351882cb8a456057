// From PPP to RADIUS: what a PPP peer presented (ppp::AuthRequest) as the input of an
// Access-Request (PAP as User-Password, CHAP-MD5 as CHAP-Password and CHAP-Challenge, RFC 2865
// 5.2-5.3 and 5.40; MS-CHAPv2 as MS-CHAP-Challenge and MS-CHAP2-Response, RFC 2548 2.3.2), and
// the engine's answer as the PPP authenticator's verdict.
#pragma once

#include <string>

#include "auth/radius_client.hpp"
#include "base/result.hpp"
#include "ppp/auth.hpp"

namespace tandem::auth {

// An error (for logs) when the request lacks what its method needs: a CHAP response of 16 bytes,
// MS-CHAPv2 challenges of 16 and an NT-Response of 24.
Result<AccessRequestInput, std::string> access_input_from(const ppp::AuthRequest& request,
                                                          std::string calling_station_id = "");

// Accepted: the MS-CHAP2-Success string as the authenticator response; otherwise the reason.
ppp::AuthVerdict verdict_from(const AccessResult& result);

}  // namespace tandem::auth
