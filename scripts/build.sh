#!/bin/bash
# Builds the given CMake presets (default: release) after installing dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
PRESETS=("$@")
[ ${#PRESETS[@]} -gt 0 ] || PRESETS=(release)
for preset in "${PRESETS[@]}"; do
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$(nproc)"
  echo "=== $preset built after ${SECONDS}s"
done
