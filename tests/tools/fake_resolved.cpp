// Stands in for systemd-resolved on a private D-Bus bus in the namespace tests (no resolved, nor
// a system bus, runs where they run): owns org.freedesktop.resolve1 on the bus that
// DBUS_SYSTEM_BUS_ADDRESS names and answers the org.freedesktop.resolve1.Manager link calls a
// node makes (SetLinkDNS, SetLinkDomains, SetLinkDefaultRoute, RevertLink), appending one line per
// call to OUT, with the arguments as it decoded them:
//   SetLinkDNS 7 10.81.0.2
//   SetLinkDomains 7 corp.example:routing .:routing
//   SetLinkDefaultRoute 7 yes
//   RevertLink 7
// OUT is created (empty) once the name is owned, so a test waits for OUT before it starts the
// node. Any other call is answered with an error and logged as "unknown <member>". Runs until
// killed.
//
// Usage: fake_resolved OUT
#include <arpa/inet.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

constexpr const char* kManager = "org.freedesktop.resolve1.Manager";

std::FILE* out = nullptr;

// "10.81.0.2 fd81::2" from SetLinkDNS's a(iay).
int read_servers(sd_bus_message* m, std::string& text) {
  int r = sd_bus_message_enter_container(m, 'a', "(iay)");
  while (r > 0 && (r = sd_bus_message_enter_container(m, 'r', "iay")) > 0) {
    int family = 0;
    const void* bytes = nullptr;
    std::size_t size = 0;
    if ((r = sd_bus_message_read(m, "i", &family)) < 0) return r;
    if ((r = sd_bus_message_read_array(m, 'y', &bytes, &size)) < 0) return r;
    char address[INET6_ADDRSTRLEN] = "?";
    if ((family == AF_INET && size == 4) || (family == AF_INET6 && size == 16))
      ::inet_ntop(family, bytes, address, sizeof address);
    text += std::string(" ") + address;
    if ((r = sd_bus_message_exit_container(m)) < 0) return r;
  }
  return r < 0 ? r : sd_bus_message_exit_container(m);
}

// " corp.example:routing" from SetLinkDomains's a(sb).
int read_domains(sd_bus_message* m, std::string& text) {
  int r = sd_bus_message_enter_container(m, 'a', "(sb)");
  const char* name = nullptr;
  int routing = 0;
  while (r > 0 && (r = sd_bus_message_read(m, "(sb)", &name, &routing)) > 0)
    text += std::string(" ") + name + (routing ? ":routing" : ":search");
  return r < 0 ? r : sd_bus_message_exit_container(m);
}

int on_message(sd_bus_message* m, void*, sd_bus_error*) {
  if (sd_bus_message_is_method_call(m, kManager, nullptr) <= 0) return 0;
  const std::string member = sd_bus_message_get_member(m);
  int ifindex = 0;
  int r = sd_bus_message_read(m, "i", &ifindex);
  std::string text = member + " " + std::to_string(ifindex);
  if (r >= 0) {
    if (member == "SetLinkDNS") {
      r = read_servers(m, text);
    } else if (member == "SetLinkDomains") {
      r = read_domains(m, text);
    } else if (member == "SetLinkDefaultRoute") {
      int on = 0;
      r = sd_bus_message_read(m, "b", &on);
      text += on ? " yes" : " no";
    } else if (member != "RevertLink") {
      std::fprintf(out, "unknown %s\n", member.c_str());
      std::fflush(out);
      return sd_bus_reply_method_errorf(m, SD_BUS_ERROR_UNKNOWN_METHOD, "no %s here",
                                        member.c_str());
    }
  }
  if (r < 0) {
    std::fprintf(out, "malformed %s: %s\n", member.c_str(), std::strerror(-r));
    std::fflush(out);
    return sd_bus_reply_method_errorf(m, SD_BUS_ERROR_INVALID_ARGS, "malformed");
  }
  std::fprintf(out, "%s\n", text.c_str());
  std::fflush(out);
  return sd_bus_reply_method_return(m, nullptr) < 0 ? -1 : 1;
}

int fail(const char* what, int r) {
  std::fprintf(stderr, "fake_resolved: %s: %s\n", what, std::strerror(-r));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fake_resolved OUT\n");
    return 2;
  }
  sd_bus* bus = nullptr;
  int r = sd_bus_open_system(&bus);
  if (r < 0) return fail("the bus DBUS_SYSTEM_BUS_ADDRESS names", r);
  if ((r = sd_bus_add_filter(bus, nullptr, on_message, nullptr)) < 0) return fail("a filter", r);
  if ((r = sd_bus_request_name(bus, "org.freedesktop.resolve1", 0)) < 0)
    return fail("owning org.freedesktop.resolve1", r);
  out = std::fopen(argv[1], "w");
  if (out == nullptr) return fail(argv[1], -errno);
  for (;;) {
    r = sd_bus_process(bus, nullptr);
    if (r < 0) return fail("processing", r);
    if (r > 0) continue;
    if ((r = sd_bus_wait(bus, UINT64_MAX)) < 0 && r != -EINTR) return fail("waiting", r);
  }
}
