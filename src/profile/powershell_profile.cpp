#include "profile/powershell_profile.hpp"

namespace tandem::profile {
namespace {

constexpr std::string_view kUtf8ByteOrderMark = "\xEF\xBB\xBF";
constexpr std::string_view kPolicyAgentKey =
    R"(HKLM:\SYSTEM\CurrentControlSet\Services\PolicyAgent)";

// The UTF-8 length of a single-quote character PowerShell accepts at `text[i]`; 0 for none.
std::size_t single_quote_at(std::string_view text, std::size_t i) {
  if (text[i] == '\'') return 1;
  // U+2018 LEFT, U+2019 RIGHT, U+201A LOW-9 and U+201B HIGH-REVERSED-9 SINGLE QUOTATION MARK.
  if (i + 2 < text.size() && text.substr(i, 2) == "\xE2\x80") {
    const auto third = static_cast<unsigned char>(text[i + 2]);
    if (third >= 0x98 && third <= 0x9B) return 3;
  }
  return 0;
}

std::string add_connection(const ProfileInput& input, const std::string& name) {
  std::string out =
      "Remove-VpnConnection -Name " + name + " -Force -ErrorAction SilentlyContinue\n";
  out += "Add-VpnConnection -Name " + name + " -ServerAddress " +
         powershell_quote(input.endpoint_host) + " -TunnelType L2tp `\n";
  out += "    -L2tpPsk " + powershell_quote(input.l2tp->ipsec_psk) +
         " -AuthenticationMethod MSChapv2 -EncryptionLevel Required `\n";
  out += "    -RememberCredential -Force";
  if (!input.full_tunnel()) out += " -SplitTunneling";
  if (!input.dns_search.empty()) out += " -DnsSuffix " + powershell_quote(input.dns_search[0]);
  out += "\n";
  // L2TP carries IPv4 only; Windows adds nothing else for a split connection.
  if (!input.full_tunnel())
    for (const auto& route : input.ipv4_split_routes())
      out += "Add-VpnConnectionRoute -ConnectionName " + name + " -DestinationPrefix " +
             powershell_quote(route.to_string()) + "\n";
  return out;
}

// rasdial saves the login with a -RememberCredential connection. Windows PowerShell 5.1 hands a
// '"' inside an argument to a native program unescaped, which would cut the password short.
std::string save_login(const ProfileInput& input, const std::string& name) {
  std::string out =
      "\n# The login: one dial saves it with the connection (-RememberCredential), then hangs "
      "up.\n";
  if (input.l2tp->password.find('"') != std::string::npos) {
    return out +
           "# The password holds a double quote, which Windows PowerShell cannot pass to "
           "rasdial intact:\n# type it at the first connection instead (user " +
           printable(input.l2tp->user) + ").\n";
  }
  out += "rasdial " + name + " " + powershell_quote(input.l2tp->user) + " " +
         powershell_quote(input.l2tp->password) + "\n";
  out +=
      "if ($LASTEXITCODE -ne 0) { Write-Warning \"rasdial could not connect (error "
      "$LASTEXITCODE); the login is asked for at the first connection\" }\n";
  out += "rasdial " + name + " /disconnect | Out-Null\n";
  return out;
}

std::string behind_nat_step() {
  std::string out =
      "\n# Windows sets up no IPsec security association with a server behind NAT, and none "
      "when both\n# ends are, unless AssumeUDPEncapsulationContextOnSendRule is 2 (Microsoft KB "
      "926179). With\n# -BehindNat this script sets it (as an administrator); Windows reads it "
      "at start-up only.\n";
  out += "if ($BehindNat) {\n";
  out += "  Set-ItemProperty -Path '" + std::string(kPolicyAgentKey) + "' `\n";
  out += "      -Name 'AssumeUDPEncapsulationContextOnSendRule' -Type DWord -Value 2\n";
  out +=
      "  Write-Warning 'Restart Windows before connecting: the NAT setting takes effect at "
      "the next boot.'\n";
  out += "}\n";
  return out;
}

}  // namespace

std::string powershell_quote(std::string_view text) {
  std::string out = "'";
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t quote = single_quote_at(text, i);
    const std::size_t length = quote ? quote : 1;
    const std::string_view c = text.substr(i, length);
    out += c;
    if (quote) out += c;
    i += length;
  }
  return out + "'";
}

Result<std::string, std::string> render_powershell(const ProfileInput& input) {
  if (auto ok = check_profile_input(input); !ok) return Err(ok.error());
  if (!input.l2tp)
    return Err("account '" + printable(input.account) +
               "' has no L2TP login for Windows' L2TP/IPsec client: the gateway needs an [l2tp] "
               "section and the account a password (its password itself when the gateway keeps "
               "only its nt_hash)");
  if (input.l2tp->ipsec_psk.empty())
    return Err(std::string(
        "the gateway serves L2TP without IPsec, which Windows does not dial: give its [l2tp] an "
        "[l2tp.ipsec] section with a psk"));
  const std::string name = powershell_quote(input.display_name());
  std::string out(kUtf8ByteOrderMark);
  out += "# " + printable(input.display_name()) +
         ": L2TP/IPsec for Windows' built-in VPN client, account " + printable(input.account) +
         ".\n";
  out += "# Run: powershell -ExecutionPolicy Bypass -File THIS.ps1 [-BehindNat]\n";
  out +=
      "# -BehindNat: this PC or the gateway is behind NAT (needs an administrator, then a "
      "restart).\n";
  out += "# The script holds the account's secrets: delete it once it has run.\n";
  out += "param([switch]$BehindNat)\n";
  out += "$ErrorActionPreference = 'Stop'\n\n";
  out += add_connection(input, name);
  out += save_login(input, name);
  out += behind_nat_step();
  return out;
}

}  // namespace tandem::profile
