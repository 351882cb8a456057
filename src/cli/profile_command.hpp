// `tandem profile`: what one account's device imports in one step, made from the gateway's
// config: a wg-quick file, its QR code (terminal or PNG), a PowerShell script for Windows'
// L2TP/IPsec client, an Apple .mobileconfig or a Tandem client config (profile/).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "profile/profile_input.hpp"

namespace tandem::cli {

struct ProfileOptions {
  std::string config_path;  // the gateway's tandem.toml
  std::string account;
  std::string format;    // wg-quick, qr, png, powershell, mobileconfig or tandem
  std::string endpoint;  // HOST[:PORT] as clients reach the gateway
  std::string private_key_file;
  std::string l2tp_password_file;
  std::string output_path;                 // empty: stdout (not for png)
  std::string name;                        // what the device lists; empty: "Tandem ACCOUNT"
  std::string interface_name = "tandem0";  // --format tandem: the client's device
  bool full_tunnel = false;
  unsigned persistent_keepalive = profile::kDefaultPersistentKeepalive;  // seconds; 0: none
  std::vector<std::string> routes;
  std::vector<std::string> dns;
  std::vector<std::string> dns_search;
};

// The formats, in the order --help lists them.
inline const std::vector<std::string> kProfileFormats{"wg-quick",   "qr",           "png",
                                                      "powershell", "mobileconfig", "tandem"};

// Exit code 0 with the profile on out (or in -o FILE, mode 0600: it holds the account's
// secrets); 1 with the cause and the fix on err. A key or password file that group or others can
// read is refused. out_fd is the descriptor behind out (-1 for none): a file others can read gets
// the warning `tandem genkey` gives.
int run_profile(const ProfileOptions& options, std::ostream& out, int out_fd, std::ostream& err);

}  // namespace tandem::cli
