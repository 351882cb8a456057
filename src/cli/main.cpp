// The `tandem` command line. Invoked through a link named `tandem-userspace` it behaves as
// `tandem userspace`, so wg-quick's WG_QUICK_USERSPACE_IMPLEMENTATION can point at it.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/account_command.hpp"
#include "cli/check_command.hpp"
#include "cli/down_command.hpp"
#include "cli/drill_command.hpp"
#include "cli/import_command.hpp"
#include "cli/key_commands.hpp"
#include "cli/mtu_command.hpp"
#include "cli/profile_command.hpp"
#include "cli/reload_command.hpp"
#include "cli/status_command.hpp"
#include "cli/up_arguments.hpp"
#include "daemon/run.hpp"

namespace {

constexpr const char* kLogTargetHelp =
    "auto, stderr, journal or syslog (default auto: once detached, the systemd journal if its "
    "socket exists, else syslog; in the foreground stderr, or the journal's native protocol "
    "when stderr already goes to the journal)";

constexpr const char* kProfileFooter =
    "Reads a hybrid gateway's config and writes what the account's device imports in one "
    "step: wg-quick (the WireGuard apps and wg-quick), qr (its QR code in the terminal, for "
    "the phone apps), png (the QR code as an image), powershell (Windows' built-in L2TP/IPsec "
    "client), mobileconfig (macOS and iOS: L2TP/IPsec, and IKEv2 when the account has "
    "ike_psk) or tandem (a Tandem client: WireGuard with L2TP/IPsec fallback). The account "
    "needs fixed addresses (address, address6): a leased one is known only to the running "
    "gateway. Files are written with mode 0600; key and password files others can read are "
    "refused.";

bool env_says_foreground() {
  const char* v = std::getenv("WG_PROCESS_FOREGROUND");
  return v != nullptr && std::string(v) == "1";
}

int run_as_userspace_alias(int argc, char** argv) {
  tandem::daemon::UserspaceOptions opts;
  CLI::App app{"Tandem userspace WireGuard (wireguard-go compatible)", "tandem-userspace"};
  app.add_flag("-f,--foreground", opts.foreground, "stay in the foreground");
  app.add_option("interface", opts.interface_name, "interface name")->required();
  CLI11_PARSE(app, argc, argv);
  opts.foreground = opts.foreground || env_says_foreground();
  return tandem::daemon::run_userspace(opts);
}

// CLI11 alone answers `tandem foo` with "A subcommand is required", which hides the typo.
bool names_a_command(CLI::App& app, const std::string& word) {
  return !app.get_subcommands([&](CLI::App* s) { return s->check_name(word); }).empty();
}

int report_unknown_command(CLI::App& app, const std::string& word) {
  std::cerr << "tandem: unknown command '" << word << "'\ncommands:\n";
  for (CLI::App* s : app.get_subcommands([](CLI::App*) { return true; }))
    std::cerr << "  " << s->get_name() << "\t" << s->get_description() << "\n";
  return 1;
}

// A command that signals the daemon `tandem up` runs for a config (down, reload): its config
// argument, its --timeout and what it runs with them.
struct DaemonCommand {
  const char* name;
  const char* description;
  const char* footer;
  const char* timeout_help;
};
template <class Options, class Run>
void add_daemon_command(CLI::App& app, const DaemonCommand& c, Options& options, Run run) {
  CLI::App* command = app.add_subcommand(c.name, c.description);
  command->footer(c.footer);
  command
      ->add_option("config", options.target,
                   "the NAME or FILE given to `tandem up` (/etc/tandem/x.toml and x are both x)")
      ->required();
  command->add_option("--timeout", options.timeout_seconds, c.timeout_help)
      ->check(CLI::NonNegativeNumber);
  command->callback([&options, run] { std::exit(run(options, std::cout, std::cerr)); });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 0 && std::filesystem::path(argv[0]).filename() == "tandem-userspace")
    return run_as_userspace_alias(argc, argv);

  CLI::App app{"Tandem: a hybrid WireGuard and L2TP/IPsec VPN gateway and client", "tandem"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tandem " TANDEM_VERSION);

  app.add_subcommand("genkey", "print a new private key (base64)")->callback([] {
    std::exit(tandem::cli::run_genkey(std::cout, STDOUT_FILENO, std::cerr));
  });
  app.add_subcommand("genpsk", "print a new pre-shared key (base64)")->callback([] {
    std::exit(tandem::cli::run_genpsk(std::cout, STDOUT_FILENO, std::cerr));
  });
  app.add_subcommand("pubkey", "read a private key on stdin, print its public key")->callback([] {
    std::exit(tandem::cli::run_pubkey(std::cin, std::cout, std::cerr));
  });

  tandem::daemon::UserspaceOptions userspace;
  auto* us = app.add_subcommand("userspace",
                                "run a WireGuard interface driven over the UAPI "
                                "(drop-in for wireguard-go)");
  us->add_flag("-f,--foreground", userspace.foreground, "stay in the foreground");
  us->add_option("--log-level", userspace.log_level,
                 "trace, debug, info, warn or error (default info)");
  us->add_option("--log-target", userspace.log_target, kLogTargetHelp);
  us->add_option("interface", userspace.interface_name, "interface name")->required();
  us->callback([&] {
    userspace.foreground = userspace.foreground || env_says_foreground();
    std::exit(tandem::daemon::run_userspace(userspace));
  });

  tandem::daemon::UpOptions up;
  auto* upc = app.add_subcommand("up", "run a node from a Tandem TOML config");
  std::string up_positional;
  auto* up_config = upc->add_option("-c,--config", up.config_path, "config file");
  upc->add_option("config", up_positional,
                  "config file, or a bare NAME for /etc/tandem/NAME.toml (as wg-quick up NAME)")
      ->excludes(up_config);
  upc->add_flag("-d,--daemon", up.daemonize, "detach once the interface is up");
  upc->add_option("--log-level", up.log_level, "trace, debug, info, warn or error (default info)");
  upc->add_option("--log-target", up.log_target, kLogTargetHelp);
  upc->callback([&] {
    if (!up_positional.empty())
      up.config_path = tandem::cli::resolve_up_config_argument(up_positional);
    if (up.config_path.empty())
      throw CLI::RequiredError("a config: tandem up FILE, tandem up NAME or tandem up -c FILE");
    std::exit(tandem::daemon::run_up(up));
  });

  tandem::cli::DownOptions down;
  add_daemon_command(
      app,
      {"down", "stop the daemon `tandem up` runs for a config",
       "Finds the daemon through its pidfile (/run/tandem/NAME.pid, or under $TANDEM_RUN_DIR), "
       "sends it SIGTERM and waits until it has let go of the pidfile's lock and exited. Exits 1 "
       "if it was not running (no pidfile, or one nobody holds: that PID is not signalled) or "
       "did not stop within the timeout.",
       "seconds to wait for it to stop (default 15; an L2TP gateway first hangs up every "
       "session)"},
      down, tandem::cli::run_down);

  tandem::cli::ReloadOptions reload;
  add_daemon_command(
      app,
      {"reload", "apply a changed config to the running daemon",
       "Sends SIGHUP to the daemon `tandem up` runs for the config (as `tandem down` finds it) "
       "and waits for its answer. The daemon reads its file again and applies the whole of it "
       "or none of it: WireGuard peers added, removed or changed live (peers whose key stays "
       "keep their sessions), routes with them, and a hybrid gateway's accounts. Exits 1 and "
       "changes nothing when the file does not parse (file:line:column) or changes a setting "
       "that needs a restart (named).",
       "seconds to wait for the daemon's answer (default 15)"},
      reload, tandem::cli::run_reload);

  std::string check_target;
  auto* ck =
      app.add_subcommand("check", "validate a config and show what `tandem up` would create");
  ck->footer(
      "Reads the config exactly as `tandem up` does and prints its warnings and a summary "
      "(interfaces, peers, routes, L2TP role, IPsec connections); secrets are not shown. Exits 1 "
      "with file:line:column and the reason if the file is refused. Needs no root, changes "
      "nothing.");
  std::string check_file;
  auto* check_config = ck->add_option("-c,--config", check_file, "config file (as tandem up -c)");
  ck->add_option("config", check_target, "config file, or a bare NAME for /etc/tandem/NAME.toml")
      ->excludes(check_config);
  ck->callback([&] {
    if (check_target.empty() && check_file.empty())
      throw CLI::RequiredError(
          "a config: tandem check FILE, tandem check NAME or tandem check -c FILE");
    // -c names a file, never a bare NAME in /etc/tandem.
    const std::string target = check_file.empty() || check_file.find('/') != std::string::npos
                                   ? check_file
                                   : "./" + check_file;
    std::exit(
        tandem::cli::run_check(check_target.empty() ? target : check_target, std::cout, std::cerr));
  });

  tandem::cli::DrillOptions drill;
  auto* dr = app.add_subcommand("drill", "test a hybrid client's failover while it runs");
  dr->footer(
      "Asks the daemon to hold its primary path (WireGuard) down for the given time, without "
      "any firewall change, while pinging the gateway's inner address through the tunnel every "
      "20 ms; then reports the time to switch, the time to fail back and the pings lost. Exits 1 "
      "when the secondary did not carry the traffic or it never came back. Needs root (raw "
      "ICMP).");
  dr->add_option("interface", drill.interface_name, "the hybrid client's interface")->required();
  dr->add_option("--seconds", drill.seconds, "how long to hold WireGuard down (default 5)")
      ->check(CLI::Range(1, 3600));
  dr->callback([&] { std::exit(tandem::cli::run_drill(drill, std::cout, std::cerr)); });

  tandem::cli::MtuOptions mtu;
  auto* mt = app.add_subcommand("mtu", "print a stack's MTU budget, layer by layer");
  mt->footer(
      "STACK is wireguard, l2tp, l2tp-ipsec, ipsec, wireguard-in-l2tp-ipsec or "
      "l2tp-ipsec-in-wireguard. Prints what each layer adds to a packet of the largest inner "
      "size that fits the underlay MTU, and that size. With --interface NAME, what path MTU "
      "probing found on each path of that running interface, beside its budget.");
  mt->add_option("stack", mtu.stack, "the stack (optional with --interface)");
  mt->add_option("--interface", mtu.interface_name,
                 "a running interface: what path MTU probing found on each of its paths");
  mt->add_option("--underlay", mtu.underlay, "the underlay's MTU (default 1500)")
      ->check(CLI::Range(576, 65535));
  mt->add_flag("--ipv6", mtu.ipv6, "the underlay is IPv6 (default IPv4)");
  mt->add_option("--esp", mtu.esp, "aes-gcm (default), aes-cbc-sha1, aes-cbc-sha256 or 3des-sha1");
  mt->add_flag("--no-nat-t", mtu.no_nat_t, "ESP without its UDP 4500 header");
  mt->callback([&] {
    if (mtu.stack.empty() && mtu.interface_name.empty())
      throw CLI::RequiredError("stack (or --interface)");
    std::exit(tandem::cli::run_mtu(mtu, std::cout, std::cerr));
  });

  tandem::cli::StatusOptions status;
  auto* st = app.add_subcommand("status", "show interfaces, peers, handshakes and transfer");
  st->add_option("interface", status.interface_name, "only this interface");
  st->add_flag("--json", status.json, "machine-readable output");
  st->callback([&] { std::exit(tandem::cli::run_status(status, std::cout, std::cerr)); });

  tandem::cli::ImportOptions import;
  auto* im = app.add_subcommand("import-wg", "convert a wg-quick .conf file to Tandem TOML");
  im->add_option("file", import.input_path, "wg-quick config")->required();
  im->add_option("-o,--output", import.output_path, "write here instead of stdout");
  im->callback([&] { std::exit(tandem::cli::run_import_wg(import, std::cout, std::cerr)); });

  tandem::cli::ProfileOptions profile;
  auto* pr = app.add_subcommand("profile", "make the file one account's device imports");
  pr->footer(kProfileFooter);
  pr->add_option("--config", profile.config_path, "the gateway's config file")->required();
  pr->add_option("--account", profile.account, "the account's name")->required();
  pr->add_option("--format", profile.format,
                 "wg-quick, qr, png, powershell, mobileconfig or tandem")
      ->required()
      ->check(CLI::IsMember(tandem::cli::kProfileFormats));
  pr->add_option("--endpoint", profile.endpoint,
                 "HOST[:PORT] clients reach the gateway at (default port: its listen_port)")
      ->required();
  pr->add_option("--private-key-file", profile.private_key_file,
                 "the client's WireGuard private key (mode 0600): wg-quick, qr, png, tandem");
  pr->add_option("--l2tp-password-file", profile.l2tp_password_file,
                 "the account's L2TP password, when the gateway keeps only its nt_hash");
  pr->add_option("-o,--output", profile.output_path, "write here (mode 0600) instead of stdout");
  pr->add_flag("--full-tunnel", profile.full_tunnel,
               "route everything through the tunnel (default: the gateway's subnets)");
  pr->add_option("--persistent-keepalive", profile.persistent_keepalive,
                 "seconds between keepalives through NAT (default 25; 0: none)")
      ->check(CLI::Range(0, 65535));
  pr->add_option("--route", profile.routes, "a split route instead of the gateway's subnets")
      ->excludes("--full-tunnel");
  pr->add_option("--dns", profile.dns, "a name server (default: the gateway's [l2tp] dns)");
  pr->add_option("--dns-search", profile.dns_search, "a DNS search domain (needs --dns)");
  pr->add_option("--name", profile.name, "what the device lists (default \"Tandem ACCOUNT\")");
  pr->add_option("--interface", profile.interface_name,
                 "--format tandem: the client's device (default tandem0)");
  pr->callback(
      [&] { std::exit(tandem::cli::run_profile(profile, std::cout, STDOUT_FILENO, std::cerr)); });

  tandem::cli::AccountOptions account;
  auto* ac = app.add_subcommand(
      "account", "manage a gateway's accounts in its store; a running gateway follows at once");
  ac->require_subcommand(1);
  const auto account_action = [&](const char* action, const char* description, bool named) {
    auto* sub = ac->add_subcommand(action, description);
    sub->add_option("-c,--config", account.config_path, "the gateway's config file")->required();
    if (named) sub->add_option("name", account.name, "the account's name")->required();
    sub->callback([&, action] {
      account.action = action;
      std::exit(tandem::cli::run_account(account, std::cout, std::cerr));
    });
    return sub;
  };
  auto* add = account_action("add", "add an account (its addresses leased unless given)", true);
  add->add_option("--public-key", account.public_key, "its WireGuard public key (base64)");
  add->add_flag("--generate-key", account.generate_key, "make its WireGuard key pair here");
  add->add_option("--private-key-out", account.private_key_out,
                  "with --generate-key: the file (mode 0600) the private key goes to");
  add->add_option("--preshared-key-file", account.preshared_key_file,
                  "a WireGuard pre-shared key (mode 0600)");
  add->add_option("--password-file", account.password_file,
                  "its L2TP/PPP password (mode 0600); only its NT hash is kept");
  add->add_flag("--keep-cleartext", account.keep_cleartext,
                "keep the clear password too (CHAP-MD5 clients need it)");
  add->add_option("--ipv4", account.ipv4, "a fixed IPv4 address instead of a lease");
  add->add_option("--ipv6", account.ipv6, "a fixed IPv6 address instead of a lease");
  add->add_option("--subnet", account.subnets, "a network behind it (a site)");
  add->add_option("--mtu-probe-target", account.mtu_probe_target,
                  "where the gateway pings to probe its path MTU (one of its addresses)");
  add->add_option("--class", account.account_class,
                  "its class, such as staff ([[ldap.class]] rules name it)");
  account_action("list", "list the accounts", false)->add_flag("--json", account.json, "as JSON");
  account_action("show", "show one account", true)->add_flag("--json", account.json, "as JSON");
  auto* history = account_action(
      "events", "the history the store keeps: changes, logins, refusals, hang-ups", false);
  history->add_option("name", account.name, "only this account's");
  history->add_option("--limit", account.limit, "how many, newest first (50)");
  history->add_flag("--json", account.json, "as JSON");
  account_action("set-mtu-probe-target",
                 "where the gateway probes its path MTU; without an address, none", true)
      ->add_option("address", account.mtu_probe_target, "one of its addresses");
  account_action("set-class", "its class ([[ldap.class]] rules name it); without one, none", true)
      ->add_option("class", account.account_class, "such as staff: 1-32 of a-z 0-9 _ -");
  account_action("disable", "refuse its logins and end its sessions, keeping it", true);
  account_action("enable", "let a disabled account log in again", true);
  account_action("revoke", "end its sessions and refuse it for good", true);
  account_action("remove", "remove it, freeing its addresses", true);
  auto* rotate = account_action(
      "rotate", "give it a new WireGuard key; the old one works for --overlap more", true);
  rotate->add_option("--public-key", account.public_key, "the new public key (base64)");
  rotate->add_flag("--generate-key", account.generate_key, "make the new key pair here");
  rotate->add_option("--private-key-out", account.private_key_out,
                     "with --generate-key: the file (mode 0600) the private key goes to");
  rotate->add_option("--overlap", account.overlap, "how long the old key keeps working (24h)");
  account_action("import-config", "move a config file's [[account]] sections into the store", false)
      ->add_option("--from", account.from, "the file holding the [[account]] sections")
      ->required();
  auto* csv = account_action(
      "import-csv", "add the accounts of a CSV file, all or none (header: name,public_key,...)",
      false);
  csv->add_option("--from", account.from,
                  "the CSV file: name and any of public_key, password, ipv4, ipv6, subnets")
      ->required();
  csv->add_flag("--keep-cleartext", account.keep_cleartext, "keep clear passwords (CHAP-MD5)");

  if (argc > 1 && argv[1][0] != '-' && !names_a_command(app, argv[1]))
    return report_unknown_command(app, argv[1]);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
