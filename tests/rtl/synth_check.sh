#!/usr/bin/env bash
# ctest label "synth": place and route one core for one target with
# scripts/synth/report.sh and check that it fits and meets a clock.
# Usage: synth_check.sh CORE TARGET MIN_MHZ [MAX_LC]
# Skips (exit 77) when Yosys or nextpnr is not installed.
set -euo pipefail
core=$1 target=$2 min_mhz=$3 max_lc=${4:-}
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v yosys >/dev/null && command -v nextpnr-ice40 >/dev/null || { echo "no yosys/nextpnr: skipped"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$root/scripts/synth/report.sh" --out "$out" --cores "$core" --targets "$target"
line=$(awk -v c="$core" -v t="$target" '$1 == c && $2 == t' "$out/report.txt")
[ -n "$line" ] || { echo "FAIL: no result for $core/$target"; exit 1; }
if grep -q "does not fit" <<<"$line"; then echo "FAIL: $line"; exit 1; fi
lc=$(awk '{print $3}' <<<"$line")
mhz=$(awk '{print $7}' <<<"$line")
echo "$core on $target: $lc LC, $mhz MHz (need >= $min_mhz MHz${max_lc:+, <= $max_lc LC})"
awk -v f="$mhz" -v m="$min_mhz" 'BEGIN { exit !(f >= m) }' || { echo "FAIL: Fmax below $min_mhz MHz"; exit 1; }
if [ -n "$max_lc" ] && [ "$lc" -gt "$max_lc" ]; then echo "FAIL: more than $max_lc LC"; exit 1; fi
echo PASS
