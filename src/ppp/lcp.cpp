// RFC 1661 section 6 options; RFC 1994 and RFC 2759 for the CHAP algorithm byte.
#include "ppp/lcp.hpp"

#include <algorithm>

namespace tandem::ppp {

const char* auth_method_name(AuthMethod m) {
  switch (m) {
    case AuthMethod::kNone:
      return "none";
    case AuthMethod::kPap:
      return "PAP";
    case AuthMethod::kChapMd5:
      return "CHAP-MD5";
    case AuthMethod::kMsChapV2:
      return "MS-CHAPv2";
  }
  return "?";
}

std::vector<std::byte> auth_option_value(AuthMethod m) {
  std::vector<std::byte> v(2);
  switch (m) {
    case AuthMethod::kPap:
      store_be16(v.data(), static_cast<std::uint16_t>(Protocol::kPap));
      break;
    case AuthMethod::kChapMd5:
    case AuthMethod::kMsChapV2:
      store_be16(v.data(), static_cast<std::uint16_t>(Protocol::kChap));
      v.push_back(std::byte{m == AuthMethod::kChapMd5 ? kChapAlgorithmMd5 : kChapAlgorithmMsV2});
      break;
    case AuthMethod::kNone:
      v.clear();
      break;
  }
  return v;
}

std::optional<AuthMethod> parse_auth_option(ByteView value) {
  if (value.size() < 2) return std::nullopt;
  const auto protocol = load_be16(value.data());
  if (protocol == static_cast<std::uint16_t>(Protocol::kPap) && value.size() == 2)
    return AuthMethod::kPap;
  if (protocol == static_cast<std::uint16_t>(Protocol::kChap) && value.size() == 3) {
    if (value[2] == std::byte{kChapAlgorithmMd5}) return AuthMethod::kChapMd5;
    if (value[2] == std::byte{kChapAlgorithmMsV2}) return AuthMethod::kMsChapV2;
  }
  return std::nullopt;
}

std::uint32_t LcpNegotiator::new_magic() {
  std::uint32_t m = 0;
  while (m == 0) m = rng_->next_u32();  // zero means "no magic" (6.4)
  return m;
}

void LcpNegotiator::reset() {
  demand_index_ = 0;
  send_magic_ = true;
  send_mru_ = our_mru_ != kDefaultMru;
  our_magic_ = new_magic();
  peer_magic_ = 0;
  peer_mru_ = kDefaultMru;
  peer_auth_ = AuthMethod::kNone;
}

std::vector<std::byte> LcpNegotiator::request() {
  std::vector<std::byte> out;
  if (send_mru_) append_option_u16(out, static_cast<std::uint8_t>(LcpOption::kMru), our_mru_);
  if (demand_index_ < demand_.size())
    append_option(out, static_cast<std::uint8_t>(LcpOption::kAuthProtocol),
                  auth_option_value(demand_[demand_index_]));
  if (send_magic_)
    append_option_u32(out, static_cast<std::uint8_t>(LcpOption::kMagicNumber), our_magic_);
  return out;
}

Negotiator::Verdict LcpNegotiator::check(const std::vector<Option>& options,
                                         std::vector<std::byte>& reply) {
  std::vector<std::byte> nak, reject;
  for (const auto& o : options) {
    switch (static_cast<LcpOption>(o.type)) {
      case LcpOption::kMru:
        if (o.value.size() != 2) {
          append_option(reject, o.type, o.value);
        } else if (load_be16(o.value.data()) < kMinimumMru / 4) {
          // Absurdly small: suggest the minimum every implementation handles.
          append_option_u16(nak, o.type, kMinimumMru);
        }
        break;
      case LcpOption::kAccm:
        // Only asynchronous HDLC framing uses it (RFC 1662 section 7.1): harmless over L2TP.
        if (o.value.size() != 4) append_option(reject, o.type, o.value);
        break;
      case LcpOption::kAuthProtocol: {
        const auto m = parse_auth_option(o.value);
        if (!m || std::find(allow_.begin(), allow_.end(), *m) == allow_.end()) {
          if (allow_.empty()) {
            append_option(reject, o.type, o.value);
          } else {
            append_option(nak, o.type, auth_option_value(allow_.front()));
          }
        }
        break;
      }
      case LcpOption::kMagicNumber:
        if (o.value.size() != 4) {
          append_option(reject, o.type, o.value);
        } else if (load_be32(o.value.data()) == our_magic_ && our_magic_ != 0) {
          // Possibly a looped-back link (6.4): suggest another number.
          append_option_u32(nak, o.type, new_magic());
        }
        break;
      default:
        append_option(reject, o.type, o.value);
        break;
    }
  }
  if (const auto v = settle_verdict(nak, reject, reply); v != Verdict::kAck) return v;
  // Acceptable: remember what the peer asked of us.
  for (const auto& o : options) {
    if (o.type == static_cast<std::uint8_t>(LcpOption::kMru)) peer_mru_ = load_be16(o.value.data());
    if (o.type == static_cast<std::uint8_t>(LcpOption::kMagicNumber))
      peer_magic_ = load_be32(o.value.data());
    if (o.type == static_cast<std::uint8_t>(LcpOption::kAuthProtocol))
      peer_auth_ = *parse_auth_option(o.value);
  }
  return Verdict::kAck;
}

void LcpNegotiator::naked(const std::vector<Option>& options) {
  for (const auto& o : options) {
    switch (static_cast<LcpOption>(o.type)) {
      case LcpOption::kMru:
        if (o.value.size() == 2) our_mru_ = std::max(load_be16(o.value.data()), kMinimumMru);
        send_mru_ = true;
        break;
      case LcpOption::kMagicNumber:
        our_magic_ = new_magic();
        break;
      case LcpOption::kAuthProtocol: {
        // Take the peer's suggestion if we allow it, else try our next method.
        const auto suggested = parse_auth_option(o.value);
        const auto it =
            suggested ? std::find(demand_.begin(), demand_.end(), *suggested) : demand_.end();
        if (it != demand_.end() && static_cast<std::size_t>(it - demand_.begin()) > demand_index_) {
          demand_index_ = static_cast<std::size_t>(it - demand_.begin());
        } else {
          ++demand_index_;
        }
        break;
      }
      default:
        break;
    }
  }
}

void LcpNegotiator::rejected(const std::vector<Option>& options) {
  for (const auto& o : options) {
    switch (static_cast<LcpOption>(o.type)) {
      case LcpOption::kMru:
        send_mru_ = false;
        break;
      case LcpOption::kMagicNumber:
        send_magic_ = false;
        our_magic_ = 0;
        break;
      case LcpOption::kAuthProtocol:
        demand_index_ = demand_.size();
        break;
      default:
        break;
    }
  }
}

}  // namespace tandem::ppp
