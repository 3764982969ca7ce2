#!/usr/bin/env bash
# The main job: set up, build, initialize a token in a temporary token directory and
# use it through real clients (pkcs11-tool, with openssl and sha256sum as witnesses).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
MODULE=$PWD/build/lib/libfhsm.so
work=$(mktemp -d /tmp/fhsm-demo-XXXXXX)
trap 'rm -rf "$work"' EXIT
export FHSM_CONF=$work/fhsm.conf
echo "tokendir = $work/tokens" > "$FHSM_CONF"
p11() { echo "\$ pkcs11-tool --module build/lib/libfhsm.so $*" >&2; pkcs11-tool --module "$MODULE" "$@"; }

echo "== fhsm demo: tokens in $work/tokens (removed at the end)"
p11 --list-slots
p11 --init-token --slot 0 --label demo --so-pin 87654321
p11 --slot 0 --init-pin --so-pin 87654321 --pin 123456
p11 --list-slots
p11 --slot 0 --login --pin 123456 --list-objects
p11 --slot 0 --list-mechanisms
head -c 1048576 /dev/urandom > "$work/data"
p11 --slot 0 --hash -m SHA256 -i "$work/data" -o "$work/digest"
got=$(xxd -p "$work/digest" | tr -d '\n')
want=$(sha256sum "$work/data" | cut -d' ' -f1)
echo "SHA-256 of 1 MiB: token $got"
echo "                  sha256sum $want"
[ "$got" = "$want" ] || { echo "MISMATCH" >&2; exit 1; }
p11 --slot 0 --generate-random 16 | xxd -p
echo "\$ fhsm-util --show-slots" >&2
build/bin/fhsm-util --show-slots
echo "== demo done: the token worked through pkcs11-tool, digests match sha256sum"
