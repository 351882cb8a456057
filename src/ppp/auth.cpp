// RFC 1334 section 2 (PAP), RFC 1994 section 4 (CHAP) and RFC 2759 sections 4-6 (MS-CHAPv2).
#include "ppp/auth.hpp"

#include "crypto/mschap.hpp"

namespace tandem::ppp {
namespace {

constexpr std::size_t kChallengeSize = 16;
constexpr std::size_t kMsChapResponseSize = 49;  // peer challenge, 8 reserved, NT-Response, flags
constexpr int kMaxAuthTransmissions = kMaxConfigure;

std::string text_of(ByteView v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}

void append_text(std::vector<std::byte>& out, std::string_view s) {
  const auto b = as_bytes(s);
  out.insert(out.end(), b.begin(), b.end());
}

// "Value-Size, Value, Name" of a CHAP Challenge or Response.
struct ChapValue {
  ByteView value;
  std::string name;
};
std::optional<ChapValue> parse_chap_value(ByteView data) {
  if (data.empty()) return std::nullopt;
  const std::size_t size = std::to_integer<std::size_t>(data[0]);
  if (size == 0 || 1 + size > data.size()) return std::nullopt;
  return ChapValue{data.subspan(1, size), text_of(data.subspan(1 + size))};
}

std::vector<std::byte> chap_value(ByteView value, std::string_view name) {
  // Sized once: GCC 12 misreads push_back followed by insert as an overflow (-Warray-bounds).
  std::vector<std::byte> out(1 + value.size() + name.size());
  out[0] = static_cast<std::byte>(value.size());
  std::copy(value.begin(), value.end(), out.begin() + 1);
  const auto n = as_bytes(name);
  std::copy(n.begin(), n.end(), out.begin() + 1 + static_cast<std::ptrdiff_t>(value.size()));
  return out;
}

std::string hex_upper(ByteView v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string s;
  for (auto b : v) {
    s.push_back(kHex[std::to_integer<unsigned>(b) >> 4]);
    s.push_back(kHex[std::to_integer<unsigned>(b) & 0xf]);
  }
  return s;
}

}  // namespace

// --- Authenticator ---

void Authenticator::start(AuthMethod method, TimePoint now, AuthOutput& out) {
  method_ = method;
  retries_ = 0;
  if (method == AuthMethod::kPap) {
    // PAP: the peer speaks first; give it the whole retry budget to do so.
    waiting_ = true;
    deadline_ = now + kRestartTimer * kMaxAuthTransmissions;
    return;
  }
  challenge_.resize(kChallengeSize);
  send_challenge(now, out);
}

void Authenticator::send_challenge(TimePoint now, AuthOutput& out) {
  ++id_;
  rng_->fill(challenge_);
  out.frames.push_back(build_control_frame(Protocol::kChap,
                                           static_cast<std::uint8_t>(ChapCode::kChallenge), id_,
                                           chap_value(challenge_, name_)));
  ++retries_;
  waiting_ = true;
  deadline_ = now + kRestartTimer;
}

void Authenticator::fail(std::string why, AuthOutput& out) {
  waiting_ = false;
  deciding_ = false;
  done_ = true;
  out.finished = false;
  out.detail = std::move(why);
}

void Authenticator::on_timer(TimePoint now, AuthOutput& out) {
  if (!waiting_ || now < deadline_) return;
  if (method_ == AuthMethod::kPap || retries_ >= kMaxAuthTransmissions) {
    fail("peer did not authenticate in time", out);
    return;
  }
  send_challenge(now, out);
}

void Authenticator::receive(Protocol protocol, const ControlPacket& p, AuthOutput& out) {
  const bool repeated =
      (protocol == Protocol::kPap && p.code == static_cast<std::uint8_t>(PapCode::kRequest)) ||
      (protocol == Protocol::kChap && p.code == static_cast<std::uint8_t>(ChapCode::kResponse) &&
       p.identifier == id_);
  if (done_ && repeated && !last_verdict_.empty()) {
    out.frames.push_back(last_verdict_);
    return;
  }
  if (done_ || deciding_) return;  // retransmissions while we decide are ignored
  AuthRequest request;
  request.method = method_;
  if (method_ == AuthMethod::kPap && protocol == Protocol::kPap &&
      p.code == static_cast<std::uint8_t>(PapCode::kRequest)) {
    const ByteView d = p.data;
    if (d.empty()) return;
    const std::size_t id_len = std::to_integer<std::size_t>(d[0]);
    if (1 + id_len >= d.size()) return;  // the password length byte must follow
    const std::size_t pw_len = std::to_integer<std::size_t>(d[1 + id_len]);
    if (2 + id_len + pw_len > d.size()) return;
    request.username = text_of(d.subspan(1, id_len));
    request.password = text_of(d.subspan(2 + id_len, pw_len));
    id_ = p.identifier;
  } else if (protocol == Protocol::kChap && method_ != AuthMethod::kPap &&
             p.code == static_cast<std::uint8_t>(ChapCode::kResponse) && p.identifier == id_) {
    const auto v = parse_chap_value(p.data);
    if (!v) return;
    request.username = v->name;
    request.identifier = id_;
    request.challenge = challenge_;
    if (method_ == AuthMethod::kMsChapV2) {
      if (v->value.size() != kMsChapResponseSize) return;
      request.peer_challenge.assign(v->value.begin(), v->value.begin() + 16);
      request.response.assign(v->value.begin() + 24, v->value.begin() + 48);
    } else {
      request.response.assign(v->value.begin(), v->value.end());
    }
  } else {
    return;
  }
  username_ = request.username;
  waiting_ = false;
  deciding_ = true;
  out.request = std::move(request);
}

void Authenticator::verdict(const AuthVerdict& v, AuthOutput& out) {
  if (!deciding_) return;
  deciding_ = false;
  std::vector<std::byte> message;
  if (method_ == AuthMethod::kPap) {
    const std::string text = v.message.empty() ? (v.accepted ? "welcome" : "denied") : v.message;
    message.push_back(static_cast<std::byte>(std::min<std::size_t>(text.size(), 255)));
    append_text(message, std::string_view(text).substr(0, 255));
    last_verdict_ = build_control_frame(
        Protocol::kPap, static_cast<std::uint8_t>(v.accepted ? PapCode::kAck : PapCode::kNak), id_,
        message);
  } else {
    std::string text;
    if (method_ == AuthMethod::kMsChapV2) {
      // RFC 2759 sections 5 and 6.
      text = v.accepted ? v.authenticator_response + " M=" + (v.message.empty() ? "OK" : v.message)
                        : "E=691 R=0 C=" + hex_upper(challenge_) +
                              " V=3 M=" + (v.message.empty() ? "Authentication failed" : v.message);
    } else {
      text = v.message.empty() ? (v.accepted ? "welcome" : "denied") : v.message;
    }
    append_text(message, text);
    last_verdict_ = build_control_frame(
        Protocol::kChap,
        static_cast<std::uint8_t>(v.accepted ? ChapCode::kSuccess : ChapCode::kFailure), id_,
        message);
  }
  out.frames.push_back(last_verdict_);
  if (v.accepted) {
    done_ = true;
    out.finished = true;
    out.detail = username_;
  } else {
    fail("credentials rejected for user \"" + username_ + "\"", out);
  }
}

// --- AuthPeer ---

void AuthPeer::start(AuthMethod method, TimePoint now, AuthOutput& out) {
  method_ = method;
  if (method == AuthMethod::kPap) send_pap(now, out);
  // CHAP: wait for the challenge.
}

void AuthPeer::send_pap(TimePoint now, AuthOutput& out) {
  std::vector<std::byte> d;
  d.push_back(static_cast<std::byte>(std::min<std::size_t>(username_.size(), 255)));
  append_text(d, std::string_view(username_).substr(0, 255));
  d.push_back(static_cast<std::byte>(std::min<std::size_t>(password_.size(), 255)));
  append_text(d, std::string_view(password_).substr(0, 255));
  out.frames.push_back(build_control_frame(
      Protocol::kPap, static_cast<std::uint8_t>(PapCode::kRequest), ++pap_id_, d));
  ++retries_;
  pap_waiting_ = true;
  deadline_ = now + kRestartTimer;
}

void AuthPeer::on_timer(TimePoint now, AuthOutput& out) {
  if (!last_response_.empty() && !done_ && now >= deadline_) {
    if (retries_ >= kMaxAuthTransmissions) {
      last_response_.clear();
      done_ = true;
      out.finished = false;
      out.detail = "authenticator did not answer our CHAP response";
      return;
    }
    ++retries_;
    out.frames.push_back(last_response_);
    deadline_ = now + kRestartTimer;
    return;
  }
  if (!pap_waiting_ || now < deadline_) return;
  if (retries_ >= kMaxAuthTransmissions) {
    pap_waiting_ = false;
    done_ = true;
    out.finished = false;
    out.detail = "authenticator did not answer PAP";
    return;
  }
  send_pap(now, out);
}

void AuthPeer::receive(Protocol protocol, const ControlPacket& p, TimePoint now, AuthOutput& out) {
  if (done_) {
    // A retransmitted challenge after success (our response crossed the Success): answer again.
    if (protocol == Protocol::kChap && p.code == static_cast<std::uint8_t>(ChapCode::kChallenge))
      on_challenge(p, now, out);
    return;
  }
  if (protocol == Protocol::kPap && method_ == AuthMethod::kPap && p.identifier == pap_id_) {
    if (p.code != static_cast<std::uint8_t>(PapCode::kAck) &&
        p.code != static_cast<std::uint8_t>(PapCode::kNak))
      return;
    pap_waiting_ = false;
    done_ = true;
    out.finished = p.code == static_cast<std::uint8_t>(PapCode::kAck);
    out.detail = *out.finished ? username_ : "authenticator refused our PAP credentials";
    // Ack and Nak carry Msg-Length and Message (RFC 1334 2.2.2): the Nak's says why.
    if (!*out.finished && !p.data.empty()) {
      const std::size_t length =
          std::min<std::size_t>(std::to_integer<std::size_t>(p.data[0]), p.data.size() - 1);
      if (length) out.detail += ": " + text_of(p.data.subspan(1, length));
    }
    return;
  }
  if (protocol != Protocol::kChap || method_ == AuthMethod::kPap) return;
  switch (static_cast<ChapCode>(p.code)) {
    case ChapCode::kChallenge:
      on_challenge(p, now, out);
      return;
    case ChapCode::kSuccess:
      if (chap_id_ == p.identifier) on_success(p, out);
      return;
    case ChapCode::kFailure:
      if (chap_id_ != p.identifier) return;
      last_response_.clear();
      done_ = true;
      out.finished = false;
      out.detail = "authenticator refused our credentials: " + text_of(p.data);
      return;
    default:
      return;
  }
}

void AuthPeer::on_challenge(const ControlPacket& p, TimePoint now, AuthOutput& out) {
  const auto v = parse_chap_value(p.data);
  if (!v) return;
  chap_id_ = p.identifier;
  std::vector<std::byte> value;
  if (method_ == AuthMethod::kMsChapV2) {
    if (v->value.size() != kChallengeSize) return;
    std::copy(v->value.begin(), v->value.end(), auth_challenge_.begin());
    if (!done_) rng_->fill(peer_challenge_);
    const auto hash = crypto::nt_password_hash(password_);
    const auto nt =
        hash ? crypto::generate_nt_response(auth_challenge_, peer_challenge_, username_, *hash)
             : std::nullopt;
    if (!nt) {
      done_ = true;
      out.finished = false;
      out.detail = "cannot compute MS-CHAPv2 (password not UTF-8, or MD4/DES unavailable)";
      return;
    }
    nt_response_ = *nt;
    value.assign(peer_challenge_.begin(), peer_challenge_.end());
    value.resize(24);  // 8 reserved zero bytes
    value.insert(value.end(), nt_response_.begin(), nt_response_.end());
    value.push_back(std::byte{0});  // flags
  } else {
    const auto r = crypto::chap_md5_response(p.identifier, password_, v->value);
    value.assign(r.begin(), r.end());
  }
  last_response_ =
      build_control_frame(Protocol::kChap, static_cast<std::uint8_t>(ChapCode::kResponse),
                          p.identifier, chap_value(value, username_));
  out.frames.push_back(last_response_);
  if (done_) last_response_.clear();
  retries_ = 1;
  deadline_ = now + kRestartTimer;
}

void AuthPeer::on_success(const ControlPacket& p, AuthOutput& out) {
  done_ = true;
  last_response_.clear();
  if (method_ == AuthMethod::kMsChapV2) {
    // Mutual authentication (RFC 2759 section 5): the server must prove it knows the password.
    const std::string message = text_of(p.data);
    const auto hash = crypto::nt_password_hash(password_);
    const std::string received = message.substr(0, 42);
    if (!hash || !crypto::check_authenticator_response(*hash, nt_response_, peer_challenge_,
                                                       auth_challenge_, username_, received)) {
      out.finished = false;
      out.detail =
          "authenticator's MS-CHAPv2 response is wrong: the server does not know our "
          "password";
      return;
    }
  }
  out.finished = true;
  out.detail = username_;
}

}  // namespace tandem::ppp
