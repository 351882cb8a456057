#!/bin/bash
# The whole test suite: unit tests, engine-pair tests, namespace integration and interop against
# wireguard-go and tshark (release build), the unit tests again under ASan+UBSan, and every fuzz
# target for a bounded time. Needs root for the namespace tests. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-20}

./scripts/install-deps.sh
echo "=== dependencies ready after ${SECONDS}s"
./scripts/build.sh release sanitize
echo "=== built after ${SECONDS}s"

failures=()
# failed_tests BUILD_DIR: the names of the tests the last ctest run there failed, on one line, so
# the closing verdict names them even when only the end of a long log is read.
failed_tests() {
  local list="$1/Testing/Temporary/LastTestsFailed.log"
  if [ -s "$list" ]; then cut -d: -f2- "$list" | sed 's/^/ /' | tr -d '\n'; fi
  return 0
}
echo "=== release: all tests (unit, netns, interop)"
ctest --preset release -j2 || failures+=("release ctest:$(failed_tests build/release)")
echo "=== asan+ubsan (clang): unit tests (after ${SECONDS}s)"
ctest --preset sanitize -j2 || failures+=("sanitize ctest:$(failed_tests build/sanitize)")
echo "=== fuzz targets, ${FUZZ_SECONDS}s each, $(nproc) at a time (after ${SECONDS}s)"
# fuzz_one TARGET RESULT_FILE: runs one target on a copy of its corpus; writes its verdict line
# (and the crash's log) to RESULT_FILE.
fuzz_one() {
  local target=$1 result=$2 name work corpus
  name=$(basename "$target")
  corpus="tests/fuzz_corpus/$name"
  work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
  if "$target" -max_total_time="$FUZZ_SECONDS" -max_len=4096 -print_final_stats=0 "$work" \
      >"$work/log" 2>&1; then
    echo "fuzz $name: ok ($(grep -o 'Done [0-9]* runs' "$work/log" || echo 'ran'))" >"$result"
  else
    { echo "fuzz $name: CRASH"; tail -40 "$work/log"; } >"$result"
  fi
  rm -rf "$work"
}
fuzz_results=$(mktemp -d)
fuzz_names=()
for target in build/sanitize/bin/*_fuzz; do
  # As many at once as there are cores: each target is one busy process for FUZZ_SECONDS.
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n || true; done
  fuzz_names+=("$(basename "$target")")
  fuzz_one "$target" "$fuzz_results/$(basename "$target")" &
done
wait
# The verdicts in the files, not exit codes: `wait -n` has already taken some of those.
for name in "${fuzz_names[@]}"; do
  if [ -s "$fuzz_results/$name" ]; then cat "$fuzz_results/$name"; else echo "fuzz $name: no verdict"; fi
  grep -q ": ok (" "$fuzz_results/$name" 2>/dev/null || failures+=("fuzz $name")
done
rm -rf "$fuzz_results"

# failure_tails BUILD_DIR: the last lines of each failed test's output, so that a log read only
# from its end still says why a test failed, not just which.
failure_tails() {
  local dir=$1 name
  [ -s "$dir/Testing/Temporary/LastTestsFailed.log" ] || return 0
  while IFS=: read -r _ name; do
    echo "=== end of the output of $name ($dir)"
    awk -v t="$name" '$0 ~ "Test: " t "$" {on = 1; next} on && /^<end of output>/ {exit} on' \
      "$dir/Testing/Temporary/LastTest.log" | tail -25
  done <"$dir/Testing/Temporary/LastTestsFailed.log"
}

echo "=== finished after ${SECONDS}s"
if [ ${#failures[@]} -ne 0 ]; then
  failure_tails build/release
  failure_tails build/sanitize
  echo "=== FAILED: ${failures[*]}"
  exit 1
fi
echo "=== all tests passed"
