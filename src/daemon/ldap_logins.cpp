#include "daemon/ldap_logins.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "auth/ldap_query.hpp"
#include "crypto/secret.hpp"
#include "io/ldap_session.hpp"

namespace tandem::daemon {
namespace {

// One worker's connections: one that finds users and reads groups (as bind_dn, or
// anonymously), one that binds as the users themselves.
struct Connections {
  io::LdapSession finder;
  io::LdapSession binder;
};

io::LdapTarget target_of(const auth::LdapSettings& s) {
  return io::LdapTarget{s.uri, s.start_tls, s.ca_file, s.timeout};
}

void wipe(std::string& password) {
  crypto::secure_wipe(std::as_writable_bytes(std::span(password.data(), password.size())));
}

enum class Outcome : unsigned char {
  kAccepted,
  kWrongPassword,   // the directory refused the bind
  kUnknownUser,     // no entry found for the name
  kNotInGroup,      // bound, but not a member of the group the login needs
  kDirectoryError,  // unreachable, TLS refused, ambiguous search, ...: the detail says
};

// What a client refused by the directory is told: which of its details was wrong stays in the
// gateway's log.
BackendVerdict answer(const BackendLogin& l, Outcome o, std::string detail) {
  BackendVerdict v;
  v.id = l.id;
  v.detail = std::move(detail);
  switch (o) {
    case Outcome::kAccepted:
      v.accepted = true;
      break;
    case Outcome::kWrongPassword:
    case Outcome::kUnknownUser:
      v.failure = o == Outcome::kWrongPassword ? "wrong_password" : "unknown_user";
      v.guess = true;
      v.told_client = "wrong user name or password";
      break;
    case Outcome::kNotInGroup:
      v.failure = "not_in_group";
      v.told_client = "not allowed to log in here";
      break;
    case Outcome::kDirectoryError:
      v.failure = "directory_error";
      v.told_client = "the directory could not check the login; try again later";
      break;
  }
  return v;
}

// The finder bound as the service account, if there is one, before it searches.
Result<Ok, std::string> finder_ready(const auth::LdapSettings& s, Connections& c) {
  if (s.bind_dn.empty()) return Ok{};
  auto bound = c.finder.simple_bind(s.bind_dn, s.bind_password);
  if (!bound) return Err(bound.error());
  if (*bound == io::BindOutcome::kInvalidCredentials)
    return Err("the directory refused bind_dn " + s.bind_dn + ": check bind_password");
  return Ok{};
}

// Whether `dn` is in `group`, and the error if the directory could not say.
Result<bool, std::string> in_group(const auth::LdapSettings& s, Connections& c,
                                   const std::string& group, const std::string& dn,
                                   const std::vector<std::string>& member_of) {
  if (s.group_membership == auth::LdapGroupMembership::kMemberOf) {
    for (const auto& g : member_of)
      if (auth::same_dn(g, group)) return true;
    return false;
  }
  io::LdapSession& session = s.bind_dn.empty() ? c.binder : c.finder;
  auto found =
      session.search(group, false, auth::group_member_filter(s.group_membership, dn), "", 1);
  if (!found) return Err(found.error());
  return !found->empty();
}

BackendVerdict check(const auth::LdapSettings& s, Connections& c, const BackendLogin& l) {
  if (auto why = auth::refuse_before_bind(l.request.username, l.request.password))
    return answer(l, Outcome::kWrongPassword, "refused before asking the directory: " + *why);
  const std::string& group = l.require_group ? *l.require_group : s.require_group;
  const std::string rule = l.group_reason.empty() ? "" : " (" + l.group_reason + ")";
  const std::string why = l.group_reason.empty() ? "" : "; " + l.group_reason;
  const bool member_of =
      !group.empty() && s.group_membership == auth::LdapGroupMembership::kMemberOf;
  const std::string member_of_attribute = member_of ? "memberOf" : "";
  std::string dn;
  std::vector<std::string> groups;
  if (auto templated = auth::user_dn(s, l.request.username)) {
    dn = *templated;
  } else {
    if (auto ok = finder_ready(s, c); !ok) return answer(l, Outcome::kDirectoryError, ok.error());
    auto found = c.finder.search(s.base, true, auth::user_filter(s, l.request.username),
                                 member_of_attribute, 2);
    if (!found) return answer(l, Outcome::kDirectoryError, found.error());
    if (found->empty())
      return answer(
          l, Outcome::kUnknownUser,
          "no entry under " + s.base + " matches " + auth::user_filter(s, l.request.username));
    if (found->size() > 1)
      return answer(l, Outcome::kDirectoryError,
                    "more than one entry under " + s.base + " matches " +
                        auth::user_filter(s, l.request.username) +
                        ": make the filter select one user");
    dn = found->front().dn;
    groups = std::move(found->front().values);
  }
  auto bound = c.binder.simple_bind(dn, l.request.password);
  if (!bound) return answer(l, Outcome::kDirectoryError, bound.error());
  if (*bound == io::BindOutcome::kInvalidCredentials)
    return answer(l, Outcome::kWrongPassword, "the directory refused the password of " + dn);
  if (group.empty()) return answer(l, Outcome::kAccepted, "bound as " + dn + rule);
  if (member_of && !auth::user_dn(s, l.request.username).has_value()) {
    // Found by a search, which read memberOf already.
  } else if (member_of) {
    auto self = c.binder.search(dn, false, "(objectClass=*)", "memberOf", 1);
    if (!self) return answer(l, Outcome::kDirectoryError, self.error());
    if (!self->empty()) groups = std::move(self->front().values);
  }
  auto member = in_group(s, c, group, dn, groups);
  if (!member) return answer(l, Outcome::kDirectoryError, member.error());
  if (!*member)
    return answer(l, Outcome::kNotInGroup,
                  dn + " is not a member of " + group + " (by " +
                      std::string(auth::group_membership_name(s.group_membership)) + why + ")");
  return answer(l, Outcome::kAccepted, "bound as " + dn + ", a member of " + group + rule);
}

}  // namespace

struct LdapLogins::State {
  auth::LdapSettings settings;
  const io::Notifier* notifier = nullptr;  // valid while !stopping
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<BackendLogin> queued;
  std::vector<BackendVerdict> verdicts;
  bool stopping = false;
};

Result<std::unique_ptr<LdapLogins>, std::string> LdapLogins::create(const auth::LdapSettings& s) {
  if (std::string wrong = auth::check_settings(s); !wrong.empty()) return Err("[ldap]: " + wrong);
  auto notifier = io::Notifier::create();
  if (!notifier) return Err(notifier.error());
  auto state = std::make_shared<State>();
  state->settings = s;
  std::unique_ptr<LdapLogins> logins(new LdapLogins(state, std::move(*notifier)));
  state->notifier = &logins->notifier_;
  for (unsigned i = 0; i < s.workers; ++i) std::thread(worker_main, state).detach();
  return logins;
}

LdapLogins::LdapLogins(std::shared_ptr<State> state, io::Notifier notifier)
    : state_(std::move(state)), notifier_(std::move(notifier)) {}

LdapLogins::~LdapLogins() {
  std::lock_guard lock(state_->mutex);
  state_->stopping = true;
  state_->notifier = nullptr;
  for (auto& l : state_->queued) wipe(l.request.password);
  state_->queued.clear();
  state_->changed.notify_all();
}

std::string LdapLogins::describe() const {
  return "the directory at " + state_->settings.uri + " (" +
         std::to_string(state_->settings.workers) + " at once)";
}

bool LdapLogins::submit(BackendLogin login) {
  std::lock_guard lock(state_->mutex);
  if (state_->queued.size() >= kMaxQueued) {
    wipe(login.request.password);
    return false;
  }
  state_->queued.push_back(std::move(login));
  state_->changed.notify_one();
  return true;
}

std::vector<BackendVerdict> LdapLogins::take_verdicts() {
  std::lock_guard lock(state_->mutex);
  return std::exchange(state_->verdicts, {});
}

void LdapLogins::worker_main(std::shared_ptr<State> state) {
  const io::LdapTarget target = target_of(state->settings);
  Connections connections{io::LdapSession(target), io::LdapSession(target)};
  while (true) {
    BackendLogin login;
    {
      std::unique_lock lock(state->mutex);
      state->changed.wait(lock, [&] { return state->stopping || !state->queued.empty(); });
      if (state->stopping) return;
      login = std::move(state->queued.front());
      state->queued.pop_front();
    }
    BackendVerdict v = check(state->settings, connections, login);
    wipe(login.request.password);
    std::lock_guard lock(state->mutex);
    if (state->stopping) return;
    state->verdicts.push_back(std::move(v));
    state->notifier->raise();
  }
}

}  // namespace tandem::daemon
