// Attribute-Value Pairs (RFC 2661 sections 4.1-4.3): walking the AVPs of a control message,
// appending AVPs to one being built, and the hidden-AVP encoding (4.3) that conceals a value with
// an MD5 keystream derived from the tunnel secret and the message's Random Vector.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/rng.hpp"
#include "l2tp/protocol.hpp"

namespace tandem::l2tp {

struct Avp {
  bool mandatory = false;
  bool hidden = false;
  std::uint16_t vendor_id = 0;
  std::uint16_t type = 0;
  ByteView value;  // still concealed when `hidden`
};

enum class AvpError : std::uint8_t {
  kTruncated,     // header or length runs past the message
  kBadLength,     // Length below the 6-byte header
  kReservedBits,  // section 4.1: reserved bits set means the AVP must be treated as unknown
};

// Iterates the AVPs of a control message body; stops at the first malformed one.
class AvpReader {
 public:
  explicit AvpReader(ByteView body) : rest_(body) {}
  // The next AVP, nullopt at a clean end, or an error.
  Result<std::optional<Avp>, AvpError> next();

 private:
  ByteView rest_;
};

// Reveals a hidden AVP's value into `out` (4.3). The result views `out`. Fails when the
// concealed original length does not fit.
Result<ByteView, AvpError> unhide_avp_value(std::uint16_t type, ByteView concealed,
                                            std::string_view secret, ByteView random_vector,
                                            std::vector<std::byte>& out);

// Builds the AVP list of one control message. When given a secret, `hide` marks which AVPs are
// concealed; a Random Vector AVP is emitted before the first hidden one.
class AvpWriter {
 public:
  explicit AvpWriter(std::vector<std::byte>& out) : out_(out) {}
  AvpWriter(std::vector<std::byte>& out, std::string_view secret, std::span<const AvpType> hide,
            Rng& rng)
      : out_(out), secret_(secret), hide_(hide), rng_(&rng) {}

  void add_u16(AvpType type, std::uint16_t value, bool mandatory = true);
  void add_u32(AvpType type, std::uint32_t value, bool mandatory = true);
  void add_bytes(AvpType type, ByteView value, bool mandatory = true);
  void add_string(AvpType type, std::string_view value, bool mandatory = true) {
    add_bytes(type, as_bytes(value), mandatory);
  }

 private:
  bool should_hide(AvpType type) const;
  void add_plain(AvpType type, ByteView value, bool mandatory, bool hidden);

  std::vector<std::byte>& out_;
  std::string_view secret_;
  std::span<const AvpType> hide_;
  Rng* rng_ = nullptr;
  std::vector<std::byte> random_vector_;
};

}  // namespace tandem::l2tp
