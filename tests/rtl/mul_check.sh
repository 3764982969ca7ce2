#!/usr/bin/env bash
# Simulates fhsm_mul with its SB_MAC16 configuration (-DFHSM_MUL_ICE40)
# against Yosys' iCE40 cell models, and with the generic model, in Icarus.
# Skips (exit 77) if Yosys' cell library is not installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rtl=${1:-$here/../../rtl}
datdir=$(yosys-config --datdir 2>/dev/null || echo /usr/share/yosys)
cells=$datdir/ice40/cells_sim.v
[ -f "$cells" ] || { echo "no yosys ice40 cells_sim.v: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
iverilog -g2005 -DFHSM_MUL_ICE40 -DNO_ICE40_DEFAULT_ASSIGNMENTS -o "$tmp/ice40" -s fhsm_mul_tb \
  "$here/fhsm_mul_tb.v" "$rtl/common/fhsm_mul.v" "$cells" 2>"$tmp/log" || { cat "$tmp/log"; exit 1; }
iverilog -g2005 -o "$tmp/generic" -s fhsm_mul_tb "$here/fhsm_mul_tb.v" "$rtl/common/fhsm_mul.v"
out1=$(vvp -n "$tmp/ice40")
out2=$(vvp -n "$tmp/generic")
echo "SB_MAC16: $out1"
echo "generic:  $out2"
grep -q '^PASS' <<<"$out1" && grep -q '^PASS' <<<"$out2"
