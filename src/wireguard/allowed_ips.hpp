// The cryptokey routing table (whitepaper section 2): longest-prefix match from an inner IP
// address to the peer allowed to use it, for IPv4 and IPv6. A binary trie per family, one node
// per prefix bit, so lookup is at most 32 or 128 steps and never allocates. Single-threaded.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "base/ip_address.hpp"

namespace tandem::wireguard {

template <typename Value>
class AllowedIps {
 public:
  // Inserting a prefix that exists moves it to the new value (as `wg` does).
  void insert(const IpPrefix& prefix, Value value) {
    Node* node = &root(prefix.address().family());
    const auto* bytes = prefix.address().data();
    for (unsigned bit = 0; bit < prefix.length(); ++bit) {
      auto& child = node->children[bit_at(bytes, bit)];
      if (!child) child = std::make_unique<Node>();
      node = child.get();
    }
    if (!node->value) ++size_;
    node->value = value;
  }

  // Removes one prefix, only if it maps to `value`.
  bool remove(const IpPrefix& prefix, const Value& value) {
    Node* node = &root(prefix.address().family());
    const auto* bytes = prefix.address().data();
    for (unsigned bit = 0; bit < prefix.length() && node; ++bit)
      node = node->children[bit_at(bytes, bit)].get();
    if (!node || !node->value || !(*node->value == value)) return false;
    node->value.reset();
    --size_;
    return true;
  }

  void remove_value(const Value& value) {
    for (auto* r : {&v4_, &v6_}) remove_all(*r, value);
  }

  std::optional<Value> lookup(const IpAddress& address) const {
    return lookup_bytes(address.is_v4() ? v4_ : v6_,
                        reinterpret_cast<const std::byte*>(address.data()),
                        address.is_v4() ? 32 : 128);
  }
  std::optional<Value> lookup_v4(const std::byte* addr4) const {
    return lookup_bytes(v4_, addr4, 32);
  }
  std::optional<Value> lookup_v6(const std::byte* addr16) const {
    return lookup_bytes(v6_, addr16, 128);
  }

  // Every prefix of `value`, IPv4 first, each family in address order.
  std::vector<IpPrefix> prefixes_of(const Value& value) const {
    std::vector<IpPrefix> out;
    std::array<std::uint8_t, 16> bytes{};
    collect(v4_, value, IpAddress::Family::kV4, bytes, 0, out);
    bytes = {};
    collect(v6_, value, IpAddress::Family::kV6, bytes, 0, out);
    return out;
  }

  std::size_t size() const { return size_; }
  void clear() {
    v4_ = Node{};
    v6_ = Node{};
    size_ = 0;
  }

 private:
  struct Node {
    std::optional<Value> value;
    std::array<std::unique_ptr<Node>, 2> children;
  };

  template <typename Byte>
  static unsigned bit_at(const Byte* bytes, unsigned bit) {
    return (static_cast<unsigned>(bytes[bit / 8]) >> (7 - bit % 8)) & 1u;
  }

  Node& root(IpAddress::Family family) { return family == IpAddress::Family::kV4 ? v4_ : v6_; }

  static std::optional<Value> lookup_bytes(const Node& root_node, const std::byte* bytes,
                                           unsigned bits) {
    const Node* node = &root_node;
    std::optional<Value> best = node->value;
    for (unsigned bit = 0; bit < bits; ++bit) {
      node =
          node->children[(std::to_integer<unsigned>(bytes[bit / 8]) >> (7 - bit % 8)) & 1u].get();
      if (!node) break;
      if (node->value) best = node->value;
    }
    return best;
  }

  // Returns true when the node is empty and can be pruned.
  bool remove_all(Node& node, const Value& value) {
    if (node.value && *node.value == value) {
      node.value.reset();
      --size_;
    }
    for (auto& child : node.children)
      if (child && remove_all(*child, value)) child.reset();
    return !node.value && !node.children[0] && !node.children[1];
  }

  static void collect(const Node& node, const Value& value, IpAddress::Family family,
                      std::array<std::uint8_t, 16>& bytes, unsigned depth,
                      std::vector<IpPrefix>& out) {
    if (node.value && *node.value == value) {
      const IpAddress address = family == IpAddress::Family::kV4
                                    ? IpAddress::v4({bytes[0], bytes[1], bytes[2], bytes[3]})
                                    : IpAddress::v6(bytes);
      out.emplace_back(address, depth);
    }
    for (unsigned b = 0; b < 2; ++b) {
      if (!node.children[b]) continue;
      const std::uint8_t mask = static_cast<std::uint8_t>(0x80u >> (depth % 8));
      if (b) bytes[depth / 8] |= mask;
      collect(*node.children[b], value, family, bytes, depth + 1, out);
      if (b) bytes[depth / 8] &= static_cast<std::uint8_t>(~mask);
    }
  }

  Node v4_;
  Node v6_;
  std::size_t size_ = 0;
};

}  // namespace tandem::wireguard
