// The storage under the cryptokey routing table (allowed_ips.hpp): for one address family, an
// exact-match map from (network address, prefix length) to a value in one flat open-addressing
// array, plus the set of prefix lengths in use. A longest-prefix match probes the table once per
// length in use, longest first, so its cost depends on how many distinct lengths exist (a
// gateway has two or three: each peer's /32 or /128, its routed subnets, perhaps a default
// route), not on how many prefixes: no pointer chasing, never an allocation. Single-threaded.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.hpp"

namespace tandem::wireguard::detail {

// murmur3's 64-bit finaliser: every input bit reaches every output bit, so neighbouring
// addresses (a pool leases them in sequence) land in unrelated slots.
inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// An IPv4 address as a host-order integer.
struct V4Bits {
  using Word = std::uint32_t;
  static constexpr unsigned kBits = 32;
  static Word load(const std::byte* p) { return load_be32(p); }
  static Word masked(Word a, unsigned length) {
    return length == 0 ? 0 : a & (~Word{0} << (kBits - length));
  }
  static std::uint64_t hash(Word a, unsigned length) {
    return mix64((std::uint64_t{a} << 8) | length);
  }
};

// An IPv6 address as two host-order halves.
struct V6Bits {
  struct Word {
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    friend bool operator==(const Word&, const Word&) = default;
  };
  static constexpr unsigned kBits = 128;
  static Word load(const std::byte* p) { return {load_be64(p), load_be64(p + 8)}; }
  static Word masked(Word a, unsigned length) {
    if (length == 0) return {};
    if (length <= 64) return {a.high & (~std::uint64_t{0} << (64 - length)), 0};
    if (length == 128) return a;
    return {a.high, a.low & (~std::uint64_t{0} << (128 - length))};
  }
  static std::uint64_t hash(Word a, unsigned length) {
    return mix64(a.high ^ mix64(a.low ^ length));
  }
};

template <typename Bits, typename Value>
class PrefixTable {
 public:
  using Word = typename Bits::Word;

  std::size_t size() const { return size_; }

  // The value of the longest prefix holding `address`.
  std::optional<Value> longest_match(Word address) const {
    for (unsigned i = 0; i < length_count_; ++i) {
      const unsigned length = lengths_[i];
      const std::size_t at = index_of(Bits::masked(address, length), length);
      if (at != kNone) return slots_[at].value;
    }
    return std::nullopt;
  }

  // The value `network`/`length` maps to; `network` has its host bits clear.
  const Value* find_exact(Word network, unsigned length) const {
    const std::size_t at = index_of(network, length);
    return at == kNone ? nullptr : &slots_[at].value;
  }

  // Maps `network`/`length` to `value`; returns the value it replaced, if any.
  std::optional<Value> insert_or_assign(Word network, unsigned length, const Value& value) {
    if (const std::size_t at = index_of(network, length); at != kNone) {
      std::optional<Value> old = slots_[at].value;
      slots_[at].value = value;
      return old;
    }
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.empty() ? 16 : slots_.size() * 2);
    place({network, static_cast<std::uint8_t>(length), value});
    ++size_;
    if (length_users_[length]++ == 0) rebuild_lengths();
    return std::nullopt;
  }

  bool erase(Word network, unsigned length) {
    const std::size_t at = index_of(network, length);
    if (at == kNone) return false;
    erase_slot(at);
    --size_;
    if (--length_users_[length] == 0) rebuild_lengths();
    // Shrink after mass removals, with room to spare so that add/remove cycles do not rehash.
    if (slots_.size() > 16 && size_ * 8 < slots_.size()) rehash(slots_.size() / 2);
    return true;
  }

  void clear() { *this = PrefixTable{}; }

 private:
  static constexpr std::uint8_t kEmpty = 0xff;  // no length is that long
  static constexpr std::size_t kNone = ~std::size_t{0};
  struct Slot {
    Word network{};
    std::uint8_t length = kEmpty;
    Value value{};
  };

  std::size_t home(Word network, unsigned length) const {
    return static_cast<std::size_t>(Bits::hash(network, length)) & (slots_.size() - 1);
  }

  // Linear probing: a run of occupied slots ends at an empty one, and erase_slot keeps every
  // entry reachable from its home slot without tombstones.
  std::size_t index_of(Word network, unsigned length) const {
    if (slots_.empty()) return kNone;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = home(network, length);; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.length == kEmpty) return kNone;
      if (slot.length == length && slot.network == network) return i;
    }
  }

  void place(const Slot& entry) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = home(entry.network, entry.length);
    while (slots_[i].length != kEmpty) i = (i + 1) & mask;
    slots_[i] = entry;
  }

  // Backward-shift deletion (Knuth, TAOCP vol. 3, 6.4 Algorithm R): entries after the hole
  // whose home slot is not between the hole and themselves move into it.
  void erase_slot(std::size_t hole) {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t j = (hole + 1) & mask; slots_[j].length != kEmpty; j = (j + 1) & mask) {
      const std::size_t h = home(slots_[j].network, slots_[j].length);
      const bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
      if (stays) continue;
      slots_[hole] = slots_[j];
      hole = j;
    }
    slots_[hole] = Slot{};
  }

  void rehash(std::size_t capacity) {
    std::vector<Slot> old(capacity);
    old.swap(slots_);
    for (const Slot& slot : old)
      if (slot.length != kEmpty) place(slot);
  }

  void rebuild_lengths() {
    length_count_ = 0;
    for (unsigned length = Bits::kBits + 1; length-- > 0;)
      if (length_users_[length] != 0) lengths_[length_count_++] = static_cast<std::uint8_t>(length);
  }

  std::vector<Slot> slots_;  // a power of two in size, at most half full
  std::size_t size_ = 0;
  std::array<std::uint32_t, Bits::kBits + 1> length_users_{};  // prefixes of each length
  std::array<std::uint8_t, Bits::kBits + 1> lengths_{};        // the lengths in use, longest first
  unsigned length_count_ = 0;
};

}  // namespace tandem::wireguard::detail
