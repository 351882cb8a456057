// Per-packet lookups by inner address at 1,000, 10,000 and 100,000 peers: WireGuard's cryptokey
// routing table (wireguard/allowed_ips.hpp, what the send path asks for a destination and the
// receive path for a source) and the hybrid gateway's account table (hybrid/accounts.hpp, inner
// address to account). Each peer has a host address, as a pool leases them, one in ten a routed
// subnet as well; lookups go to random peers from an array generated beforehand, so the figures
// show whether the cost per packet depends on the number of peers.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "hybrid/accounts.hpp"
#include "wireguard/allowed_ips.hpp"

namespace tandem::bench {
namespace {

constexpr std::size_t kLookups = 1 << 16;  // more than the caches hold at the larger counts
constexpr std::uint32_t kSubnetEvery = 10;

// Peer i's host address and, for one in ten, its subnet: 10.0.0.0/8 and 100.64.0.0/10 /24s for
// IPv4, fd00::/64 and fd01:0:0:x::/64s for IPv6.
IpAddress host_address(bool v4, std::uint32_t i) {
  if (v4) return IpAddress::v4_from_u32(0x0a000002 + i);
  std::array<std::uint8_t, 16> b{0xfd};
  for (int k = 0; k < 4; ++k) b[15 - k] = static_cast<std::uint8_t>((i + 2) >> (8 * k));
  return IpAddress::v6(b);
}
// Address `host` (a last byte) in peer i's subnet.
IpAddress subnet_address(bool v4, std::uint32_t i, std::uint8_t host) {
  if (v4) return IpAddress::v4_from_u32(0x64400000 + (i << 8) + host);
  std::array<std::uint8_t, 16> b{0xfd, 0x01};
  for (int k = 0; k < 4; ++k) b[7 - k] = static_cast<std::uint8_t>(i >> (8 * k));
  b[15] = host;
  return IpAddress::v6(b);
}
IpPrefix subnet(bool v4, std::uint32_t i) {
  return IpPrefix(subnet_address(v4, i, 0), v4 ? 24 : 64);
}
bool has_subnet(std::uint32_t i) {
  return i % kSubnetEvery == 0;
}

// Random lookups, nine in ten to a peer's host address and one in ten into a peer's subnet, and
// the peer each should find.
struct Lookups {
  Lookups(bool v4, std::uint32_t peers) {
    std::mt19937 gen(42);
    std::uniform_int_distribution<std::uint32_t> pick(0, peers - 1);
    std::uniform_int_distribution<int> host_byte(0, 255);
    for (std::size_t n = 0; n < kLookups; ++n) {
      std::uint32_t peer = pick(gen);
      IpAddress a = host_address(v4, peer);
      if (n % kSubnetEvery == 0) {
        peer -= peer % kSubnetEvery;
        a = subnet_address(v4, peer, static_cast<std::uint8_t>(host_byte(gen)));
      }
      addresses.push_back(a);
      expected.push_back(peer);
    }
  }
  const std::byte* bytes(std::size_t n) const {
    return reinterpret_cast<const std::byte*>(addresses[n % kLookups].data());
  }
  std::vector<IpAddress> addresses;
  std::vector<std::uint32_t> expected;
};

void BM_AllowedIpsLookup(benchmark::State& state, bool v4) {
  const auto peers = static_cast<std::uint32_t>(state.range(0));
  wireguard::AllowedIps<std::uint32_t> table;
  for (std::uint32_t i = 0; i < peers; ++i) {
    table.insert(IpPrefix(host_address(v4, i), v4 ? 32 : 128), i);
    if (has_subnet(i)) table.insert(subnet(v4, i), i);
  }
  const Lookups lookups(v4, peers);
  for (std::size_t n = 0; n < kLookups; ++n) {
    if (table.lookup(lookups.addresses[n]) != lookups.expected[n]) {
      state.SkipWithError("a lookup found the wrong peer");
      return;
    }
  }
  std::size_t n = 0;
  for (auto _ : state) {
    const auto peer = v4 ? table.lookup_v4(lookups.bytes(n)) : table.lookup_v6(lookups.bytes(n));
    benchmark::DoNotOptimize(peer);
    ++n;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_AllowedIpsLookup, v4, true)
    ->ArgName("peers")
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000);
BENCHMARK_CAPTURE(BM_AllowedIpsLookup, v6, false)
    ->ArgName("peers")
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000);

void BM_AccountOwnerOfV4(benchmark::State& state) {
  const auto count = static_cast<std::uint32_t>(state.range(0));
  std::vector<hybrid::AccountSpec> specs(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    specs[i].name = "account" + std::to_string(i);
    specs[i].ipv4 = host_address(true, i);
    if (has_subnet(i)) specs[i].subnets.push_back(subnet(true, i));
  }
  const auto table = hybrid::AccountTable::create(std::move(specs), hybrid::AddressPlan{});
  if (!table) {
    state.SkipWithError(table.error().c_str());
    return;
  }
  const Lookups lookups(true, count);
  for (std::size_t n = 0; n < kLookups; ++n) {
    // Account ids are 1-based, in config order.
    if (table->owner_of_v4(lookups.bytes(n)) != lookups.expected[n] + 1) {
      state.SkipWithError("a lookup found the wrong account");
      return;
    }
  }
  std::size_t n = 0;
  for (auto _ : state) {
    const auto account = table->owner_of_v4(lookups.bytes(n));
    benchmark::DoNotOptimize(account);
    ++n;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AccountOwnerOfV4)->ArgName("accounts")->Arg(1000)->Arg(10000)->Arg(100000);

}  // namespace
}  // namespace tandem::bench
