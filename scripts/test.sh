#!/usr/bin/env bash
# The test command: set up, build, and run every test that fits CI time
# (ctest labels unit, integration, rtl, synth, the iCEBreaker and ULX3S
# bitstream flows included; see tests/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh --synth
./scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
