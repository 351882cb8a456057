#include "cli/account_command.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

#include "cli/account_csv.hpp"
#include "cli/account_view.hpp"
#include "cli/admin_client.hpp"
#include "cli/secret_files.hpp"
#include "cli/store_accounts.hpp"
#include "control/admin_protocol.hpp"
#include "control/config.hpp"
#include "crypto/key_encoding.hpp"
#include "crypto/random.hpp"
#include "crypto/x25519.hpp"
#include "daemon/admin_server.hpp"
#include "daemon/instance_lock.hpp"
#include "hybrid/account_class.hpp"
#include "store/config_import.hpp"

namespace tandem::cli {
namespace {

WallTime wall_now() {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

// The key the account gets: given in base64, or made here with its private half written to
// --private-key-out (mode 0600) for the client (tandem profile --private-key-file takes it).
Result<store::NewWireguardKey, std::string> wireguard_key(const AccountOptions& o) {
  store::NewWireguardKey key;
  if (o.generate_key == !o.public_key.empty())
    return Err(
        std::string("give the account's WireGuard key with --public-key KEY, or make one "
                    "with --generate-key --private-key-out FILE"));
  if (o.generate_key) {
    if (o.private_key_out.empty())
      return Err(
          std::string("--generate-key needs --private-key-out FILE: the client's private "
                      "key is written there (mode 0600) and kept nowhere else"));
    crypto::SystemRng rng;
    const auto private_key = crypto::x25519_generate_private(rng);
    std::string error;
    if (!write_secret_file(o.private_key_out, crypto::base64_encode(private_key.bytes()) + "\n",
                           error))
      return Err("cannot write " + o.private_key_out + ": " + error);
    key.public_key = crypto::x25519_public_key(private_key);
  } else {
    auto bytes = crypto::decode_key_base64(o.public_key);
    if (!bytes)
      return Err("--public-key '" + o.public_key +
                 "' is not a base64 WireGuard key (44 characters ending in '=')");
    key.public_key = crypto::PublicKey(*bytes);
  }
  if (!o.preshared_key_file.empty()) {
    auto text = read_secret_line(o.preshared_key_file, "a pre-shared key");
    if (!text) return Err(text.error());
    auto bytes = crypto::decode_key_base64(*text);
    if (!bytes) return Err(o.preshared_key_file + " does not hold a base64 pre-shared key");
    key.preshared_key = crypto::Key32(std::span<const std::byte, 32>(*bytes));
  }
  return key;
}

// --mtu-probe-target: an address, or none.
Result<std::optional<IpAddress>, std::string> probe_target(const AccountOptions& o) {
  if (o.mtu_probe_target.empty()) return std::optional<IpAddress>();
  auto address = IpAddress::parse(o.mtu_probe_target);
  if (!address)
    return Err("mtu_probe_target '" + o.mtu_probe_target +
               "' is not an address (one of the account's, such as 10.88.0.7)");
  return std::optional<IpAddress>(*address);
}

// --class: a class name, or none.
Result<std::optional<std::string>, std::string> account_class(const AccountOptions& o) {
  if (o.account_class.empty()) return std::optional<std::string>();
  if (auto problem = hybrid::account_class_problem(o.account_class))
    return Err("account " + o.name + ": " + *problem);
  return std::optional<std::string>(o.account_class);
}

Result<store::NewAccount, std::string> new_account(const AccountOptions& o) {
  store::NewAccount a;
  a.name = o.name;
  if (o.generate_key || !o.public_key.empty()) {
    auto key = wireguard_key(o);
    if (!key) return Err(key.error());
    a.wireguard_keys.push_back(*key);
  }
  if (!o.password_file.empty()) {
    auto password = read_secret_line(o.password_file, "a password");
    if (!password) return Err(password.error());
    a.ppp = store::PppLogin{*password, std::nullopt, o.keep_cleartext};
  }
  if (a.wireguard_keys.empty() && !a.ppp)
    return Err("account " + o.name +
               " would have no login: give a WireGuard key (--public-key or --generate-key) "
               "and/or an L2TP password (--password-file)");
  for (const auto& [text, field, family] :
       {std::tuple{o.ipv4, &a.ipv4, "an IPv4"}, std::tuple{o.ipv6, &a.ipv6, "an IPv6"}}) {
    if (text.empty()) continue;
    auto address = IpAddress::parse(text);
    if (!address) return Err("'" + text + "' is not " + family + " address");
    *field = *address;
  }
  for (const auto& s : o.subnets) {
    auto prefix = IpPrefix::parse(s);
    if (!prefix) return Err("'" + s + "' is not a prefix such as 192.168.50.0/24");
    a.subnets.push_back(*prefix);
  }
  auto target = probe_target(o);
  if (!target) return Err(target.error());
  a.mtu_probe_target = *target;
  auto chosen_class = account_class(o);
  if (!chosen_class) return Err(chosen_class.error());
  a.account_class = *chosen_class;
  return a;
}

int list(store::Store& s, const AccountOptions& o, std::ostream& out, std::ostream& err) {
  auto accounts = s.list_accounts();
  if (!accounts) {
    err << "tandem: " << accounts.error().message << "\n";
    return 1;
  }
  if (o.json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& a : *accounts) all.push_back(account_json(a, wall_now()));
    out << all.dump(2) << "\n";
  } else {
    out << render_account_table(*accounts, wall_now());
  }
  return 0;
}

int list_events(store::Store& s, const AccountOptions& o, std::ostream& out, std::ostream& err) {
  auto events = s.list_events(o.limit, o.name);
  if (!events) {
    err << "tandem: " << events.error().message << "\n";
    return 1;
  }
  if (o.json)
    out << events_json(*events).dump(2) << "\n";
  else
    out << render_events(*events);
  return 0;
}

int show(store::Store& s, const AccountOptions& o, std::ostream& out, std::ostream& err) {
  auto account = s.find_account(o.name);
  if (!account || !*account) {
    err << "tandem: "
        << (account ? "no account " + o.name + " in the store (tandem account list shows them)"
                    : account.error().message)
        << "\n";
    return 1;
  }
  out << (o.json ? account_json(**account, wall_now()).dump(2) + "\n"
                 : render_account(**account, wall_now()));
  return 0;
}

int import_config(store::Store& s, const AccountOptions& o, std::ostream& out, std::ostream& err) {
  if (o.from.empty()) {
    err << "tandem: import-config needs --from FILE: the config whose [[account]] sections move "
           "into the store\n";
    return 1;
  }
  auto from = control::load_node_config(o.from);
  if (!from) {
    err << "tandem: " << from.error().to_string() << "\n";
    return 1;
  }
  store::ConfigImportOptions options;
  options.keep_cleartext_passwords = o.keep_cleartext;
  auto report = store::import_config_accounts(s, *from, options);
  if (!report) {
    err << "tandem: " << report.error().message << "\n";
    return 1;
  }
  for (const auto& r : report->rejections)
    err << "tandem: " << o.from << ": [[account]] number " << r.row << ": " << r.reason << "\n";
  if (!report->rejections.empty()) {
    err << "tandem: nothing imported: fix the rows above and run it again\n";
    return 1;
  }
  out << report->imported << " accounts imported from " << o.from << "\n";
  return 0;
}

int import_csv(store::Store& s, const AccountOptions& o, std::ostream& out, std::ostream& err) {
  if (o.from.empty()) {
    err << "tandem: import-csv needs --from FILE.csv\n";
    return 1;
  }
  std::ifstream in(o.from, std::ios::binary);
  if (!in) {
    err << "tandem: cannot read " << o.from << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = parse_account_csv(text.str(), o.keep_cleartext);
  if (!parsed) {
    err << "tandem: " << o.from << ": " << parsed.error() << "\n";
    return 1;
  }
  struct stat st {};
  if (parsed->has_passwords && ::stat(o.from.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    err << "tandem: " << o.from << " holds passwords but group or others can read it: chmod 600 "
        << o.from << " (and change the passwords if others may have read them)\n";
    return 1;
  }
  auto rejections = parsed->rejections;
  if (rejections.empty()) {
    auto report = s.import_accounts(parsed->rows);
    if (!report) {
      err << "tandem: " << report.error().message << "\n";
      return 1;
    }
    for (const auto& r : report->rejections)
      rejections.push_back({parsed->lines[r.row - 1], r.reason});
    if (rejections.empty()) {
      out << report->imported << " accounts imported from " << o.from << "\n";
      return 0;
    }
  }
  for (const auto& r : rejections)
    err << "tandem: " << o.from << ":" << r.line << ": " << r.reason << "\n";
  err << "tandem: nothing imported (" << rejections.size()
      << (rejections.size() == 1 ? " row" : " rows") << " rejected): fix them and run it again\n";
  return 1;
}

}  // namespace

std::optional<long long> parse_seconds(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (...) {
    return std::nullopt;
  }
  if (value < 0) return std::nullopt;
  const std::string unit = text.substr(used);
  if (unit.empty() || unit == "s") return value;
  if (unit == "m") return value * 60;
  if (unit == "h") return value * 3600;
  if (unit == "d") return value * 86400;
  return std::nullopt;
}

namespace {

// After a change to the store: the gateway this config runs here, if any, applies it now (on
// its admin socket) rather than at its next look, and says what it did or why it has not yet.
// Other gateways sharing the store take it at their next look.
void apply_on_running_gateway(const std::string& config_path, std::ostream& out,
                              std::ostream& err) {
  const std::string instance = daemon::instance_name(config_path);
  const std::string socket = daemon::admin_socket_path(instance);
  std::error_code ec;
  if (!std::filesystem::exists(socket, ec)) {
    out << "no gateway runs " << instance << " here; it applies the change when it starts\n";
    return;
  }
  auto body = ask_daemon(socket, control::AdminRequest{control::AdminCommand::kSyncAccounts, 0});
  if (!body) {
    // The daemon's own reason already says what is not applied and why.
    err << "tandem: the store is changed; gateway " << instance << ": " << body.error()
        << " (it applies the change within a second once it can)\n";
    return;
  }
  out << "gateway " << instance << " applied it\n";
}

}  // namespace

int run_account(const AccountOptions& o, std::ostream& out, std::ostream& err) {
  const auto fail = [&](const std::string& why) {
    err << "tandem: " << why << "\n";
    return 1;
  };
  auto config = control::load_node_config(o.config_path);
  if (!config) return fail(config.error().to_string());
  auto opened = open_config_store(*config, o.config_path);
  if (!opened) return fail(opened.error());
  store::Store& s = **opened;
  if (o.action == "list") return list(s, o, out, err);
  if (o.action == "import-config" || o.action == "import-csv") {
    const int rc =
        o.action == "import-config" ? import_config(s, o, out, err) : import_csv(s, o, out, err);
    if (rc == 0) apply_on_running_gateway(o.config_path, out, err);
    return rc;
  }
  if (o.action == "events") return list_events(s, o, out, err);
  if (o.name.empty()) return fail("tandem account " + o.action + " needs the account's name");
  if (o.action == "show") return show(s, o, out, err);
  const auto done = [&](const store::StoreResult<Ok>& r, const std::string& what) {
    if (!r) return fail(r.error().message);
    out << "account " << o.name << " " << what << "\n";
    apply_on_running_gateway(o.config_path, out, err);
    return 0;
  };
  if (o.action == "add") {
    auto account = new_account(o);
    if (!account) return fail(account.error());
    auto added = s.add_account(*account);
    if (!added) return fail(added.error().message);
    out << render_account(*added, wall_now());
    if (o.generate_key)
      out << "the client's private key is in " << o.private_key_out
          << " (tandem profile --private-key-file takes it)\n";
    apply_on_running_gateway(o.config_path, out, err);
    return 0;
  }
  if (o.action == "set-mtu-probe-target") {
    auto target = probe_target(o);
    if (!target) return fail(target.error());
    return done(
        s.set_mtu_probe_target(o.name, *target),
        *target ? "probed at " + (*target)->to_string() : "probed as [accounts] mtu_probing says");
  }
  if (o.action == "set-class") {
    auto chosen = account_class(o);
    if (!chosen) return fail(chosen.error());
    return done(s.set_account_class(o.name, *chosen),
                *chosen ? "is of class " + **chosen : "has no class");
  }
  if (o.action == "disable")
    return done(s.set_state(o.name, store::AccountState::kDisabled), "disabled");
  if (o.action == "enable")
    return done(s.set_state(o.name, store::AccountState::kActive), "enabled");
  if (o.action == "revoke")
    return done(s.set_state(o.name, store::AccountState::kRevoked),
                "revoked for good (its sessions end and its keys are refused)");
  if (o.action == "remove") return done(s.remove_account(o.name), "removed, its leases freed");
  if (o.action == "rotate") {
    auto overlap = parse_seconds(o.overlap);
    if (!overlap)
      return fail("--overlap '" + o.overlap + "' is not a time such as 90s, 30m, 24h or 7d");
    auto account = s.find_account(o.name);
    if (!account) return fail(account.error().message);
    if (!*account) return fail("no account " + o.name + " in the store");
    const store::WireguardKey* current = nullptr;
    for (const auto& k : (*account)->wireguard_keys)
      if (k.valid_at(wall_now()) && !k.not_after) current = &k;
    if (!current)
      return fail("account " + o.name +
                  " has no WireGuard key without an end to rotate; add one with tandem account "
                  "add, or wait for the last rotation's overlap to end");
    auto next = wireguard_key(o);
    if (!next) return fail(next.error());
    return done(
        s.rotate_wireguard_key(o.name, current->public_key, *next, std::chrono::seconds(*overlap)),
        "has a new WireGuard key; the old one works for " + o.overlap + " more");
  }
  return fail("unknown action '" + o.action +
              "': add, list, show, events, set-mtu-probe-target, set-class, disable, enable, "
              "revoke, remove, rotate, import-config or import-csv");
}

}  // namespace tandem::cli
