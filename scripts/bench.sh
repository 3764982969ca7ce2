#!/usr/bin/env bash
# Benchmarks fhsm against SoftHSM side by side, each in a temporary token directory.
#   scripts/bench.sh [fhsm-bench options, e.g. --seconds 3 --objects 1000,10000]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh > /dev/null
work=$(mktemp -d /tmp/fhsm-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/fhsm" "$work/softhsm"
echo "tokendir = $work/fhsm" > "$work/fhsm.conf"
printf 'directories.tokendir = %s/softhsm\nobjectstore.backend = file\nlog.level = ERROR\n' "$work" > "$work/softhsm2.conf"
export FHSM_CONF=$work/fhsm.conf SOFTHSM2_CONF=$work/softhsm2.conf
echo "$(date -u +%F) $(nproc) cores; tokens in $work (removed at the end)"
build/bin/fhsm-bench --module build/lib/libfhsm.so --vs /usr/lib/softhsm/libsofthsm2.so "$@"
