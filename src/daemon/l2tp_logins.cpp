// How an L2TP session's PPP login is decided: the login throttle first, then the credentials
// (a hybrid gateway's account, or [[l2tp.user]]), and what each outcome leaves behind: the
// counts in the status document and metrics, a log line, an event.
#include <spdlog/spdlog.h>

#include "crypto/secret.hpp"
#include "daemon/event_sink.hpp"
#include "daemon/l2tp_interface.hpp"
#include "io/system_clock.hpp"
#include "ppp/local_auth.hpp"

namespace tandem::daemon {
namespace {

// How often the throttle sheds counts nobody needs any more.
constexpr Duration kForgetEvery = std::chrono::minutes(1);

// Refusals a password guesser causes, and so counts towards the throttle. An account that is
// disabled or revoked refuses the right password too: that is no guess.
bool guessed(std::string_view failure) {
  return failure == "wrong_password" || failure == "unknown_user" ||
         failure == "no_usable_credential";
}

// What a client refused by the directory is told: which of its details was wrong stays in the
// gateway's log.
std::string_view told_client(LdapLogins::Outcome o) {
  switch (o) {
    case LdapLogins::Outcome::kWrongPassword:
    case LdapLogins::Outcome::kUnknownUser:
      return "wrong user name or password";
    case LdapLogins::Outcome::kNotInGroup:
      return "not allowed to log in here";
    default:
      return "the directory could not check the login; try again later";
  }
}

void report_throttle(const auth::ThrottleEvent& e, const std::string& user) {
  const std::string scope(auth::throttle_scope_name(e.scope));
  // An address's count spans names: the last one it tried says what it was after.
  const std::string last =
      e.scope == auth::ThrottleScope::kSource ? " (the last as '" + user + "')" : "";
  if (e.locked_out)
    spdlog::warn("logins: {} {} locked out for {} s after {} failed logins{}", scope, e.key,
                 auth::whole_seconds_up(e.wait), e.failures, last);
  else
    spdlog::info("logins: {} {} must wait {} s after {} failed logins{}", scope, e.key,
                 auth::whole_seconds_up(e.wait), e.failures, last);
  events().emit(e.locked_out ? "login.locked_out" : "login.delayed",
                {{"scope", scope},
                 {"key", e.key},
                 {"failures", e.failures},
                 {"seconds", auth::whole_seconds_up(e.wait)}});
}

}  // namespace

std::string L2tpInterface::account_of(std::string_view user) {
  if (!link_) return {};
  auto login = link_->l2tp_login(user);
  return login ? login->account : std::string();
}

L2tpInterface::LoginDecision L2tpInterface::decide(const ppp::AuthRequest& request) {
  const auto refused = [](const char* failure, std::string why) {
    LoginDecision d;
    d.verdict = ppp::AuthVerdict{false, "", std::move(why)};
    d.failure = failure;
    return d;
  };
  const auto verified = [&](const ppp::LocalCredential& credential) {
    LoginDecision d;
    d.verdict = ppp::verify_locally(request, credential);
    if (!d.verdict.accepted)
      d.failure =
          d.verdict.message == ppp::kBadPassword ? "wrong_password" : "no_usable_credential";
    return d;
  };
  if (link_) {
    auto login = link_->l2tp_login(request.username);
    if (!login) return refused("unknown_user", "no account has this user");
    LoginDecision d = verified(login->credential);
    if (d.verdict.accepted && !login->refusal.empty())
      return refused("account_refused", "account " + login->account + ": " + login->refusal);
    d.address = login->address;
    d.address6 = login->address6;
    return d;
  }
  for (const auto& u : config_.users)
    if (u.name == request.username) return verified(ppp::LocalCredential{u.password, u.nt_hash});
  return refused("unknown_user", "unknown user");
}

std::optional<L2tpInterface::LoginDecision> L2tpInterface::login(const hybrid::L2tpAuthTicket& t,
                                                                 TimePoint now) {
  if (now >= next_forget_) {
    throttle_.forget_old(now);
    next_forget_ = now + kForgetEvery;
  }
  const std::string& user = t.request.username;
  const std::string_view method = ppp::auth_method_name(t.request.method);
  const auth::ThrottleDecision gate = throttle_.check(user, t.peer.address, now);
  LoginDecision d;
  if (!gate.allowed) {
    // No credential is looked at. Only the first refusal of a delay or lockout is logged; a
    // flood of them shows in the counts.
    d.verdict = ppp::AuthVerdict{false, "", gate.reason};
    d.failure = "throttled";
    if (!gate.first_refusal) {
      spdlog::debug("login refused: user '{}' ({}) from {}: {}", user, method,
                    t.peer.address.to_string(), gate.reason);
    } else {
      spdlog::warn("login refused: user '{}' ({}) from {}: {}", user, method,
                   t.peer.address.to_string(), gate.reason);
      refused_event(user, method, t.peer, gate.reason);
    }
    ++login_failures_[{std::string(method), d.failure}];
    return d;
  }
  if (directory_) {
    const std::uint64_t id = next_directory_id_++;
    if (directory_->submit(id, user, t.request.password)) {
      // The worker has the password; the waiting list needs none.
      auto& waiting = directory_waiting_.emplace(id, t).first->second;
      crypto::secure_wipe(std::as_writable_bytes(std::span(waiting.request.password)));
      waiting.request.password.clear();
      return std::nullopt;
    }
    d.verdict = ppp::AuthVerdict{false, "", "the gateway is busy; try again later"};
    d.failure = "directory_busy";
  } else {
    d = decide(t.request);
  }
  if (d.verdict.accepted) {
    throttle_.succeeded(user);
    return d;
  }
  refused(t, d, now);
  return d;
}

void L2tpInterface::refused(const hybrid::L2tpAuthTicket& t, const LoginDecision& d,
                            TimePoint now) {
  const std::string& user = t.request.username;
  const std::string_view method = ppp::auth_method_name(t.request.method);
  spdlog::warn("login refused: user '{}' ({}) from {}: {}", user, method,
               t.peer.address.to_string(), d.verdict.message);
  refused_event(user, method, t.peer, d.verdict.message);
  if (guessed(d.failure))
    for (const auto& e : throttle_.failed(user, t.peer.address, now)) report_throttle(e, user);
  ++login_failures_[{std::string(method), d.failure}];
}

void L2tpInterface::on_directory() {
  directory_->notifier().lower();
  const TimePoint now = io::SystemClock::now();
  for (auto& a : directory_->take_answers()) {
    auto it = directory_waiting_.find(a.id);
    if (it == directory_waiting_.end()) continue;
    const hybrid::L2tpAuthTicket t = std::move(it->second);
    directory_waiting_.erase(it);
    LoginDecision d;
    if (a.outcome == LdapLogins::Outcome::kAccepted) {
      spdlog::info("logins: the directory accepted '{}': {}", t.request.username, a.detail);
      throttle_.succeeded(t.request.username);
      d.verdict = ppp::AuthVerdict{true, "", ""};
    } else {
      d.failure = LdapLogins::failure_name(a.outcome);
      d.verdict = ppp::AuthVerdict{false, "", std::string(told_client(a.outcome))};
      // The log and the event get the directory's own words; the client only told_client().
      LoginDecision logged = d;
      logged.verdict.message = a.detail;
      if (a.outcome == LdapLogins::Outcome::kDirectoryError)
        spdlog::error("logins: the directory could not check '{}': {}", t.request.username,
                      a.detail);
      refused(t, logged, now);
    }
    stack_.auth_verdict(t.ref, d.verdict, now, out_, d.address, d.address6);
  }
  process(out_);
}

void L2tpInterface::refused_event(const std::string& user, std::string_view method,
                                  const Endpoint& peer, const std::string& reason) {
  nlohmann::json fields{
      {"user", user}, {"method", method}, {"peer", peer.to_string()}, {"reason", reason}};
  // A hybrid gateway's account of that name keeps the refusal in its history (store_event_log).
  if (std::string account = account_of(user); !account.empty()) fields["account"] = account;
  events().emit("l2tp.login_refused", std::move(fields));
}

nlohmann::json L2tpInterface::login_throttle_json(TimePoint now) const {
  const auth::ThrottleSettings& s = throttle_.settings();
  if (!s.enabled) return {{"enabled", false}};
  const auth::ThrottleCounts c = throttle_.counts(now);
  return {{"enabled", true},
          {"users_waiting", c.users_waiting},
          {"users_locked_out", c.users_locked},
          {"sources_waiting", c.sources_waiting},
          {"sources_locked_out", c.sources_locked}};
}

}  // namespace tandem::daemon
