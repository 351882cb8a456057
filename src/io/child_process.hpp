// Running another program and waiting for it: the hook commands of a node (wg-quick's PreUp,
// PostUp, PreDown, PostDown) and resolvconf(8). The child gets the daemon's environment, an
// empty signal mask and default signal handlers (the daemon blocks its signals for signalfd, and
// a hook must still be stoppable), `input` on stdin, and stdout and stderr into one pipe whose
// text is returned.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace tandem::io {

struct ChildOutcome {
  int exit_status = 0;  // the exit status, or 128 + the signal that ended it, as a shell says
  std::string output;   // stdout and stderr, interleaved as written
};

// argv[0] is looked up in PATH. Blocks until the child exits. Output written after that by
// processes the child left behind (a hook's "daemon &") is not waited for.
Result<ChildOutcome, std::string> run_child(const std::vector<std::string>& argv,
                                            std::string_view input = {});

// The first executable PATH entry named `name`, or nullopt.
std::optional<std::string> find_in_path(std::string_view name);

// The whole of a small text file, or nullopt when it cannot be read (absent).
std::optional<std::string> read_text_file(const std::string& path);

}  // namespace tandem::io
