// ppp::AuthRequest to RADIUS access input, and back to a verdict.
#include "auth/radius_ppp.hpp"

#include <algorithm>

namespace tandem::auth {

Result<AccessRequestInput, std::string> access_input_from(const ppp::AuthRequest& request,
                                                          std::string calling_station_id) {
  AccessRequestInput in;
  in.user_name = request.username;
  in.calling_station_id = std::move(calling_station_id);
  switch (request.method) {
    case ppp::AuthMethod::kPap:
      in.credentials = PapCredentials{request.password};
      return in;
    case ppp::AuthMethod::kChapMd5: {
      ChapCredentials c;
      if (request.response.size() != c.response.size() || request.challenge.empty())
        return Err(std::string("CHAP-MD5 request without a 16-byte response and a challenge"));
      c.identifier = request.identifier;
      c.challenge = request.challenge;
      std::copy(request.response.begin(), request.response.end(), c.response.begin());
      in.credentials = std::move(c);
      return in;
    }
    case ppp::AuthMethod::kMsChapV2: {
      MsChapV2Credentials c;
      if (request.challenge.size() != c.authenticator_challenge.size() ||
          request.peer_challenge.size() != c.peer_challenge.size() ||
          request.response.size() != c.nt_response.size())
        return Err(
            std::string("MS-CHAPv2 request without 16-byte challenges and a 24-byte "
                        "NT-Response"));
      c.identifier = request.identifier;
      std::copy(request.challenge.begin(), request.challenge.end(),
                c.authenticator_challenge.begin());
      std::copy(request.peer_challenge.begin(), request.peer_challenge.end(),
                c.peer_challenge.begin());
      std::copy(request.response.begin(), request.response.end(), c.nt_response.begin());
      in.credentials = c;
      return in;
    }
    case ppp::AuthMethod::kNone:
      break;
  }
  return Err(std::string("no authentication method"));
}

ppp::AuthVerdict verdict_from(const AccessResult& result) {
  ppp::AuthVerdict v;
  v.accepted = result.outcome == AccessOutcome::kAccepted;
  if (v.accepted) {
    v.authenticator_response = result.ms_chap2_success;
    if (!result.reply_messages.empty()) v.message = result.reply_messages.front();
  } else {
    v.message = result.outcome == AccessOutcome::kFailed ? "authentication server unavailable"
                                                         : "Authentication failed";
  }
  return v;
}

}  // namespace tandem::auth
