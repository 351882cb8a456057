// sd-bus calls to org.freedesktop.resolve1, one short-lived system bus connection per call.
#include "io/resolved_link.hpp"

#include <net/if.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

namespace tandem::io {
namespace {

constexpr const char* kService = "org.freedesktop.resolve1";
constexpr const char* kObject = "/org/freedesktop/resolve1";
constexpr const char* kManager = "org.freedesktop.resolve1.Manager";
constexpr const char* kRuntimeDirectory = "/run/systemd/resolve";

struct BusUnref {
  void operator()(sd_bus* bus) const { sd_bus_flush_close_unref(bus); }
};
struct MessageUnref {
  void operator()(sd_bus_message* m) const { sd_bus_message_unref(m); }
};
using Bus = std::unique_ptr<sd_bus, BusUnref>;
using Message = std::unique_ptr<sd_bus_message, MessageUnref>;

std::string failure(const char* what, int r) {
  return std::string("systemd-resolved ") + what + ": " + std::strerror(-r);
}

Result<Bus, std::string> system_bus() {
  sd_bus* bus = nullptr;
  const int r = sd_bus_open_system(&bus);
  if (r < 0) return Err(failure("(the system bus)", r));
  return Bus(bus);
}

Result<int, std::string> link_index(const std::string& device) {
  const unsigned index = ::if_nametoindex(device.c_str());
  if (index == 0) return Err("systemd-resolved: no device " + device);
  return static_cast<int>(index);
}

// Sends `m` and waits for the answer; the error carries resolved's own message.
Result<Ok, std::string> call(sd_bus* bus, sd_bus_message* m, const char* method) {
  sd_bus_error error{};  // SD_BUS_ERROR_NULL, whose compound literal is C, not C++
  const int r = sd_bus_call(bus, m, 0, &error, nullptr);
  std::string text = error.message ? error.message : "";
  sd_bus_error_free(&error);
  if (r < 0) return Err(failure(method, r) + (text.empty() ? "" : " (" + text + ")"));
  return Ok{};
}

Result<Message, std::string> method(sd_bus* bus, const char* name, int ifindex) {
  sd_bus_message* m = nullptr;
  int r = sd_bus_message_new_method_call(bus, &m, kService, kObject, kManager, name);
  if (r < 0) return Err(failure(name, r));
  Message owned(m);
  r = sd_bus_message_append(m, "i", ifindex);
  if (r < 0) return Err(failure(name, r));
  return owned;
}

Result<Ok, std::string> set_dns(sd_bus* bus, int ifindex, const std::vector<IpAddress>& servers) {
  auto m = method(bus, "SetLinkDNS", ifindex);
  if (!m) return Err(m.error());
  int r = sd_bus_message_open_container(m->get(), 'a', "(iay)");
  for (const auto& entry : resolved_dns_entries(servers)) {
    if (r >= 0) r = sd_bus_message_open_container(m->get(), 'r', "iay");
    if (r >= 0) r = sd_bus_message_append(m->get(), "i", entry.family);
    if (r >= 0)
      r = sd_bus_message_append_array(m->get(), 'y', entry.address.data(), entry.address.size());
    if (r >= 0) r = sd_bus_message_close_container(m->get());
  }
  if (r >= 0) r = sd_bus_message_close_container(m->get());
  if (r < 0) return Err(failure("SetLinkDNS", r));
  return call(bus, m->get(), "SetLinkDNS");
}

Result<Ok, std::string> set_domains(sd_bus* bus, int ifindex,
                                    const std::vector<std::pair<std::string, bool>>& domains) {
  auto m = method(bus, "SetLinkDomains", ifindex);
  if (!m) return Err(m.error());
  int r = sd_bus_message_open_container(m->get(), 'a', "(sb)");
  for (const auto& [name, routing_only] : domains)
    if (r >= 0) r = sd_bus_message_append(m->get(), "(sb)", name.c_str(), routing_only ? 1 : 0);
  if (r >= 0) r = sd_bus_message_close_container(m->get());
  if (r < 0) return Err(failure("SetLinkDomains", r));
  return call(bus, m->get(), "SetLinkDomains");
}

}  // namespace

std::vector<ResolvedDnsEntry> resolved_dns_entries(const std::vector<IpAddress>& servers) {
  std::vector<ResolvedDnsEntry> entries;
  for (const auto& server : servers)
    entries.push_back({server.is_v4() ? AF_INET : AF_INET6,
                       std::vector<std::uint8_t>(server.data(), server.data() + server.size())});
  return entries;
}

bool resolved_running() {
  std::error_code ignored;
  if (!std::filesystem::is_directory(kRuntimeDirectory, ignored)) return false;
  auto bus = system_bus();
  if (!bus) return false;
  // The bus name's owner, and whether it shares our network namespace: inside `ip netns exec`
  // the system bus is still the host's, whose resolved knows other links by other indexes.
  sd_bus_error error{};  // SD_BUS_ERROR_NULL, whose compound literal is C, not C++
  sd_bus_message* reply = nullptr;
  int r = sd_bus_call_method(bus->get(), "org.freedesktop.DBus", "/org/freedesktop/DBus",
                             "org.freedesktop.DBus", "GetConnectionUnixProcessID", &error, &reply,
                             "s", kService);
  sd_bus_error_free(&error);
  std::uint32_t pid = 0;
  if (r >= 0) r = sd_bus_message_read(reply, "u", &pid);
  sd_bus_message_unref(reply);
  if (r < 0 || pid == 0) return false;
  struct stat ours {
  }, theirs{};
  return ::stat("/proc/self/ns/net", &ours) == 0 &&
         ::stat(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), &theirs) == 0 &&
         ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino;
}

Result<Ok, std::string> resolved_set_link(const ResolvedLink& link) {
  auto ifindex = link_index(link.device);
  if (!ifindex) return Err(ifindex.error());
  auto bus = system_bus();
  if (!bus) return Err(bus.error());
  if (auto ok = set_dns(bus->get(), *ifindex, link.servers); !ok) return ok;
  if (auto ok = set_domains(bus->get(), *ifindex, link.domains); !ok) return ok;
  auto m = method(bus->get(), "SetLinkDefaultRoute", *ifindex);
  if (!m) return Err(m.error());
  if (const int r = sd_bus_message_append(m->get(), "b", link.default_route ? 1 : 0); r < 0)
    return Err(failure("SetLinkDefaultRoute", r));
  return call(bus->get(), m->get(), "SetLinkDefaultRoute");
}

Result<Ok, std::string> resolved_revert_link(const std::string& device) {
  auto ifindex = link_index(device);
  if (!ifindex) return Err(ifindex.error());
  auto bus = system_bus();
  if (!bus) return Err(bus.error());
  auto m = method(bus->get(), "RevertLink", *ifindex);
  if (!m) return Err(m.error());
  return call(bus->get(), m->get(), "RevertLink");
}

}  // namespace tandem::io
