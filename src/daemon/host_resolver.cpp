// The host's resolver pointed at the forwarder, and put back.
#include "daemon/host_resolver.hpp"

#include <spdlog/spdlog.h>

#include "daemon/instance_lock.hpp"
#include "io/child_process.hpp"
#include "io/resolved_link.hpp"
#include "io/text_files.hpp"

namespace tandem::daemon {
namespace {

bool kept_line(std::string_view line) {
  for (std::string_view key : {"search", "domain", "options"})
    if (line.starts_with(key) && line.size() > key.size() &&
        (line[key.size()] == ' ' || line[key.size()] == '\t'))
      return true;
  return false;
}

}  // namespace

std::vector<IpAddress> forwarder_nameservers(const control::DnsSettings& settings) {
  std::vector<IpAddress> servers;
  for (const bool v4 : {true, false})
    for (const auto& listen : settings.listen)
      if (listen.address.is_v4() == v4 && listen.port == control::kDnsPort &&
          servers.size() < kMaxNameservers)
        servers.push_back(listen.address);
  return servers;
}

std::string forwarder_resolv_conf(std::string_view original, const std::vector<IpAddress>& servers,
                                  std::string_view node) {
  std::string text = "# Written by tandem (" + std::string(node) +
                     "): its split-DNS forwarder. The original comes back when it stops.\n";
  for (const auto& server : servers) text += "nameserver " + server.to_string() + "\n";
  while (!original.empty()) {
    const auto end = std::min(original.find('\n'), original.size());
    const std::string_view line = original.substr(0, end);
    original.remove_prefix(std::min(end + 1, original.size()));
    if (kept_line(line)) text += std::string(line) + "\n";
  }
  return text;
}

ResolvedLinkSettings resolved_link_settings(const control::DnsSettings& settings) {
  ResolvedLinkSettings link;
  link.servers = forwarder_nameservers(settings);
  for (const auto& route : settings.routes)
    for (const auto& domain : route.domains) link.domains.emplace_back(domain, true);
  if (settings.default_upstream) {
    link.domains.emplace_back(".", true);
    link.default_route = true;
  }
  return link;
}

std::string resolv_conf_state_path(const std::string& instance) {
  return run_directory() + "/" + instance + ".resolv.conf.saved";
}

Result<Ok, std::string> HostResolver::restore_leftover(const std::string& instance,
                                                       const std::string& resolv_conf) {
  const std::string state = resolv_conf_state_path(instance);
  const auto saved = io::read_text_file(state);
  if (!saved) return Ok{};
  if (auto ok = io::write_in_place(resolv_conf, *saved); !ok)
    return Err("cannot restore " + resolv_conf + " from " + state + ": " + ok.error());
  if (auto ok = io::remove_file(state); !ok) return Err(ok.error());
  spdlog::warn("DNS: restored {} from {}, which a run that did not stop cleanly left", resolv_conf,
               state);
  return Ok{};
}

Result<std::unique_ptr<HostResolver>, std::string> HostResolver::apply(
    const control::DnsSettings& settings, const std::string& instance, std::string_view node,
    const std::string& resolv_conf) {
  const auto servers = forwarder_nameservers(settings);
  if (servers.empty())
    return Err(
        "[dns] host_resolver: no listen address on port 53, which is the only port a resolver "
        "can be told");
  if (io::resolved_running()) {
    const ResolvedLinkSettings link = resolved_link_settings(settings);
    const std::string device(node);
    if (auto ok = io::resolved_set_link({device, link.servers, link.domains, link.default_route});
        !ok) {
      (void)io::resolved_revert_link(device);
      return Err("[dns] host_resolver: " + ok.error());
    }
    spdlog::info("DNS: systemd-resolved sends {} to the forwarder on {}",
                 link.default_route ? "every name" : "the routed domains", device);
    return std::unique_ptr<HostResolver>(new HostResolver(device));
  }
  const std::string original = io::read_text_file(resolv_conf).value_or("");
  const std::string state = resolv_conf_state_path(instance);
  if (auto ok = io::replace_file(state, original); !ok)
    return Err("[dns] host_resolver: cannot keep the original " + resolv_conf + ": " + ok.error());
  std::unique_ptr<HostResolver> self(new HostResolver(resolv_conf, state, original));
  if (auto ok = io::write_in_place(resolv_conf, forwarder_resolv_conf(original, servers, node));
      !ok)
    return Err("[dns] host_resolver: " + ok.error());  // the destructor puts the original back
  std::string list;
  for (const auto& s : servers) list += (list.empty() ? "" : ", ") + s.to_string();
  spdlog::info("DNS: {} points at the forwarder ({}); the original is kept in {}", resolv_conf,
               list, state);
  return self;
}

HostResolver::~HostResolver() {
  if (!resolved_device_.empty()) {
    if (auto ok = io::resolved_revert_link(resolved_device_); !ok)
      spdlog::warn("DNS: {}", ok.error());
    else
      spdlog::info("DNS: systemd-resolved's settings of {} reverted", resolved_device_);
    return;
  }
  if (auto ok = io::write_in_place(resolv_conf_, original_); !ok) {
    spdlog::error("DNS: cannot restore {}: {} (the original stays in {})", resolv_conf_, ok.error(),
                  state_);
    return;
  }
  if (auto ok = io::remove_file(state_); !ok) spdlog::warn("DNS: {}", ok.error());
  spdlog::info("DNS: {} restored", resolv_conf_);
}

}  // namespace tandem::daemon
