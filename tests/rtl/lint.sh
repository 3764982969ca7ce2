#!/usr/bin/env bash
# Keeps every fabric core and board top clean: `verilator --lint-only -Wall` per top-level
# configuration and an Icarus Verilog (-g2005) compile of the same sources.
# Usage: tests/rtl/lint.sh [rtl-dir]      (ctest: rtl_lint, label rtl)
set -euo pipefail
rtl=${1:-$(dirname "$0")/../../rtl}
cd "$rtl"
fail=0
# top | parameters | sources
configs=(
  "sha2_wrap|-GWORD=32|common/fhsm_ram.v sha2/sha256_k_rom.v sha2/sha512_k_rom.v sha2/sha2_iv.v sha2/sha2_core.v sha2/sha2_wrap.v"
  "sha2_wrap|-GWORD=64|common/fhsm_ram.v sha2/sha256_k_rom.v sha2/sha512_k_rom.v sha2/sha2_iv.v sha2/sha2_core.v sha2/sha2_wrap.v"
)
[ -f aes/aes_core.v ] && configs+=("aes_core||common/fhsm_ram.v aes/aes_mix.v aes/aes_tbox_rom.v aes/aes_core.v")
[ -f aes/aes_wide_core.v ] && configs+=("aes_wide_core||common/fhsm_ram.v aes/aes_mix.v aes/aes_sbox.v aes/aes_wide_round.v aes/aes_wide_core.v")
[ -f modexp/modexp_core.v ] && configs+=("modexp_core||common/fhsm_ram.v common/fhsm_mul.v modexp/modexp_core.v"
  "modexp_core|-GW=32 -GMAXBITS=2048|common/fhsm_ram.v common/fhsm_mul.v modexp/modexp_core.v")
# fabric top: the default pool, a wider pool, a W=16 modexp, a build without AES
fab="common/fhsm_ram.v common/fhsm_mul.v aes/aes_mix.v aes/aes_tbox_rom.v aes/aes_core.v sha2/sha256_k_rom.v sha2/sha512_k_rom.v sha2/sha2_iv.v sha2/sha2_core.v modexp/modexp_core.v fabric/fabric_parser.v fabric/fabric_tx.v fabric/fabric_aes.v fabric/fabric_sha.v fabric/fabric_modexp.v fabric/fabric_top.v"
[ -f fabric/fabric_top.v ] && configs+=("fabric_top|-Ifabric|$fab"
  "fabric_top|-Ifabric -GN_AES=2 -GN_SHA256=3 -GN_MODEXP=4 -GMODEXP_MAXBITS=2048|$fab"
  "fabric_top|-Ifabric -GN_AES=0 -GMODEXP_W=16 -GIDLE_TIMEOUT=100|$fab")
# board tops (rtl/boards): UART PHY, rx FIFO (with and without), PLL pass-through
brd="$fab boards/uart_rx.v boards/uart_tx.v boards/uart_rx_fifo.v boards/board_pll.v boards/board_reset.v boards/board_core.v"
[ -f boards/board_core.v ] && configs+=("icebreaker_top|-Ifabric|$brd boards/icebreaker_top.v"
  "icebreaker_top|-Ifabric -GRX_FIFO_AW=9 -GBAUD=115200 -GN_AES=0|$brd boards/icebreaker_top.v"
  "ulx3s_top|-Ifabric|$brd boards/ulx3s_top.v"
  "ulx3s_top|-Ifabric -GRX_FIFO_AW=0 -GCLK_KHZ=48000 -GN_SHA256=0|$brd boards/ulx3s_top.v")
for c in "${configs[@]}"; do
  IFS='|' read -r top params srcs <<<"$c"
  # shellcheck disable=SC2086
  if ! verilator --lint-only -Wall $params --top-module "$top" $srcs; then
    echo "LINT FAIL: $top $params"; fail=1
  fi
  ivparams=${params//-G/-P$top.}
  # shellcheck disable=SC2086
  if ! out=$(iverilog -g2005 -Wall -o /dev/null $ivparams -s "$top" $srcs 2>&1) || [ -n "$out" ]; then
    echo "$out"; echo "IVERILOG FAIL (errors or warnings): $top $params"; fail=1
  fi
  echo "ok: $top $params"
done
exit $fail
