#!/usr/bin/env bash
# The module driven by real clients: OpenSC's pkcs11-tool, GnuTLS' p11tool, the
# OpenSSL and coreutils command lines as oracles, and fhsm-util.
. "$(dirname "$0")/lib.sh" "$1" "$2"
SO=87654321
PIN=123456

check "list slots on a fresh store" p11 --list-slots
expect "one empty slot, ID 0" "Slot 0 \(0x0\).*" 
expect "its token is uninitialized" "uninitialized"

check "init token in the empty slot" p11 --init-token --slot 0 --label demo --so-pin $SO
check "init user PIN" p11 --slot 0 --init-pin --so-pin $SO --pin $PIN

# A second process sees the token in the same slot, with its label.
check "list slots from another process" p11 --list-slots
expect "same slot ID, label demo" "Slot 0 \(0x0\)"
expect "label demo" "token label +: demo$"
expect "user PIN initialized" "PIN initialized"
expect "a new empty slot 1" "Slot 1 \(0x1\)"

check "login as user" p11 --slot 0 --login --pin $PIN --list-objects
check_fails "login with a wrong PIN" p11 --slot 0 --login --pin 000000 --list-objects
check "fhsm-util shows the failed attempt" "$UTIL" --show-slots
expect "failure counted" "failed attempts"
check "change PIN" p11 --slot 0 --change-pin --pin $PIN --new-pin 654321
check_fails "old PIN refused" p11 --slot 0 --login --pin $PIN --list-objects
check "new PIN works" p11 --slot 0 --login --pin 654321 --list-objects
PIN=654321
check "change SO PIN (in an SO session)" p11 --slot 0 --login --login-type so --so-pin $SO --change-pin --new-pin 11223344
check "re-init PIN with the new SO PIN" p11 --slot 0 --init-pin --so-pin 11223344 --pin $PIN

check "list mechanisms" p11 --slot 0 --list-mechanisms
for m in MD5 SHA-1 SHA224 SHA256 SHA384 SHA512; do expect "mechanism $m listed" "^ +$m, digest"; done

head -c 100000 /dev/urandom > "$WORK/data"
for alg in SHA256:sha256 SHA-1:sha1 SHA224:sha224 SHA384:sha384 SHA512:sha512 MD5:md5; do
  mech=${alg%%:*}; ossl=${alg##*:}
  if p11 --slot 0 --hash -m "$mech" -i "$WORK/data" -o "$WORK/digest" > "$WORK/out" 2>&1; then
    got=$(xxd -p "$WORK/digest" | tr -d '\n')
    want=$(openssl dgst -"$ossl" -r "$WORK/data" | cut -d' ' -f1)
    [ "$got" = "$want" ] && ok "--hash $mech matches openssl dgst" || not_ok "--hash $mech: $got != $want"
  else
    not_ok "--hash $mech" "$WORK/out"
  fi
done
p11 --slot 0 --hash -m SHA256 -i "$WORK/data" -o "$WORK/digest" > /dev/null 2>&1
[ "$(xxd -p "$WORK/digest" | tr -d '\n')" = "$(sha256sum "$WORK/data" | cut -d' ' -f1)" ] \
  && ok "--hash SHA256 matches sha256sum" || not_ok "--hash SHA256 vs sha256sum"

check "generate random" p11 --slot 0 --generate-random 64 -o "$WORK/rnd"
[ "$(stat -c %s "$WORK/rnd")" = 64 ] && ok "64 random bytes" || not_ok "random length"

# fhsm-util and pkcs11-tool share the store.
check "fhsm-util init in the free slot" env FHSM_SO_PIN=$SO FHSM_PIN=$PIN "$UTIL" --init-token --free --label second
expect "initialized in slot 1" "slot 1"
check "pkcs11-tool sees it" p11 --list-slots
expect "slot 1 labelled second" "token label +: second"
check_fails "init-token without a slot" "$UTIL" --init-token --label x --so-pin $SO --pin $PIN
check_fails "init-token with a too-short PIN" "$UTIL" --init-token --free --label x --so-pin 12 --pin $PIN
expect "clear error" "CKR_PIN_LEN_RANGE"

if command -v p11tool > /dev/null; then
  check "p11tool lists the tokens" p11tool --provider "$MODULE" --list-tokens
  expect "p11tool sees demo" "Label: demo"
fi

# A corrupted token file: reported, the module keeps working with the others.
meta=$(ls "$WORK"/tokens/1-*/token.meta)
cp "$meta" "$WORK/meta.bak"
printf 'garbage' | dd of="$meta" bs=1 seek=40 conv=notrunc 2> /dev/null
check "list slots with a corrupt token" p11 --list-slots
expect "the good token is still there" "token label +: demo$"
check "fhsm-util reports it" "$UTIL" --show-slots
expect "reported unusable" "not usable"
check "the corrupt token can be deleted by serial" "$UTIL" --delete-token --serial "$(basename "$(dirname "$meta")" | cut -d- -f2)"
check "demo still works" p11 --slot 0 --login --pin $PIN --list-objects

check_fails "a config typo stops C_Initialize" env FHSM_CONF=<(echo "tokendri = /tmp") pkcs11-tool --module "$MODULE" --list-slots
expect "and names file and line" ":1: unknown key 'tokendri'"
finish
