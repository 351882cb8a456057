// Reading [metrics] (metrics_config.hpp).
#include "control/metrics_config.hpp"

#include "control/toml_reader.hpp"

namespace tandem::control {

bool is_loopback(const IpAddress& address) {
  const std::uint8_t* b = address.data();
  if (address.is_v4()) return b[0] == 127;
  for (std::size_t i = 0; i + 1 < address.size(); ++i)
    if (b[i] != 0) return false;
  return b[address.size() - 1] == 1;
}

Result<Ok, ConfigError> read_metrics(const Reader& r, const toml::table& root, NodeConfig& cfg) {
  const toml::node* node = root.get("metrics");
  if (!node) return Ok{};
  const toml::table* t = node->as_table();
  if (!t) return r.error(node, "metrics must be a table: [metrics]");
  if (auto ok = r.only_keys(*t, "[metrics]", {"listen", "path", "allow_remote"}); !ok)
    return Err(ok.error());
  const toml::node* listen = t->get("listen");
  if (!listen) return r.error(node, "[metrics] needs listen = \"127.0.0.1:9586\"");
  MetricsSettings s;
  const auto ep = listen->is_string() ? Endpoint::parse(listen->as_string()->get()) : std::nullopt;
  if (!ep || ep->port == 0)
    return r.error(listen,
                   "listen must be an IP address and port, such as \"127.0.0.1:9586\" or "
                   "\"[::1]:9586\"");
  s.listen = *ep;
  auto path = r.string_key(*t, "path");
  if (!path) return Err(path.error());
  if (*path) s.path = **path;
  if (!s.path.starts_with('/') ||
      s.path.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-_.") !=
          std::string::npos)
    return r.error(t->get("path"),
                   "path must start with / and hold only letters, digits, '/', '-', '_' and '.'");
  auto remote = r.bool_key(*t, "allow_remote", false);
  if (!remote) return Err(remote.error());
  s.allow_remote = *remote;
  if (!s.allow_remote && !is_loopback(s.listen.address))
    return r.error(listen, "listen " + s.listen.to_string() +
                               " is not a loopback address: the metrics show every peer's "
                               "public key and endpoint; set allow_remote = true in [metrics] "
                               "to serve them there anyway");
  cfg.metrics = s;
  return Ok{};
}

}  // namespace tandem::control
