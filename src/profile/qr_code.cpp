#include "profile/qr_code.hpp"

#include <qrencode.h>

#include <memory>

namespace tandem::profile {
namespace {

// Black foreground on a bright white background; reset before the line ends so the colours do
// not bleed into what the terminal prints next.
constexpr std::string_view kDarkOnLight = "\x1b[30;107m";
constexpr std::string_view kReset = "\x1b[0m";

struct QrFree {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

}  // namespace

Result<QrCode, std::string> QrCode::encode(std::string_view text) {
  if (text.find('\0') != std::string_view::npos)
    return Err(std::string("a QR code of text cannot hold a NUL byte"));
  const std::string terminated(text);
  // Version 0: the smallest that fits. 8-bit mode, case-sensitive: the text comes back exactly.
  std::unique_ptr<QRcode, QrFree> code(
      QRcode_encodeString(terminated.c_str(), 0, QR_ECLEVEL_L, QR_MODE_8, 1));
  if (!code)
    return Err("the text (" + std::to_string(text.size()) +
               " bytes) does not fit in a QR code; the largest holds 2953");
  const int size = code->width;
  std::vector<bool> modules(static_cast<std::size_t>(size) * static_cast<std::size_t>(size));
  for (std::size_t i = 0; i < modules.size(); ++i) modules[i] = (code->data[i] & 1) != 0;
  return QrCode(size, std::move(modules));
}

bool QrCode::dark(int x, int y) const {
  if (x < 0 || y < 0 || x >= size_ || y >= size_) return false;
  return modules_[static_cast<std::size_t>(y) * static_cast<std::size_t>(size_) +
                  static_cast<std::size_t>(x)];
}

std::string render_qr_terminal(const QrCode& code) {
  const int first = -kQrQuietZone;
  const int last = code.size() + kQrQuietZone;  // one past the quiet zone
  std::string out;
  for (int y = first; y < last; y += 2) {
    out += kDarkOnLight;
    for (int x = first; x < last; ++x) {
      const bool top = code.dark(x, y);
      const bool bottom = y + 1 < last && code.dark(x, y + 1);
      out += top && bottom ? "█" : top ? "▀" : bottom ? "▄" : " ";
    }
    out += kReset;
    out += '\n';
  }
  return out;
}

}  // namespace tandem::profile
