#!/usr/bin/env bash
# Installs what is missing (scripts/deps.sh) and builds into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFHSM_RTL=ON -DFHSM_TESTS=ON > build.log 2>&1 || { cat build.log; exit 1; }
cmake --build build -j"$(nproc)" >> build.log 2>&1 || { tail -n 60 build.log; exit 1; }
rm -f build.log
echo "built: build/lib/libfhsm.so build/bin/fhsm-util"
