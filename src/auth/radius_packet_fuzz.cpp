// Feeds arbitrary datagrams to the RADIUS decoder and to a client engine with requests
// outstanding (as a response from its server): nothing may crash, a decoded packet must encode
// back to the bytes it came from, and garbage must never complete a request.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "auth/radius_client.hpp"
#include "auth/radius_packet.hpp"
#include "base/seeded_rng.hpp"

using namespace tandem;
using namespace tandem::auth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 2 * radius::kMaxPacketSize) return 0;
  const ByteView bytes(reinterpret_cast<const std::byte*>(data), size);

  if (auto p = radius::decode(bytes)) {
    const auto again = radius::encode(*p);
    const std::size_t length = load_be16(bytes.data() + 2);
    if (!again || !std::equal(again->begin(), again->end(), bytes.begin()) ||
        again->size() != length)
      std::abort();
    (void)p->find_vendor(radius::kVendorMicrosoft, 26);
    for (const auto& a : p->attributes) {
      (void)radius::integer_value(a);
      (void)radius::unhide_user_password(a.value, "secret", p->authenticator);
      (void)radius::ms_chap2_success_string(a.value, 1);
    }
    (void)radius::check_message_authenticator(bytes.first(length), "secret", p->authenticator);
  }

  SeededRng rng(1);
  RadiusClientSettings settings;
  RadiusServer server;
  server.name = "a";
  server.endpoint = *Endpoint::parse("192.0.2.1:1812");
  server.secret = "secret";
  settings.authentication = {server};
  server.endpoint.port = 1813;
  settings.accounting = {server};
  RadiusClient client(settings, rng);
  RadiusOutput out;
  const TimePoint now{};
  client.submit_access({"alice", PapCredentials{"wonderland"}, ""}, now, out);
  client.submit_access({"bob", MsChapV2Credentials{}, ""}, now, out);
  client.submit_accounting(AccountingInput{}, now, out);
  client.on_datagram(bytes, settings.authentication[0].endpoint, now, out);
  client.on_datagram(bytes, settings.accounting[0].endpoint, now, out);
  // Forging a Response Authenticator takes the secret: random bytes never complete a request.
  if (!out.access.empty() || !out.accounting.empty()) std::abort();
  return 0;
}
