#include "ipsec/ike/v1/chain.hpp"

#include <openssl/crypto.h>

#include "ipsec/ike/wire.hpp"

namespace tandem::ipsec::ike::v1 {
namespace {

constexpr std::size_t kGenericHeader = 4;

struct Item {
  PayloadType type;
  std::size_t offset;
  std::size_t length;
};

// Walks the generic headers; calls `visit` for each payload until it returns true.
template <typename Visit>
std::optional<std::size_t> walk(PayloadType first, ByteView chain, Visit visit) {
  std::size_t off = 0;
  PayloadType type = first;
  while (type != PayloadType::kNone) {
    if (chain.size() - off < kGenericHeader) return std::nullopt;
    const auto next = static_cast<PayloadType>(wire::u8(chain, off));
    const std::size_t len =
        (std::size_t{wire::u8(chain, off + 2)} << 8) | std::size_t{wire::u8(chain, off + 3)};
    if (len < kGenericHeader || chain.size() - off < len) return std::nullopt;
    if (visit(Item{type, off, len})) return off;
    off += len;
    type = next;
  }
  return off;
}

}  // namespace

std::optional<std::size_t> chain_length(PayloadType first, ByteView chain) {
  return walk(first, chain, [](const Item&) { return false; });
}

std::optional<ByteView> raw_body(PayloadType first, ByteView chain, PayloadType wanted,
                                 std::size_t nth) {
  std::optional<ByteView> found;
  walk(first, chain, [&](const Item& item) {
    if (item.type != wanted) return false;
    if (nth-- > 0) return false;
    found = chain.subspan(item.offset + kGenericHeader, item.length - kGenericHeader);
    return true;
  });
  return found;
}

std::optional<HashedBody> split_hashed(PayloadType first, ByteView body) {
  if (first != PayloadType::kHash || body.size() < kGenericHeader) return std::nullopt;
  const auto rest_first = static_cast<PayloadType>(wire::u8(body, 0));
  const std::size_t len = (std::size_t{wire::u8(body, 2)} << 8) | std::size_t{wire::u8(body, 3)};
  if (len < kGenericHeader || body.size() < len) return std::nullopt;
  const ByteView after = body.subspan(len);
  const auto rest_len = chain_length(rest_first, after);
  if (!rest_len) return std::nullopt;
  return HashedBody{body.subspan(kGenericHeader, len - kGenericHeader), rest_first,
                    after.first(*rest_len)};
}

bool same_hash(ByteView a, ByteView b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<std::vector<Payload>> checked_payloads(const HashedBody& body,
                                                     const std::vector<std::byte>& expected) {
  if (!same_hash(expected, body.hash)) return std::nullopt;
  auto payloads = decode_payloads(body.rest_first, body.rest);
  if (!payloads) return std::nullopt;
  return std::move(*payloads);
}

std::vector<std::byte> join_hashed(ByteView hash, PayloadType rest_first, ByteView rest) {
  std::vector<std::byte> out;
  out.reserve(kGenericHeader + hash.size() + rest.size());
  wire::put8(out, static_cast<std::uint8_t>(rest_first));
  wire::put8(out, 0);
  wire::put16(out, static_cast<std::uint16_t>(kGenericHeader + hash.size()));
  wire::put(out, hash);
  wire::put(out, rest);
  return out;
}

}  // namespace tandem::ipsec::ike::v1
