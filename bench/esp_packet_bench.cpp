// ESP (RFC 4303) seal and open as the SA database runs them for each packet: AES-256-GCM-16
// (RFC 4106) and AES-256-CBC with HMAC-SHA1-96 (RFC 3602, RFC 2404), the transforms the
// built-in clients of Windows, macOS and Android propose. Open includes the anti-replay check
// and window update.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <optional>

#include "crypto/random.hpp"
#include "esp_keys.hpp"
#include "ipsec/esp/sa.hpp"
#include "packet_slots.hpp"

namespace tandem::bench {
namespace {

using ipsec::esp::Cipher;
using ipsec::esp::InboundSa;
using ipsec::esp::OutboundSa;

constexpr std::uint32_t kSpi = 0xc0ffee01;

void BM_EspSeal(benchmark::State& state, Cipher cipher) {
  const std::size_t size = packet_size(state);
  auto sa = OutboundSa::create(kSpi, esp_keys(cipher));
  if (!sa) {
    state.SkipWithError(sa.error().c_str());
    return;
  }
  crypto::SystemRng rng;  // the CBC IVs come from the system CSPRNG, as in the daemon
  Slot slot(size);
  const Packet payload = slot.hold(pattern(size));
  for (auto _ : state) {
    Packet p = payload;
    const auto sealed = sa->seal(p, ipsec::esp::kNextIpv4, rng);
    benchmark::DoNotOptimize(sealed);
    benchmark::DoNotOptimize(p.slot);
    benchmark::ClobberMemory();
  }
  if (sa->last_sequence() != state.iterations()) state.SkipWithError("a packet was not sealed");
  set_packet_rates(state, size);
}
BENCHMARK_CAPTURE(BM_EspSeal, aes256gcm, Cipher::kAesGcm16)->Apply(packet_sizes);
BENCHMARK_CAPTURE(BM_EspSeal, aes256cbc_sha1, Cipher::kAesCbc)->Apply(packet_sizes);

void BM_EspOpen(benchmark::State& state, Cipher cipher) {
  const std::size_t size = packet_size(state);
  auto outbound = OutboundSa::create(kSpi, esp_keys(cipher));
  auto inbound = InboundSa::create(kSpi, esp_keys(cipher));
  if (!outbound || !inbound) {
    state.SkipWithError("cannot key the SAs");
    return;
  }
  crypto::SystemRng rng;
  const auto payload = pattern(size);
  SealedBatch batch(payload, [&](std::size_t, Packet& p) {
    return static_cast<bool>(outbound->seal(p, ipsec::esp::kNextIpv4, rng));
  });
  // A fresh SA with the same keys: its replay window takes the batch's sequence numbers again.
  const auto fresh_window = [&] { inbound = InboundSa::create(kSpi, esp_keys(cipher)); };
  // Checked once, untimed: the first packet opens to what was sealed.
  Packet& first = batch.next(state, fresh_window);
  const auto next_header = inbound->open(first);
  if (!batch.ok() || !next_header || *next_header != ipsec::esp::kNextIpv4 ||
      !std::equal(payload.begin(), payload.end(), first.bytes().begin(), first.bytes().end())) {
    state.SkipWithError("opened packet differs from the sealed one");
    return;
  }
  batch.restart();
  fresh_window();
  for (auto _ : state) {
    Packet& p = batch.next(state, fresh_window);
    const auto opened = inbound->open(p);
    benchmark::DoNotOptimize(opened);
    benchmark::DoNotOptimize(p.slot);
    if (!opened) {
      state.SkipWithError(ipsec::esp::open_error_name(opened.error()));
      break;
    }
  }
  set_packet_rates(state, size);
}
BENCHMARK_CAPTURE(BM_EspOpen, aes256gcm, Cipher::kAesGcm16)->Apply(packet_sizes);
BENCHMARK_CAPTURE(BM_EspOpen, aes256cbc_sha1, Cipher::kAesCbc)->Apply(packet_sizes);

}  // namespace
}  // namespace tandem::bench
