#include "io/policy_routes.hpp"

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <utility>

#include "io/policy_route_messages.hpp"
#include "io/unique_fd.hpp"

namespace tandem::io {
namespace {

// Errors that mean "already gone" when deleting: ENOENT (rules), ESRCH (routes, or their table),
// ENODEV (the route's device went away with the route).
bool is_gone(int err) {
  return err == ENOENT || err == ESRCH || err == ENODEV;
}

// Adds a failed delete to a "; "-separated list, unless the entry was already gone.
void add_error(std::string& errors, const std::string& what, int err) {
  if (is_gone(err)) return;
  if (!errors.empty()) errors += "; ";
  errors += errno_text(what, err);
}

std::string hex(std::uint32_t value) {
  std::array<char, 16> text{};
  std::snprintf(text.data(), text.size(), "0x%x", value);
  return text.data();
}

std::string family_error(const std::string& what, const IpPrefix& prefix) {
  return what + " " + prefix.to_string() + " is not of the rule's address family";
}

// Refuses what the kernel would take but not as meant, before anything is sent.
Result<Ok, std::string> validate(const PolicyPlan& plan) {
  for (const PolicyRule& rule : plan.rules) {
    const std::string where = "rule (" + rule.to_string() + "): ";
    if (rule.source && rule.source->address().family() != rule.family)
      return Err{where + family_error("source", *rule.source)};
    if (rule.destination && rule.destination->address().family() != rule.family)
      return Err{where + family_error("destination", *rule.destination)};
    if (rule.dscp && *rule.dscp > 63) return Err{where + "DSCP is a 6-bit value"};
    if (rule.table == 0) return Err{where + "table 0 is not a table"};
  }
  for (const TableRoute& route : plan.routes) {
    const std::string where = "route (" + route.to_string() + "): ";
    if (route.kind == TableRoute::Kind::kDevice && route.ifindex <= 0)
      return Err{where + "a device route needs an interface index"};
    if (route.table == 0) return Err{where + "table 0 is not a table"};
  }
  return Ok{};
}

}  // namespace

std::string PolicyRule::to_string() const {
  std::string out = family == IpAddress::Family::kV4 ? "ipv4" : "ipv6";
  out += " pref " + std::to_string(priority);
  out += " from " + (source ? source->to_string() : std::string("all"));
  if (destination) out += " to " + destination->to_string();
  if (ip_protocol) out += " ipproto " + std::to_string(*ip_protocol);
  if (source_ports)
    out +=
        " sport " + std::to_string(source_ports->first) + "-" + std::to_string(source_ports->last);
  if (destination_ports)
    out += " dport " + std::to_string(destination_ports->first) + "-" +
           std::to_string(destination_ports->last);
  if (dscp) out += " dscp " + std::to_string(*dscp);
  if (fwmark) out += " fwmark " + hex(fwmark->value) + "/" + hex(fwmark->mask);
  out += " lookup " + std::to_string(table);
  return out;
}

std::string TableRoute::to_string() const {
  std::string out;
  if (kind == Kind::kBlackhole) out = "blackhole ";
  if (kind == Kind::kUnreachable) out = "unreachable ";
  out += destination.to_string();
  if (kind == Kind::kDevice) out += " dev ifindex " + std::to_string(ifindex);
  out += " table " + std::to_string(table);
  if (metric) out += " metric " + std::to_string(*metric);
  return out;
}

namespace {

// A marked entry's raw message, kept to be sent back as a delete: the kernel accepts a dumped
// message as a delete request (`ip rule flush` works that way), which removes even a marked
// entry with attributes this file does not model.
struct MarkedEntry {
  std::vector<char> message;
  std::uint32_t table = 0;

  const nlmsghdr* header() const { return reinterpret_cast<const nlmsghdr*>(message.data()); }
};

struct MarkedDump {
  std::uint8_t marker = 0;
  std::optional<EntryTag> (*tag_of)(const nlmsghdr*) = nullptr;  // rule_tag or route_tag
  std::vector<MarkedEntry> entries;
};

int keep_marked(const nlmsghdr* nlh, void* data) {
  auto* dump = static_cast<MarkedDump*>(data);
  if (const auto tag = dump->tag_of(nlh); tag && tag->protocol == dump->marker) {
    const auto* bytes = reinterpret_cast<const char*>(nlh);
    dump->entries.push_back({std::vector<char>(bytes, bytes + nlh->nlmsg_len), tag->table});
  }
  return MNL_CB_OK;
}

// Every rule (RTM_GETRULE) or route (RTM_GETROUTE, all tables) of both families that carries
// `marker`. AF_UNSPEC in the request header asks for all families.
Result<std::vector<MarkedEntry>, std::string> dump_marked(RtnetlinkSocket& socket,
                                                          std::uint16_t type, std::uint8_t marker) {
  const bool rules = type == RTM_GETRULE;
  // A dump that ran while the table changed (EINTR) is repeated; three changes in a row would
  // mean another program is busy rewriting it, and the caller hears about that.
  for (int attempt = 0;; ++attempt) {
    MarkedDump dump{marker, rules ? rule_tag : route_tag, {}};
    std::array<char, kPolicyMessageSize> buf{};
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = type;
    mnl_nlmsg_put_extra_header(nlh, rules ? sizeof(fib_rule_hdr) : sizeof(rtmsg));
    auto r = socket.dump(nlh, keep_marked, &dump);
    if (r) return std::move(dump.entries);
    if (r.error() != EINTR || attempt == 2)
      return Err{errno_text(rules ? "dump rules" : "dump routes", r.error())};
  }
}

// The marked entries of one dump that `parse` understands.
template <typename Entry>
Result<std::vector<Entry>, std::string> list_marked(
    RtnetlinkSocket& socket, std::uint16_t type, std::uint8_t marker,
    std::optional<Entry> (*parse)(const nlmsghdr*)) {
  auto marked = dump_marked(socket, type, marker);
  if (!marked) return Err{marked.error()};
  std::vector<Entry> out;
  for (const MarkedEntry& entry : *marked)
    if (auto parsed = parse(entry.header())) out.push_back(*parsed);
  return out;
}

// What an error says about a marked entry it could not delete.
std::string describe(const MarkedEntry& entry, bool rule) {
  if (rule) {
    if (auto parsed = rule_from_message(entry.header())) return "rule " + parsed->to_string();
  } else if (auto parsed = route_from_message(entry.header())) {
    return "route " + parsed->to_string();
  }
  return std::string(rule ? "rule" : "route") + " in table " + std::to_string(entry.table);
}

// Sends each entry (of `tables`, when given) back as a delete; counts what was really removed.
void delete_stale(RtnetlinkSocket& socket, std::vector<MarkedEntry>& entries,
                  std::optional<TableRange> tables, std::uint16_t type, std::size_t& count,
                  std::string& errors) {
  for (MarkedEntry& entry : entries) {
    if (tables && !tables->contains(entry.table)) continue;
    auto* nlh = reinterpret_cast<nlmsghdr*>(entry.message.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = 0;
    if (auto r = socket.request(nlh); r)
      ++count;
    else
      add_error(errors, "delete stale " + describe(entry, type == RTM_DELRULE), r.error());
  }
}

// Adds `entries` in order until one fails; returns how many went in, and the failure, if any,
// in `failure`.
template <typename Entry, typename Add>
std::size_t add_in_order(const std::vector<Entry>& entries, const char* what, Add add,
                         std::string& failure) {
  for (std::size_t added = 0; added < entries.size(); ++added) {
    if (auto r = add(entries[added]); !r) {
      failure =
          errno_text(std::string("add ") + what + " " + entries[added].to_string(), r.error());
      return added;
    }
  }
  return entries.size();
}

}  // namespace

PolicyRoutes::PolicyRoutes(RtnetlinkSocket socket, std::uint8_t marker)
    : socket_(std::move(socket)), marker_(marker) {}

Result<PolicyRoutes, std::string> PolicyRoutes::open(std::uint8_t marker) {
  auto socket = RtnetlinkSocket::open();
  if (!socket) return Err{socket.error()};
  return PolicyRoutes(std::move(socket).value(), marker);
}

Result<Ok, int> PolicyRoutes::change_rule(const PolicyRule& rule, bool add) {
  std::array<char, kPolicyMessageSize> buf{};
  return socket_.request(put_rule_request(buf.data(), rule, marker_, add));
}

Result<Ok, int> PolicyRoutes::change_route(const TableRoute& route, bool add) {
  std::array<char, kPolicyMessageSize> buf{};
  return socket_.request(put_route_request(buf.data(), route, marker_, add));
}

Result<Ok, std::string> PolicyRoutes::install(const PolicyPlan& plan) {
  if (auto valid = validate(plan); !valid) return valid;
  const auto add_route = [this](const TableRoute& r) { return change_route(r, true); };
  const auto add_rule = [this](const PolicyRule& r) { return change_rule(r, true); };
  // Routes first (see the header); the first failure ends the adding.
  std::string failure;
  const std::size_t routes = add_in_order(plan.routes, "route", add_route, failure);
  std::size_t rules = 0;
  if (failure.empty()) rules = add_in_order(plan.rules, "rule", add_rule, failure);
  if (failure.empty()) {
    auto kept = check_installed(plan);
    if (kept) return Ok{};
    failure = kept.error();
  }
  std::string left;
  delete_planned(plan, rules, routes, left);
  if (!left.empty()) failure += "; undoing the rest failed too: " + left;
  return Err{failure};
}

// A kernel that predates an attribute (FRA_DSCP, or port ranges before Linux 4.17) ignores it
// and installs the rule without that selector: a catch-all where a narrow rule was meant.
Result<Ok, std::string> PolicyRoutes::check_installed(const PolicyPlan& plan) {
  if (plan.rules.empty()) return Ok{};
  auto listed = list_rules();
  if (!listed) return Err{listed.error()};
  for (const PolicyRule& rule : plan.rules)
    if (std::find(listed->begin(), listed->end(), normalized(rule)) == listed->end())
      return Err{"add rule " + rule.to_string() +
                 ": the kernel did not keep every selector (too old for FRA_DSCP?)"};
  return Ok{};
}

void PolicyRoutes::delete_planned(const PolicyPlan& plan, std::size_t rule_count,
                                  std::size_t route_count, std::string& errors) {
  // Rules first, so that no rule is left pointing at a table already emptied.
  while (rule_count > 0) {
    const PolicyRule& rule = plan.rules[--rule_count];
    if (auto r = change_rule(rule, false); !r)
      add_error(errors, "delete rule " + rule.to_string(), r.error());
  }
  while (route_count > 0) {
    const TableRoute& route = plan.routes[--route_count];
    if (auto r = change_route(route, false); !r)
      add_error(errors, "delete route " + route.to_string(), r.error());
  }
}

Result<Ok, std::string> PolicyRoutes::remove(const PolicyPlan& plan) {
  std::string errors;
  delete_planned(plan, plan.rules.size(), plan.routes.size(), errors);
  if (!errors.empty()) return Err{errors};
  return Ok{};
}

Result<RemovedCount, std::string> PolicyRoutes::remove_stale(std::optional<TableRange> tables) {
  auto rules = dump_marked(socket_, RTM_GETRULE, marker_);
  if (!rules) return Err{rules.error()};
  auto routes = dump_marked(socket_, RTM_GETROUTE, marker_);
  if (!routes) return Err{routes.error()};
  RemovedCount removed;
  std::string errors;
  // Rules first, as in remove().
  delete_stale(socket_, *rules, tables, RTM_DELRULE, removed.rules, errors);
  delete_stale(socket_, *routes, tables, RTM_DELROUTE, removed.routes, errors);
  if (!errors.empty()) return Err{errors};
  return removed;
}

Result<std::vector<PolicyRule>, std::string> PolicyRoutes::list_rules() {
  return list_marked(socket_, RTM_GETRULE, marker_, rule_from_message);
}

Result<std::vector<TableRoute>, std::string> PolicyRoutes::list_routes() {
  return list_marked(socket_, RTM_GETROUTE, marker_, route_from_message);
}

}  // namespace tandem::io
