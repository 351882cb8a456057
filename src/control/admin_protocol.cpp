#include "control/admin_protocol.hpp"

#include <array>
#include <utility>

namespace tandem::control {
namespace {

constexpr std::array<std::pair<AdminCommand, std::string_view>, 5> kCommands{{
    {AdminCommand::kStatus, "status"},
    {AdminCommand::kReload, "reload"},
    {AdminCommand::kSyncAccounts, "sync-accounts"},
    {AdminCommand::kDrill, "drill"},
    {AdminCommand::kStop, "stop"},
}};

std::string_view without_blank_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string_view admin_command_name(AdminCommand command) {
  for (const auto& [c, name] : kCommands)
    if (c == command) return name;
  return "?";
}

Result<AdminRequest, std::string> parse_admin_request(std::string_view text) {
  const auto doc = nlohmann::json::parse(without_blank_line(text), nullptr, false);
  const auto* command = doc.is_object() && doc.contains("command") ? &doc.at("command") : nullptr;
  if (!command || !command->is_string())
    return Err(std::string(
        R"(a request is a JSON object naming its command, such as {"command":"status"})"));
  const auto& name = command->get_ref<const std::string&>();
  for (const auto& [c, n] : kCommands) {
    if (n != name) continue;
    AdminRequest request{c, 0};
    if (c != AdminCommand::kDrill) return request;
    const auto seconds = doc.value("seconds", nlohmann::json());
    if (!seconds.is_number_unsigned() || seconds.get<std::uint64_t>() == 0 ||
        seconds.get<std::uint64_t>() > kMaxDrillSeconds)
      return Err("drill needs \"seconds\": 1 to " + std::to_string(kMaxDrillSeconds));
    request.seconds = seconds.get<unsigned>();
    return request;
  }
  std::string known;
  for (const auto& [c, n] : kCommands) known += (known.empty() ? "" : ", ") + std::string(n);
  return Err("unknown command \"" + name + "\" (known: " + known + ")");
}

std::string format_admin_request(const AdminRequest& request) {
  nlohmann::json doc{{"command", admin_command_name(request.command)}};
  if (request.command == AdminCommand::kDrill) doc["seconds"] = request.seconds;
  return doc.dump() + "\n\n";
}

std::string format_admin_reply(nlohmann::json body) {
  if (!body.is_object()) body = nlohmann::json{{"result", std::move(body)}};
  body["ok"] = true;
  // error_handler::replace: a name or a peer's user name with invalid UTF-8 must not throw.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

std::string format_admin_error(std::string_view why) {
  return nlohmann::json{{"ok", false}, {"error", why}}.dump(
             -1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n\n";
}

Result<nlohmann::json, std::string> parse_admin_reply(std::string_view text) {
  auto doc = nlohmann::json::parse(without_blank_line(text), nullptr, false);
  if (!doc.is_object() || !doc.contains("ok") || !doc.at("ok").is_boolean())
    return Err(std::string("the daemon's reply is not an admin reply (a JSON object with \"ok\")"));
  if (!doc.at("ok").get<bool>()) {
    const auto error = doc.value("error", nlohmann::json());
    return Err(error.is_string() ? error.get<std::string>() : std::string("the daemon refused"));
  }
  doc.erase("ok");
  return doc;
}

namespace {

void add_document(nlohmann::json doc, AdminStatus& into) {
  if (doc.value("kind", "") == "wireguard") {
    auto wg = interface_status_from_json(doc);
    if (wg)
      into.wireguard.push_back(std::move(*wg));
    else
      into.errors.push_back(wg.error());
    return;
  }
  // A hybrid or nested interface's paths are documents of their own, rendered on their own.
  // (An L2TP or IPsec document's own "ipsec" object is its IKE state, part of it.)
  const std::string kind = doc.value("kind", "");
  const bool has_paths = kind == "hybrid" || kind == "nested";
  std::vector<nlohmann::json> paths;
  for (const char* part : {"wireguard", "l2tp", "ipsec"})
    if (has_paths && doc.contains(part) && doc[part].is_object()) {
      paths.push_back(std::move(doc[part]));
      doc.erase(part);
    }
  into.documents.push_back(std::move(doc));
  for (auto& p : paths) add_document(std::move(p), into);
}

}  // namespace

void split_admin_status(const nlohmann::json& body, AdminStatus& into) {
  const auto interfaces = body.value("interfaces", nlohmann::json::array());
  for (const auto& doc : interfaces)
    if (doc.is_object()) add_document(doc, into);
}

}  // namespace tandem::control
