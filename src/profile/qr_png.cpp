// render_qr_png (qr_code.hpp): libpng's simplified API writes the image to memory, with no
// setjmp error handling to cross C++ frames.
#include <png.h>

#include <cstdint>

#include "profile/qr_code.hpp"

namespace tandem::profile {

Result<std::vector<std::byte>, std::string> render_qr_png(const QrCode& code) {
  const int modules = code.size() + 2 * kQrQuietZone;
  const int pixels = modules * kQrPngScale;
  std::vector<std::uint8_t> grey(
      static_cast<std::size_t>(pixels) * static_cast<std::size_t>(pixels), 0xff);
  for (int y = 0; y < pixels; ++y)
    for (int x = 0; x < pixels; ++x)
      if (code.dark(x / kQrPngScale - kQrQuietZone, y / kQrPngScale - kQrQuietZone))
        grey[static_cast<std::size_t>(y) * static_cast<std::size_t>(pixels) +
             static_cast<std::size_t>(x)] = 0;
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(pixels);
  image.height = static_cast<png_uint_32>(pixels);
  image.format = PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&image, nullptr, &size, 0, grey.data(), 0, nullptr))
    return Err("libpng: " + std::string(image.message));
  std::vector<std::byte> png(size);
  if (!png_image_write_to_memory(&image, png.data(), &size, 0, grey.data(), 0, nullptr))
    return Err("libpng: " + std::string(image.message));
  png.resize(size);
  return png;
}

}  // namespace tandem::profile
