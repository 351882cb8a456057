#include "cli/profile_command.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>

#include "cli/secret_files.hpp"
#include "cli/store_accounts.hpp"
#include "control/config.hpp"
#include "crypto/key_encoding.hpp"
#include "crypto/random.hpp"
#include "profile/gateway_profile.hpp"
#include "profile/mobileconfig_profile.hpp"
#include "profile/powershell_profile.hpp"
#include "profile/qr_code.hpp"
#include "profile/tandem_client_profile.hpp"
#include "profile/wg_quick_profile.hpp"

namespace tandem::cli {
namespace {

bool needs_private_key(const std::string& format) {
  return format == "wg-quick" || format == "qr" || format == "png" || format == "tandem";
}

template <typename T, typename Parse>
Result<std::vector<T>, std::string> parse_all(const std::vector<std::string>& texts, Parse parse,
                                              const char* what) {
  std::vector<T> out;
  for (const auto& text : texts) {
    auto value = parse(text);
    if (!value) return Err("'" + text + "' is not " + std::string(what));
    out.push_back(*value);
  }
  return out;
}

Result<profile::ProfileRequest, std::string> request_from(const ProfileOptions& o) {
  profile::ProfileRequest r;
  r.account = o.account;
  r.endpoint = o.endpoint;
  r.full_tunnel = o.full_tunnel;
  if (!o.private_key_file.empty()) {
    auto text = read_secret_line(o.private_key_file, "a private key");
    if (!text) return Err(text.error());
    auto bytes = crypto::decode_key_base64(*text);
    if (!bytes)
      return Err(o.private_key_file +
                 " does not hold a base64 WireGuard private key (44 characters ending in '=', "
                 "as `tandem genkey` writes)");
    r.private_key = crypto::PrivateKey(std::span<const std::byte, 32>(*bytes));
  } else if (needs_private_key(o.format)) {
    return Err("--format " + o.format +
               " needs the client's private key: --private-key-file FILE, the key whose public "
               "half (tandem pubkey < FILE) is account " +
               o.account + "'s public_key (make one with tandem genkey > FILE)");
  }
  if (!o.l2tp_password_file.empty()) {
    auto password = read_secret_line(o.l2tp_password_file, "a password");
    if (!password) return Err(password.error());
    r.l2tp_password = *password;
  }
  auto routes = parse_all<IpPrefix>(o.routes, IpPrefix::parse, "a prefix such as 10.0.0.0/8");
  if (!routes) return Err(routes.error());
  r.routes = std::move(*routes);
  auto dns = parse_all<IpAddress>(o.dns, IpAddress::parse, "an IP address of a name server");
  if (!dns) return Err(dns.error());
  r.dns = std::move(*dns);
  r.dns_search = o.dns_search;
  return r;
}

Result<std::string, std::string> render(const std::string& format,
                                        const profile::ProfileInput& input) {
  if (format == "wg-quick") return profile::render_wg_quick(input);
  if (format == "powershell") return profile::render_powershell(input);
  if (format == "tandem") return profile::render_tandem_client(input);
  if (format == "mobileconfig") {
    crypto::SystemRng rng;
    return profile::render_mobileconfig(input, rng);
  }
  // qr and png: the code of the wg-quick file.
  auto conf = profile::render_wg_quick(input);
  if (!conf) return conf;
  auto code = profile::QrCode::encode(*conf);
  if (!code) return Err(code.error());
  if (format == "qr") return profile::render_qr_terminal(*code);
  auto png = profile::render_qr_png(*code);
  if (!png) return Err(png.error());
  return std::string(reinterpret_cast<const char*>(png->data()), png->size());
}

}  // namespace

int run_profile(const ProfileOptions& options, std::ostream& out, int out_fd, std::ostream& err) {
  const auto fail = [&](const std::string& why) {
    err << "tandem: " << why << "\n";
    return 1;
  };
  if (std::find(kProfileFormats.begin(), kProfileFormats.end(), options.format) ==
      kProfileFormats.end())
    return fail("unknown --format '" + options.format +
                "': wg-quick, qr, png, powershell, mobileconfig or tandem");
  if (options.format == "png" && options.output_path.empty())
    return fail(
        "--format png writes an image holding the private key: give -o FILE.png (it is "
        "written with mode 0600)");
  auto config = control::load_node_config(options.config_path);
  if (!config) return fail(config.error().to_string());
  if (auto ok = read_store_accounts(*config); !ok) return fail(ok.error());
  auto request = request_from(options);
  if (!request) return fail(request.error());
  auto made = profile::profile_from_gateway(*config, *request);
  if (!made) return fail(options.config_path + ": " + made.error());
  for (const auto& w : made->warnings) err << "tandem: warning: " << w << "\n";
  made->input.connection_name = options.name;
  made->input.interface_name = options.interface_name;
  made->input.persistent_keepalive = static_cast<std::uint16_t>(options.persistent_keepalive);
  auto text = render(options.format, made->input);
  if (!text) return fail(text.error());
  if (options.output_path.empty()) {
    if (out_fd >= 0) warn_if_others_can_read(out_fd, err);
    out << *text;
    return 0;
  }
  std::string error;
  if (!write_secret_file(options.output_path, *text, error))
    return fail("cannot write " + options.output_path + ": " + error);
  return 0;
}

}  // namespace tandem::cli
