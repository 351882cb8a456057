#!/bin/bash
# The whole test suite: unit tests, engine-pair tests, namespace integration and interop against
# wireguard-go and tshark (release build), the unit tests again under ASan+UBSan, and every fuzz
# target for a bounded time. Needs root for the namespace tests. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-20}

./scripts/install-deps.sh
./scripts/build.sh release asan fuzz

failures=()
echo "=== release: all tests (unit, netns, interop)"
ctest --preset release -j2 || failures+=("release ctest")
echo "=== asan+ubsan: unit tests"
ctest --preset asan -j2 || failures+=("asan ctest")
echo "=== fuzz targets, ${FUZZ_SECONDS}s each"
for target in build/fuzz/bin/*_fuzz; do
  name=$(basename "$target")
  corpus="tests/fuzz_corpus/$name"
  work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
  if "$target" -max_total_time="$FUZZ_SECONDS" -max_len=4096 -print_final_stats=0 "$work" \
      >"$work/log" 2>&1; then
    echo "fuzz $name: ok ($(grep -o 'Done [0-9]* runs' "$work/log" || echo 'ran'))"
  else
    echo "fuzz $name: CRASH"; tail -40 "$work/log"; failures+=("fuzz $name")
  fi
  rm -rf "$work"
done

if [ ${#failures[@]} -ne 0 ]; then
  echo "=== FAILED: ${failures[*]}"
  exit 1
fi
echo "=== all tests passed"
