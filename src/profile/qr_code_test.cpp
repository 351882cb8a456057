#include "profile/qr_code.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "base/test_temp_dir.hpp"
#include "profile/test_command.hpp"
#include "profile/test_profile_input.hpp"
#include "profile/wg_quick_profile.hpp"

namespace tandem::profile {
namespace {

constexpr std::string_view kUpperHalf = "▀";
constexpr std::string_view kLowerHalf = "▄";
constexpr std::string_view kFull = "█";

std::string sample_conf() {
  auto conf = render_wg_quick(testing::sample_input());
  EXPECT_TRUE(conf);
  return conf ? *conf : std::string();
}

TEST(QrCode, EncodesAWgQuickFileInAPhoneSizedSymbol) {
  auto code = QrCode::encode(sample_conf());
  ASSERT_TRUE(code) << code.error();
  // Version 10 to 14 for a conf of some 330 bytes at level L: 57 to 73 modules a side.
  EXPECT_GE(code->size(), 57);
  EXPECT_LE(code->size(), 73);
  EXPECT_FALSE(code->dark(-1, 0));
  EXPECT_TRUE(code->dark(0, 0));  // a finder pattern's corner
}

TEST(QrCode, RefusesTextNoSymbolHolds) {
  EXPECT_FALSE(QrCode::encode(std::string(3000, 'x')));
  EXPECT_FALSE(QrCode::encode(std::string("a\0b", 3)));
}

// Each line: the colours, two rows of modules as half blocks, the reset. Read back, the blocks
// give every module of the symbol and the quiet zone light around it.
TEST(QrCode, TerminalTextShowsEveryModuleDarkOnLight) {
  auto code = QrCode::encode(sample_conf());
  ASSERT_TRUE(code) << code.error();
  const std::string text = render_qr_terminal(*code);
  const int side = code->size() + 2 * kQrQuietZone;
  std::istringstream lines(text);
  std::string line;
  int y = -kQrQuietZone;
  for (; std::getline(lines, line); y += 2) {
    const std::string_view prefix = "\x1b[30;107m", suffix = "\x1b[0m";
    ASSERT_TRUE(line.starts_with(prefix)) << "line " << y;
    ASSERT_TRUE(line.ends_with(suffix)) << "line " << y;
    std::string_view cells(line);
    cells = cells.substr(prefix.size(), cells.size() - prefix.size() - suffix.size());
    for (int x = -kQrQuietZone; x < code->size() + kQrQuietZone; ++x) {
      bool top = false, bottom = false;
      if (cells.starts_with(kFull)) {
        top = bottom = true;
        cells.remove_prefix(kFull.size());
      } else if (cells.starts_with(kUpperHalf)) {
        top = true;
        cells.remove_prefix(kUpperHalf.size());
      } else if (cells.starts_with(kLowerHalf)) {
        bottom = true;
        cells.remove_prefix(kLowerHalf.size());
      } else {
        ASSERT_TRUE(cells.starts_with(" ")) << "line " << y << " column " << x;
        cells.remove_prefix(1);
      }
      ASSERT_EQ(top, code->dark(x, y)) << x << "," << y;
      ASSERT_EQ(bottom, code->dark(x, y + 1)) << x << "," << y + 1;
    }
    EXPECT_TRUE(cells.empty());
  }
  EXPECT_GE(y, side - kQrQuietZone);
}

std::uint32_t big_endian_u32(const std::vector<std::byte>& b, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<std::uint32_t>(b[at + i]);
  return v;
}

TEST(QrCode, PngIsScaledWithItsQuietZone) {
  auto code = QrCode::encode(sample_conf());
  ASSERT_TRUE(code) << code.error();
  auto png = render_qr_png(*code);
  ASSERT_TRUE(png) << png.error();
  ASSERT_GT(png->size(), 33u);
  const std::string signature(reinterpret_cast<const char*>(png->data()), 8);
  EXPECT_EQ(signature, "\x89PNG\r\n\x1a\n");
  // IHDR: width and height at bytes 16 and 20.
  const auto side = static_cast<std::uint32_t>((code->size() + 2 * kQrQuietZone) * kQrPngScale);
  EXPECT_EQ(big_endian_u32(*png, 16), side);
  EXPECT_EQ(big_endian_u32(*png, 20), side);
}

// zbarimg (Debian zbar-tools), a decoder nobody here wrote, reads the PNG back to the very text.
TEST(QrCode, ZbarimgDecodesThePngToTheWgQuickText) {
  const std::string conf = sample_conf();
  auto code = QrCode::encode(conf);
  ASSERT_TRUE(code) << code.error();
  auto png = render_qr_png(*code);
  ASSERT_TRUE(png) << png.error();
  tandem::testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.path() + "/alice.png";
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(png->data()), static_cast<std::streamsize>(png->size()));
  const auto [version, found] = testing::run_shell("zbarimg --version 2>/dev/null");
  ASSERT_EQ(found, 0) << "zbarimg is missing: install zbar-tools (scripts/install-deps.sh)";
  // --raw: the data alone, with a newline after it.
  const auto [decoded, status] = testing::run_shell("zbarimg --quiet --raw " + path);
  ASSERT_EQ(status, 0) << "zbarimg found no code in " << path;
  EXPECT_EQ(decoded, conf + "\n");
}

}  // namespace
}  // namespace tandem::profile
