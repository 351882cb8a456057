#!/bin/bash
# Protocol engines are sans-I/O: no sockets, threads, process calls or clocks in their folders.
# Tests beside the code may use threads (to check thread-safety of the parts that promise it).
set -euo pipefail
cd "$(dirname "$0")/../src"
bad=0
for dir in wireguard crypto packet l2tp ppp ipsec hybrid metrics auth dns; do
  [ -d "$dir" ] || continue
  files=$(find "$dir" -name '*.hpp' -o -name '*.cpp' | grep -vE '_(test|fuzz)\.cpp$|/test_[a-z_]+\.(hpp|cpp)$' || true)
  [ -n "$files" ] || continue
  if grep -nE '#include <(sys/socket\.h|thread|unistd\.h|netinet/[a-z_]+\.h|sys/epoll\.h)>|#include "io/|(system_clock|steady_clock|high_resolution_clock)::now|\bsleep\(|std::this_thread' \
      $files; then
    echo "engine folder $dir reaches for I/O, threads or clocks" >&2
    bad=1
  fi
done
[ $bad = 0 ] && echo "engines are sans-I/O"
exit $bad
