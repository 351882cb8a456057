#!/bin/bash
# Shared by the benchmarks in bench/: the start every one of them makes (the release build, the
# namespace helpers of tests/netns/lib.sh, root), an iperf3 transfer measured with the CPU time
# the VPN daemons spent on it, and the arithmetic of the tables. Sourced, not run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# TANDEM_BIN, when set, is another optimised build to measure.
if [ -z "${TANDEM_BIN:-}" ]; then
  [ -x build/release/bin/tandem ] || ./scripts/build.sh release
  export TANDEM_BIN=$PWD/build/release/bin/tandem
fi
source tests/netns/lib.sh
require_root

# cpu_ticks PID...: utime + stime of the processes together, in clock ticks.
cpu_ticks() {
  local pid sum=0
  for pid in "$@"; do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done
  echo "$sum"
}

# iperf_cpu "PID..." NS IPERF3_ARGS...: one iperf3 client run of SECONDS_PER_RUN seconds from NS
# (`iperf3 -t SECONDS_PER_RUN -J IPERF3_ARGS`). Prints "MBIT/S CPU_S_PER_GB RETRANSMITS": what the
# receiver got, the CPU seconds the listed processes (the VPN daemons) used per GB of it, and the
# sender's TCP retransmissions.
iperf_cpu() {
  local pids=$1 ns=$2 c0 c1
  shift 2
  # shellcheck disable=SC2086  # a list of PIDs
  c0=$(cpu_ticks $pids)
  ip netns exec "$ns" iperf3 -t "$SECONDS_PER_RUN" -J "$@" >"$TMPDIR_TEST/iperf.json" ||
    { cat "$TMPDIR_TEST/iperf.json" >&2; die "iperf3 $* failed"; }
  # shellcheck disable=SC2086
  c1=$(cpu_ticks $pids)
  python3 - "$TMPDIR_TEST/iperf.json" "$((c1 - c0))" "$(getconf CLK_TCK)" <<'PY'
import json, sys
end = json.load(open(sys.argv[1]))["end"]
received, ticks, hz = end["sum_received"], int(sys.argv[2]), int(sys.argv[3])
print(int(received["bits_per_second"]) // 1000000,
      f"{ticks / hz / (received['bytes'] / 1e9):.2f}",
      end["sum_sent"].get("retransmits", 0))
PY
}

ratio() { python3 -c "print(f'{$1/$2:.2f}' if $2 else '-')"; }

# median VALUE...: the median, with two decimals when the values have them.
median() {
  python3 -c 'import statistics, sys
m = statistics.median(float(x) for x in sys.argv[1:])
print(f"{m:.2f}" if any("." in x for x in sys.argv[1:]) else f"{m:.0f}")' "$@"
}
