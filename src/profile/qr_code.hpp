// A QR code (ISO/IEC 18004, through libqrencode) of a profile's text, and the two ways it is
// shown: in a terminal, as UTF-8 half blocks, and as a PNG file a phone's camera reads off a
// screen or paper. The WireGuard apps import a wg-quick .conf from one.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"

namespace tandem::profile {

// The light margin around the symbol, in modules, that the standard asks for (4) and that
// scanners need to find the finder patterns against a busy background.
inline constexpr int kQrQuietZone = 4;
// Pixels per module in a PNG: a 61-module code of a typical .conf becomes 552 pixels square,
// sharp on a screen and on paper.
inline constexpr int kQrPngScale = 8;

class QrCode {
 public:
  // Error correction level L, as `qrencode` and the WireGuard documentation use: the smallest
  // symbol for the text, which a camera reads best off a screen. Refused when the text holds a
  // NUL byte or is too long for any version (40).
  static Result<QrCode, std::string> encode(std::string_view text);

  int size() const { return size_; }  // modules per side, without the quiet zone
  // Whether the module at column x, row y is dark; false outside the symbol (the quiet zone).
  bool dark(int x, int y) const;

 private:
  QrCode(int size, std::vector<bool> modules) : size_(size), modules_(std::move(modules)) {}
  int size_ = 0;
  std::vector<bool> modules_;
};

// Two rows of modules per line of text with '▀', '▄', '█' and ' ', the quiet zone around. Each
// line sets black on a white background with ANSI colours and resets them at its end, so the code
// reads the same on dark and light terminals (a scanner needs dark modules on light).
std::string render_qr_terminal(const QrCode& code);

// An 8-bit greyscale PNG: black modules on white, kQrPngScale pixels each, the quiet zone
// around. In memory; the caller writes the file.
Result<std::vector<std::byte>, std::string> render_qr_png(const QrCode& code);

}  // namespace tandem::profile
