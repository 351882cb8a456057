// Reading [login_throttle] (auth/login_throttle.hpp): how failed logins are slowed down and
// locked out. On by default; every key is optional.
#include "control/toml_reader.hpp"

namespace tandem::control {
namespace {

constexpr std::int64_t kWeek = 7 * 24 * 3600;

}  // namespace

Result<Ok, ConfigError> read_login_throttle(const Reader& r, const toml::table& root,
                                            NodeConfig& cfg) {
  const toml::node* node = root.get("login_throttle");
  if (!node) return Ok{};
  const toml::table* t = node->as_table();
  if (!t) return r.error(node, "login_throttle must be a table: [login_throttle]");
  if (auto ok = r.only_keys(*t, "[login_throttle]",
                            {"enabled", "free_failures", "delay", "max_delay", "user_lockout_after",
                             "source_lockout_after", "lockout", "forget_after"});
      !ok)
    return Err(ok.error());
  auth::ThrottleSettings& s = cfg.login_throttle;
  auto enabled = r.bool_key(*t, "enabled", true);
  if (!enabled) return Err(enabled.error());
  s.enabled = *enabled;
  const auto count = [&](std::string_view key, unsigned& into) -> Result<Ok, ConfigError> {
    auto v = r.integer<unsigned>(*t, key, 0, 1000000);
    if (!v) return Err(v.error());
    if (*v) into = **v;
    return Ok{};
  };
  const auto seconds = [&](std::string_view key, Duration& into) -> Result<Ok, ConfigError> {
    auto v = r.integer<unsigned>(*t, key, 1, kWeek);
    if (!v) return Err(v.error());
    if (*v) into = std::chrono::seconds(**v);
    return Ok{};
  };
  for (auto [key, into] :
       {std::pair<std::string_view, unsigned*>{"free_failures", &s.free_failures},
        {"user_lockout_after", &s.user_lockout_after},
        {"source_lockout_after", &s.source_lockout_after}})
    if (auto ok = count(key, *into); !ok) return ok;
  for (auto [key, into] : {std::pair<std::string_view, Duration*>{"delay", &s.delay},
                           {"max_delay", &s.max_delay},
                           {"lockout", &s.lockout},
                           {"forget_after", &s.forget_after}})
    if (auto ok = seconds(key, *into); !ok) return ok;
  if (s.max_delay < s.delay)
    return r.error(t->get("max_delay") ? t->get("max_delay") : t->get("delay"),
                   "max_delay must be at least delay (the first delay, doubled up to max_delay)");
  // Lockouts below the free failures would lock out before any delay: allowed, but then the
  // delays never happen, which is what lockout_after = free_failures + 1 says more plainly.
  if (cfg.l2tp) cfg.l2tp->login_throttle = s;
  if (cfg.ipsec) cfg.ipsec->login_throttle = s;
  return Ok{};
}

}  // namespace tandem::control
