// RFC 2661 sections 4.1 (AVP format) and 4.3 (hiding).
#include "l2tp/avp.hpp"

#include <algorithm>

#include "crypto/legacy_digest.hpp"

namespace tandem::l2tp {
namespace {

constexpr std::size_t kMd5Size = 16;
// Hidden values carry their real length in front (4.3 "Hidden AVP Subformat").
constexpr std::size_t kOriginalLengthSize = 2;
// Random padding added to hidden values so their length does not reveal the secret's.
constexpr std::size_t kMaxHidingPad = 15;

// The 4.3 keystream: b1 = MD5(type ‖ secret ‖ RV), b(i) = MD5(secret ‖ c(i-1)), where c is the
// ciphertext. `xor_in_place` runs it over `data` in either direction; `ciphertext_of` tells which
// bytes feed the next block (the input when revealing, the output when concealing).
void md5_keystream(std::uint16_t type, std::string_view secret, ByteView random_vector,
                   MutableByteView data, bool concealing) {
  std::vector<std::byte> input;
  std::array<std::byte, 2> type_bytes{};
  store_be16(type_bytes.data(), type);
  input.insert(input.end(), type_bytes.begin(), type_bytes.end());
  const auto secret_bytes = as_bytes(secret);
  input.insert(input.end(), secret_bytes.begin(), secret_bytes.end());
  input.insert(input.end(), random_vector.begin(), random_vector.end());
  for (std::size_t pos = 0; pos < data.size(); pos += kMd5Size) {
    const auto block = crypto::md5(input);
    const std::size_t n = std::min(kMd5Size, data.size() - pos);
    std::array<std::byte, kMd5Size> cipher{};
    for (std::size_t i = 0; i < n; ++i) {
      if (concealing) {
        data[pos + i] ^= block[i];
        cipher[i] = data[pos + i];
      } else {
        cipher[i] = data[pos + i];
        data[pos + i] ^= block[i];
      }
    }
    input.assign(secret_bytes.begin(), secret_bytes.end());
    input.insert(input.end(), cipher.begin(), cipher.begin() + static_cast<std::ptrdiff_t>(n));
  }
}

}  // namespace

Result<std::optional<Avp>, AvpError> AvpReader::next() {
  if (rest_.empty()) return std::optional<Avp>{};
  if (rest_.size() < kAvpHeaderSize) return Err(AvpError::kTruncated);
  const std::uint16_t word = load_be16(rest_.data());
  const std::size_t length = word & kAvpLengthMask;
  if (length < kAvpHeaderSize) return Err(AvpError::kBadLength);
  if (length > rest_.size()) return Err(AvpError::kTruncated);
  Avp avp;
  avp.mandatory = (word & kAvpMandatory) != 0;
  avp.hidden = (word & kAvpHidden) != 0;
  avp.vendor_id = load_be16(rest_.data() + 2);
  avp.type = load_be16(rest_.data() + 4);
  avp.value = rest_.subspan(kAvpHeaderSize, length - kAvpHeaderSize);
  rest_ = rest_.subspan(length);
  if ((word & kAvpReservedBits) != 0) return Err(AvpError::kReservedBits);
  return std::optional<Avp>{avp};
}

Result<ByteView, AvpError> unhide_avp_value(std::uint16_t type, ByteView concealed,
                                            std::string_view secret, ByteView random_vector,
                                            std::vector<std::byte>& out) {
  if (concealed.size() < kOriginalLengthSize) return Err(AvpError::kTruncated);
  out.assign(concealed.begin(), concealed.end());
  md5_keystream(type, secret, random_vector, out, /*concealing=*/false);
  const std::size_t original = load_be16(out.data());
  if (original > out.size() - kOriginalLengthSize) return Err(AvpError::kBadLength);
  return ByteView(out).subspan(kOriginalLengthSize, original);
}

bool AvpWriter::should_hide(AvpType type) const {
  return rng_ != nullptr && !secret_.empty() &&
         std::find(hide_.begin(), hide_.end(), type) != hide_.end();
}

void AvpWriter::add_u16(AvpType type, std::uint16_t value, bool mandatory) {
  std::array<std::byte, 2> b{};
  store_be16(b.data(), value);
  add_bytes(type, b, mandatory);
}

void AvpWriter::add_u32(AvpType type, std::uint32_t value, bool mandatory) {
  std::array<std::byte, 4> b{};
  store_be32(b.data(), value);
  add_bytes(type, b, mandatory);
}

void AvpWriter::add_bytes(AvpType type, ByteView value, bool mandatory) {
  if (!should_hide(type)) {
    add_plain(type, value, mandatory, false);
    return;
  }
  if (random_vector_.empty()) {
    random_vector_.resize(16);
    rng_->fill(random_vector_);
    add_plain(AvpType::kRandomVector, random_vector_, true, false);
  }
  std::array<std::byte, 1> pad_choice{};
  rng_->fill(pad_choice);
  const std::size_t pad = std::to_integer<std::size_t>(pad_choice[0]) % (kMaxHidingPad + 1);
  std::vector<std::byte> sub(kOriginalLengthSize + value.size() + pad);
  store_be16(sub.data(), static_cast<std::uint16_t>(value.size()));
  std::copy(value.begin(), value.end(), sub.begin() + kOriginalLengthSize);
  if (pad > 0) rng_->fill(MutableByteView(sub).subspan(kOriginalLengthSize + value.size()));
  md5_keystream(static_cast<std::uint16_t>(type), secret_, random_vector_, sub, true);
  add_plain(type, sub, mandatory, true);
}

void AvpWriter::add_plain(AvpType type, ByteView value, bool mandatory, bool hidden) {
  const std::size_t length = kAvpHeaderSize + value.size();
  std::array<std::byte, kAvpHeaderSize> h{};
  std::uint16_t word = static_cast<std::uint16_t>(length & kAvpLengthMask);
  if (mandatory) word |= kAvpMandatory;
  if (hidden) word |= kAvpHidden;
  store_be16(h.data(), word);
  store_be16(h.data() + 2, kIetfVendorId);
  store_be16(h.data() + 4, static_cast<std::uint16_t>(type));
  out_.insert(out_.end(), h.begin(), h.end());
  out_.insert(out_.end(), value.begin(), value.end());
}

}  // namespace tandem::l2tp
