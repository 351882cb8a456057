// What idle peers cost a WireGuard device: the heap one takes (its keys, timers, index and key
// tables, and its allowed IP in the routing table) and the time to add them, as a start-up with
// that many configured peers pays it (the static-static DH waits for a peer's first handshake).
// Heap in use is read from glibc (mallinfo2) before and after; the process is single-threaded here,
// so the main arena holds all of it.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <vector>

#include "base/seeded_rng.hpp"
#include "crypto/x25519.hpp"
#include "wireguard/device.hpp"
#include "wireguard/test_network.hpp"

namespace tandem::bench {
namespace {

std::size_t heap_in_use() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;  // small chunks in use, and mmap()ed large ones
}

void BM_WireguardAddIdlePeers(benchmark::State& state) {
  const auto count = static_cast<std::uint32_t>(state.range(0));
  SeededRng rng(9);
  // Any 32 bytes are an X25519 public key (RFC 7748 section 5), so random ones stand for the
  // configured peers without the cost of deriving each from a private key.
  std::vector<wireguard::PublicKey> keys(count);
  for (auto& key : keys) rng.fill(key);
  wireguard::testing::FakeWallClock wall;
  std::size_t bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto device = std::make_unique<wireguard::Device>(rng, wall);
    device->set_private_key(crypto::x25519_generate_private(rng));
    const std::size_t before = heap_in_use();
    state.ResumeTiming();
    for (std::uint32_t i = 0; i < count; ++i) {
      const wireguard::PeerId id = device->add_peer(keys[i]);
      device->set_endpoint(id, Endpoint{IpAddress::v4_from_u32(0xc6336400 + (i & 0xff)),
                                        static_cast<std::uint16_t>(1024 + (i >> 8))});
      // As the daemon configures a peer: its allowed IPs replace whatever it had.
      device->clear_allowed_ips(id);
      device->add_allowed_ip(id, IpPrefix(IpAddress::v4_from_u32(0x0a000002 + i), 32));
    }
    state.PauseTiming();
    bytes = heap_in_use() - before;
    if (device->peer_count() != count) state.SkipWithError("peers are missing");
    device.reset();
    state.ResumeTiming();
  }
  state.counters["peers"] = count;
  state.counters["bytes_per_peer"] = static_cast<double>(bytes) / count;
  state.SetItemsProcessed(state.iterations() * count);
}
BENCHMARK(BM_WireguardAddIdlePeers)
    ->Arg(10000)
    ->Arg(100000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace tandem::bench
