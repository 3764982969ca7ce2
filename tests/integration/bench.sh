#!/usr/bin/env bash
# fhsm-bench runs every crypto row against SoftHSM and the host layer, briefly: a
# check that the benchmark works (each row an operation that succeeded on both
# modules, each host-layer row measured), not a measurement.
. "$(dirname "$0")/lib.sh" "$1" "$2"
BENCH=$(dirname "$UTIL")/fhsm-bench
SOFTHSM=/usr/lib/softhsm/libsofthsm2.so
[ -x "$BENCH" ] || { echo "no fhsm-bench beside $UTIL"; exit 77; }
[ -r "$SOFTHSM" ] || { echo "no SoftHSM at $SOFTHSM"; exit 77; }
mkdir -p "$WORK/tokens" "$WORK/softhsm"
printf 'directories.tokendir = %s/softhsm\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK" > "$WORK/softhsm2.conf"
export SOFTHSM2_CONF="$WORK/softhsm2.conf"

check "fhsm-bench --vs SoftHSM --raw, every crypto row" "$BENCH" --module "$MODULE" --vs "$SOFTHSM" --raw --seconds 0.02 --rows ""
cp "$WORK/out" "$WORK/table"
rows=$(grep -cE ' [0-9]+\.[0-9]+x( |$)' "$WORK/table")
[ "$rows" -ge 35 ] && ok "$rows rows with a ratio to SoftHSM" || not_ok "only $rows rows with a ratio" "$WORK/table"
for row in "AES-256-CTR 4 KiB multi-part" "RSA-2048 SHA256-RSA-PKCS verify" "ECDSA P-256 verify" "ECDH P-256 derive"; do
  grep -q "^$row" "$WORK/table" && ok "row: $row" || not_ok "row missing: $row" "$WORK/table"
done
n2=$(grep -cE '^2 threads: .* 2 threads/1: [0-9]+\.[0-9]+x \(libsofthsm2\.so [0-9]+\.[0-9]+x\)$' "$WORK/table")
[ "$n2" -eq 3 ] && ok "each two-thread row with its interleaved scaling" || not_ok "$n2 of 3 two-thread rows with a scaling" "$WORK/table"
# A module's failed operation ends fhsm-bench (above); a failed host-layer one prints -1.0.
if grep -Eq ' -1\.0 ' "$WORK/table"; then not_ok "a host-layer row failed" "$WORK/table"; else ok "every host-layer row ran"; fi
finish
