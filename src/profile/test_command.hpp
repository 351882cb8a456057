// Running a tool nobody here wrote (zbarimg, python3) on what a profile test generated.
#pragma once

#include <stdio.h>
#include <sys/wait.h>

#include <string>
#include <utility>

namespace tandem::profile::testing {

// The standard output of `sh -c command` and its exit status (-1 if it did not exit).
inline std::pair<std::string, int> run_shell(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return {"", -1};
  std::string out;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  const int status = ::pclose(pipe);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

}  // namespace tandem::profile::testing
