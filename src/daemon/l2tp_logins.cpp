// How an L2TP session's PPP login is decided: the login throttle first, then the credentials
// (a hybrid gateway's account, or [[l2tp.user]], or a login backend: [ldap], [radius]), and what
// each outcome leaves behind: the counts in the status document and metrics, a log line, an
// event, and with RADIUS the session's accounting.
#include <spdlog/spdlog.h>

#include "auth/ldap_query.hpp"
#include "crypto/secret.hpp"
#include "daemon/event_sink.hpp"
#include "daemon/l2tp_interface.hpp"
#include "daemon/login_throttle_gate.hpp"
#include "io/system_clock.hpp"
#include "ppp/local_auth.hpp"

namespace tandem::daemon {
namespace {

// Logins from one address a backend checks at once (one per user name): enough for the users
// behind a NAT logging in together, few enough that a flood waits for the throttle's word.
constexpr unsigned kBackendLoginsPerSource = 4;

// Refusals a password guesser causes, and so counts towards the throttle. An account that is
// disabled or revoked refuses the right password too: that is no guess.
bool guessed(std::string_view failure) {
  return failure == "wrong_password" || failure == "unknown_user" ||
         failure == "no_usable_credential";
}

// What the backend is asked. On a hybrid gateway with [ldap] the account's class picks the
// directory group here, at the submit; the account is looked up again at the verdict.
BackendLogin backend_login(std::uint64_t id, const hybrid::L2tpAuthTicket& t,
                           const std::optional<auth::LdapSettings>& ldap,
                           const std::optional<HybridLogin>& account) {
  BackendLogin login{id, t.request, t.peer, std::nullopt, {}};
  if (ldap && account) {
    auth::LdapGroupRule rule = auth::group_rule(*ldap, account->account, account->account_class);
    login.require_group = std::move(rule.group);
    login.group_reason = std::move(rule.reason);
  }
  return login;
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
    if (!login || !login->credential) return refused("unknown_user", "no account has this user");
    LoginDecision d = verified(*login->credential);
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
    next_forget_ = now + kThrottleForgetEvery;
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
  if (backend_) {
    // A hybrid gateway's backend proves the password; the account gives the address (and its
    // class the directory group). Without one the backend is not asked.
    const auto account = link_ ? link_->l2tp_login(user) : std::nullopt;
    if (link_ && !account) {
      d.verdict = ppp::AuthVerdict{false, "", "no account has this user"};
      d.failure = "unknown_user";
      refused(t, d, d.verdict.message, true, now);
      return d;
    }
    const auto user_busy = backend_users_.find(user);
    const auto source_busy = backend_sources_.find(t.peer.address);
    if (user_busy != backend_users_.end() ||
        (source_busy != backend_sources_.end() && source_busy->second >= kBackendLoginsPerSource)) {
      d.verdict = ppp::AuthVerdict{
          false, "",
          user_busy != backend_users_.end()
              ? "another login of this user is being checked; try again in a moment"
              : "too many logins from this address at once; try again in a moment"};
      d.failure = "throttled";
      spdlog::debug("login refused: user '{}' ({}) from {}: {}", user, method,
                    t.peer.address.to_string(), d.verdict.message);
      ++login_failures_[{std::string(method), d.failure}];
      return d;
    }
    const std::uint64_t id = next_backend_id_++;
    if (backend_->submit(backend_login(id, t, config_.ldap, account))) {
      ++backend_users_[user];
      ++backend_sources_[t.peer.address];
      // The backend has the password; the waiting list needs none.
      auto& waiting = backend_waiting_.emplace(id, t).first->second;
      crypto::secure_wipe(std::as_writable_bytes(std::span(waiting.request.password)));
      waiting.request.password.clear();
      return std::nullopt;
    }
    d.verdict = ppp::AuthVerdict{false, "", "the gateway is busy; try again later"};
    d.failure = "backend_busy";
  } else {
    d = decide(t.request);
  }
  if (d.verdict.accepted) {
    throttle_.succeeded(user);
    return d;
  }
  refused(t, d, d.verdict.message, guessed(d.failure), now);
  return d;
}

void L2tpInterface::refused(const hybrid::L2tpAuthTicket& t, const LoginDecision& d,
                            const std::string& detail, bool guess, TimePoint now) {
  const std::string& user = t.request.username;
  const std::string_view method = ppp::auth_method_name(t.request.method);
  spdlog::warn("login refused: user '{}' ({}) from {}: {}", user, method,
               t.peer.address.to_string(), detail);
  refused_event(user, method, t.peer, detail);
  if (guess)
    for (const auto& e : throttle_.failed(user, t.peer.address, now)) report_throttle(e, user);
  ++login_failures_[{std::string(method), d.failure}];
}

L2tpInterface::LoginDecision L2tpInterface::backend_decision(const hybrid::L2tpAuthTicket& t,
                                                             const BackendVerdict& v,
                                                             std::string& detail, bool& guess) {
  LoginDecision d;
  detail = v.detail;
  guess = v.guess;
  if (!v.accepted) {
    d.verdict = ppp::AuthVerdict{false, "", v.told_client};
    d.failure = v.failure;
    return d;
  }
  d.verdict = ppp::AuthVerdict{true, v.authenticator_response, ""};
  d.address = v.address;
  if (!link_) return d;
  const auto refuse = [&](const char* failure, std::string told, std::string why) {
    d.verdict = ppp::AuthVerdict{false, "", std::move(told)};
    d.failure = failure;
    d.address.reset();
    detail = v.detail + ", but " + why;
    return d;
  };
  // Looked at again now: the account may have gone, or been revoked, while the backend decided.
  auto login = link_->l2tp_login(t.request.username);
  if (!login) return refuse("unknown_user", "no account has this user", "no account has this user");
  if (!login->refusal.empty()) {
    std::string why = "account " + login->account + ": " + login->refusal;
    return refuse("account_refused", why, why);
  }
  // The backend's address becomes the account's, on every protocol, or the login is refused.
  if (v.address && v.address != login->address) {
    if (auto assigned = link_->assign_address(login->account, *v.address); !assigned)
      return refuse("address_conflict", "the gateway refused the address it was given",
                    "its address " + v.address->to_string() + " was refused: " + assigned.error());
    login = link_->l2tp_login(t.request.username);
    if (!login || login->address != v.address)
      return refuse(
          "address_conflict", "the gateway refused the address it was given",
          "account " + t.request.username + " did not take the address " + v.address->to_string());
  }
  d.address = login->address;
  d.address6 = login->address6;
  return d;
}

void L2tpInterface::on_backend() {
  backend_->notifier().lower();
  const TimePoint now = io::SystemClock::now();
  for (const BackendVerdict& v : backend_->take_verdicts()) {
    auto it = backend_waiting_.find(v.id);
    if (it == backend_waiting_.end()) continue;
    const hybrid::L2tpAuthTicket t = std::move(it->second);
    backend_waiting_.erase(it);
    if (auto u = backend_users_.find(t.request.username); u != backend_users_.end() && !--u->second)
      backend_users_.erase(u);
    if (auto s = backend_sources_.find(t.peer.address); s != backend_sources_.end() && !--s->second)
      backend_sources_.erase(s);
    std::string detail;
    bool guess = false;
    const LoginDecision d = backend_decision(t, v, detail, guess);
    if (d.verdict.accepted) {
      spdlog::info("logins: '{}' accepted: {}", t.request.username, detail);
      throttle_.succeeded(t.request.username);
      if (accounting_)
        accounting_->accepted(t.ref, t.request.username, t.peer,
                              {v.session_timeout, v.idle_timeout, v.classes});
    } else {
      if (std::string_view(d.failure).ends_with("_error"))
        spdlog::error("logins: '{}' could not be checked: {}", t.request.username, detail);
      refused(t, d, detail, guess, now);
    }
    // An address the backend chose must be free; an account's is the account's own.
    stack_.auth_verdict(t.ref, d.verdict, now, out_, d.address, d.address6, d.address && !link_);
  }
  process(out_);
}

void L2tpInterface::on_accounting_timer() {
  const TimePoint now = io::SystemClock::now();
  for (const auto& x : accounting_->tick(now, stack_.sessions())) {
    spdlog::info("logins: hanging up the session of {}: {}", x.address.to_string(), x.reason);
    hang_up(x.address, x.reason);
  }
  rearm_accounting();
}

void L2tpInterface::rearm_accounting() {
  const TimePoint next = accounting_->next_deadline();
  if (next == TimePoint::max())
    loop_->disarm_timer(accounting_timer_);
  else
    loop_->arm_timer(accounting_timer_, next);
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
  return throttle_json(throttle_, now);
}

}  // namespace tandem::daemon
