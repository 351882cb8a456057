// Small text files the daemon changes and must put back: written in place (the same inode, for a
// file that may be a bind mount, such as /etc/resolv.conf under `ip netns exec`, where a rename
// onto it fails with EBUSY) or replaced whole through a rename (a state file of the daemon's
// own, which a crash must never leave half written).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tandem::io {

// Truncates `path` and writes `text` into the same file (created with mode 0644 if missing),
// then fsync. A crash in between can leave it short: callers keep the text elsewhere first.
Result<Ok, std::string> write_in_place(const std::string& path, std::string_view text);

// Writes `text` to a temporary file beside `path` with `mode`, fsyncs it and renames it over
// `path`: a reader sees the old file or the whole new one.
Result<Ok, std::string> replace_file(const std::string& path, std::string_view text,
                                     mode_t mode = 0600);

// Removes `path`; a file already gone is no error.
Result<Ok, std::string> remove_file(const std::string& path);

}  // namespace tandem::io
