#include "daemon/interface_hooks.hpp"

#include <spdlog/spdlog.h>

#include <cctype>

#include "io/child_process.hpp"

namespace tandem::daemon {
namespace {

constexpr const char* kInterfaceOrder = "/etc/resolvconf/interface-order";

// Each line the command printed, as a log line of its stage.
void log_output(const char* stage, const std::string& output) {
  std::size_t start = 0;
  while (start < output.size()) {
    const auto end = std::min(output.find('\n', start), output.size());
    if (end > start) spdlog::info("{}: | {}", stage, output.substr(start, end - start));
    start = end + 1;
  }
}

}  // namespace

std::string hook_command(std::string_view command, std::string_view interface_name) {
  std::string out;
  for (std::size_t k = 0; k < command.size(); ++k) {
    if (command[k] == '%' && k + 1 < command.size() && command[k + 1] == 'i') {
      out += interface_name;
      ++k;
    } else {
      out += command[k];
    }
  }
  return out;
}

std::string resolvconf_input(const std::vector<IpAddress>& servers,
                             const std::vector<std::string>& search) {
  std::string text;
  for (const auto& s : servers) text += "nameserver " + s.to_string() + "\n";
  if (search.empty()) return text;
  text += "search";
  for (const auto& domain : search) text += " " + domain;
  return text + "\n";
}

std::string resolvconf_prefix(std::string_view interface_order) {
  while (!interface_order.empty()) {
    const auto end = std::min(interface_order.find('\n'), interface_order.size());
    const std::string_view line = interface_order.substr(0, end);
    interface_order.remove_prefix(std::min(end + 1, interface_order.size()));
    if (line.size() < 2 || line.back() != '*') continue;
    const std::string_view name = line.substr(0, line.size() - 1);
    bool plain = true;
    for (char c : name) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '-');
    if (plain) return std::string(name) + ".";
  }
  return "";
}

InterfaceHooks::InterfaceHooks(const control::InterfaceConfig& config)
    : interface_(config.name),
      hooks_(config.hooks),
      dns_(config.dns),
      dns_search_(config.dns_search) {}

InterfaceHooks::~InterfaceHooks() {
  remove_dns();
}

Result<Ok, std::string> InterfaceHooks::run(const char* stage,
                                            const std::vector<std::string>& commands,
                                            bool stop_at_failure) {
  for (const auto& written : commands) {
    const std::string command = hook_command(written, interface_);
    spdlog::info("{}: {}", stage, command);
    auto ran = io::run_child({"/bin/sh", "-c", command});
    if (!ran) {
      if (stop_at_failure)
        return Err(std::string(stage) + " command '" + command + "': " + ran.error());
      spdlog::warn("{} command '{}': {}", stage, command, ran.error());
      continue;
    }
    log_output(stage, ran->output);
    if (ran->exit_status == 0) continue;
    const std::string failure = std::string(stage) + " command '" + command +
                                "' failed with exit status " + std::to_string(ran->exit_status);
    if (stop_at_failure) return Err(failure);
    spdlog::warn("{}", failure);
  }
  return Ok{};
}

Result<Ok, std::string> InterfaceHooks::pre_up() {
  return run("pre_up", hooks_.pre_up, true);
}

Result<Ok, std::string> InterfaceHooks::post_up() {
  if (auto ok = add_dns(); !ok) return ok;
  return run("post_up", hooks_.post_up, true);
}

void InterfaceHooks::pre_down() {
  (void)run("pre_down", hooks_.pre_down, false);
}

void InterfaceHooks::post_down() {
  remove_dns();
  (void)run("post_down", hooks_.post_down, false);
}

Result<Ok, std::string> InterfaceHooks::add_dns() {
  if (dns_.empty()) return Ok{};
  std::string servers;
  for (const auto& s : dns_) servers += (servers.empty() ? "" : ", ") + s.to_string();
  if (!io::find_in_path("resolvconf")) {
    spdlog::warn(
        "DNS servers {} are NOT applied: no resolvconf program is installed (install resolvconf "
        "or systemd-resolved's; Tandem does not rewrite /etc/resolv.conf itself)",
        servers);
    return Ok{};
  }
  const std::string record =
      resolvconf_prefix(io::read_text_file(kInterfaceOrder).value_or("")) + interface_;
  auto ran = io::run_child({"resolvconf", "-a", record, "-m", "0", "-x"},
                           resolvconf_input(dns_, dns_search_));
  if (!ran) return Err("DNS: resolvconf: " + ran.error());
  log_output("resolvconf", ran->output);
  if (ran->exit_status != 0)
    return Err("DNS: resolvconf -a " + record + " failed with exit status " +
               std::to_string(ran->exit_status));
  dns_record_ = record;
  spdlog::info("DNS: servers {} given to resolvconf as {}", servers, record);
  return Ok{};
}

void InterfaceHooks::remove_dns() {
  if (dns_record_.empty()) return;
  const std::string record = std::exchange(dns_record_, {});
  auto ran = io::run_child({"resolvconf", "-d", record, "-f"});
  if (!ran)
    spdlog::warn("DNS: resolvconf -d {}: {}", record, ran.error());
  else if (ran->exit_status != 0)
    spdlog::warn("DNS: resolvconf -d {} failed with exit status {}", record, ran->exit_status);
}

}  // namespace tandem::daemon
