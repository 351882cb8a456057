// ldns for C++ code. ldns/common.h defines the macros `bool`, `true` and `false` unless
// <stdbool.h> came first (its C++ form defines none of them, only the guard ldns checks): without
// it, every line after the include would see `false` as the integer 0. The order is the point,
// hence clang-format is kept off it.
#pragma once

// clang-format off
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers)
#include <ldns/ldns.h>
// clang-format on
