#!/bin/bash
# Runs the namespace and interop tests (CTest labels netns and interop) N times and prints how
# often each passed: the way to show a test does not fail by chance. With --hog, a busy loop per
# core competes with the tests the whole time, as on a loaded CI machine.
#
#   scripts/stress-tests.sh [-n N] [--hog] [-j JOBS] [-R REGEX] [--preset PRESET]
#
# Builds nothing: run scripts/build.sh (or scripts/test.sh) first. Needs root. Logs of failed
# runs are kept in build/stress/<round>/. Exits non-zero when any run of any test failed.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5 hog=false jobs=1 regex="" preset=release
while [ $# -gt 0 ]; do
  case "$1" in
    -n) rounds=$2; shift 2 ;;
    --hog) hog=true; shift ;;
    -j) jobs=$2; shift 2 ;;
    -R) regex=$2; shift 2 ;;
    --preset) preset=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "stress-tests: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "stress-tests: run as root (namespace tests)" >&2; exit 1; }
[ -x "build/$preset/bin/tandem" ] || { echo "stress-tests: build/$preset is not built; run scripts/build.sh $preset" >&2; exit 1; }

hog_pids=()
stop_hog() { for p in "${hog_pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop_hog EXIT
if $hog; then
  for _ in $(seq "$(nproc)"); do
    bash -c 'while :; do :; done' &
    hog_pids+=($!)
  done
  echo "stress-tests: CPU hog on $(nproc) cores (pids ${hog_pids[*]})"
fi

out=build/stress
rm -rf "$out"; mkdir -p "$out"
filter=(-L 'netns|interop')
[ -z "$regex" ] || filter+=(-R "$regex")
declare -A passed failed
start=$(date +%s)
for round in $(seq "$rounds"); do
  echo "=== round $round of $rounds"
  log="$out/round$round.log"
  ctest --preset "$preset" "${filter[@]}" -j "$jobs" --output-on-failure >"$log" 2>&1 || true
  while read -r name result; do
    if [ "$result" = Passed ]; then
      passed[$name]=$((${passed[$name]:-0} + 1))
    else
      failed[$name]=$((${failed[$name]:-0} + 1))
      echo "round $round: $name $result"
    fi
  done < <(sed -nE 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: ([^ ]+) \.+\**? *([A-Za-z]+( [A-Za-z]+)?).*/\1 \2/p' "$log" |
             sed -E 's/ (Passed|Failed|Timeout|Not Run|Exception).*$/ \1/' | tr -s ' ' | sed 's/ Not Run/ NotRun/')
  grep -E "tests passed|Total Test time" "$log" | sed 's/^/  /'
done

echo "=== per-test results over $rounds rounds ($(( ($(date +%s) - start) / 60 )) min$($hog && echo ', CPU hog on every core'))"
total_fail=0
for name in $(printf '%s\n' "${!passed[@]}" "${!failed[@]}" | sort -u); do
  p=${passed[$name]:-0} f=${failed[$name]:-0}
  total_fail=$((total_fail + f))
  printf '%-70s %2d/%d passed%s\n' "$name" "$p" "$((p + f))" "$([ "$f" = 0 ] || echo "  <-- $f failed")"
done
if [ "$total_fail" -ne 0 ]; then
  echo "=== $total_fail failed runs; logs in $out/"
  exit 1
fi
echo "=== no failures"
