#!/bin/bash
# Micro-benchmarks (not tests) of the data path, in one process, no root or namespaces needed:
# WireGuard, ESP and L2TP/PPP per-packet seal and open, TCP/UDP segmentation and coalescing,
# allowed-IPs and account lookups at 1,000 to 100,000 peers, and the memory and time an idle
# WireGuard peer costs. Builds only the benchmark binary of the release preset, then prints the
# table.
#   bench/micro.sh [MIN_SECONDS] [BENCHMARK ARGS...]   (default 0.5 s per benchmark)
#   e.g. bench/micro.sh 1 --benchmark_filter=Esp
set -euo pipefail
cd "$(dirname "$0")/.."
MIN_SECONDS=${1:-0.5}
shift || true
cmake --preset release >/dev/null
cmake --build --preset release --target tandem_microbench
exec build/release/bin/tandem_microbench --benchmark_min_time="$MIN_SECONDS" "$@"
