#!/usr/bin/env bash
# fhsm-util --import: keys made by OpenSSL, used on the token, checked by OpenSSL.
. "$(dirname "$0")/lib.sh" "$1" "$2"
PIN=123456
check "init token" env FHSM_SO_PIN=87654321 FHSM_PIN=$PIN "$UTIL" --init-token --free --label imp
P="--slot 0 --login --pin $PIN"
printf 'message to sign' > "$WORK/msg"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/rsa.pem" 2> /dev/null
check "import an RSA key (PKCS#8 PEM)" env FHSM_PIN=$PIN "$UTIL" --import "$WORK/rsa.pem" --token imp --label rsa --id 01
check "sign with it" p11 $P --sign -m SHA256-RSA-PKCS --id 01 -i "$WORK/msg" -o "$WORK/s1"
openssl dgst -sha256 -sign "$WORK/rsa.pem" -out "$WORK/s1.ossl" "$WORK/msg"
cmp -s "$WORK/s1" "$WORK/s1.ossl" && ok "the same PKCS#1 v1.5 signature as openssl" || not_ok "RSA signatures differ"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/ec.pem"
openssl pkcs8 -topk8 -nocrypt -in "$WORK/ec.pem" -outform DER -out "$WORK/ec.der"
openssl pkey -in "$WORK/ec.pem" -pubout -out "$WORK/ec.pub"
check "import an EC key (PKCS#8 DER)" env FHSM_PIN=$PIN "$UTIL" --import "$WORK/ec.der" --token imp --label ec --id 02
check "sign with it" p11 $P --sign -m ECDSA-SHA256 --signature-format openssl --id 02 -i "$WORK/msg" -o "$WORK/s2"
check "openssl verifies with the original public key" openssl dgst -sha256 -verify "$WORK/ec.pub" -signature "$WORK/s2" "$WORK/msg"

openssl genpkey -algorithm ed25519 -out "$WORK/ed.pem"
check "import an Ed25519 key" env FHSM_PIN=$PIN "$UTIL" --import "$WORK/ed.pem" --token imp --label ed --id 03
check "sign with it" p11 $P --sign -m EDDSA --id 03 -i "$WORK/msg" -o "$WORK/s3"
openssl pkeyutl -sign -inkey "$WORK/ed.pem" -rawin -in "$WORK/msg" -out "$WORK/s3.ossl"
cmp -s "$WORK/s3" "$WORK/s3.ossl" && ok "the same Ed25519 signature as openssl" || not_ok "Ed25519 signatures differ"

KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
printf '%s' $KEY | xxd -r -p > "$WORK/aes.bin"
check "import a raw AES-256 key" env FHSM_PIN=$PIN "$UTIL" --import "$WORK/aes.bin" --token imp --label aes --id 04
IV=0f0e0d0c0b0a09080706050403020100
check "encrypt with it" p11 $P --encrypt -m AES-CBC-PAD --iv $IV --id 04 -i "$WORK/msg" -o "$WORK/ct"
openssl enc -aes-256-cbc -K $KEY -iv $IV -in "$WORK/msg" -out "$WORK/ct.ossl"
cmp -s "$WORK/ct" "$WORK/ct.ossl" && ok "the same ciphertext as openssl enc" || not_ok "AES ciphertexts differ"

check "private values stay sensitive" p11 $P --list-objects
expect "the imported private key is sensitive" "Access: +sensitive"
printf 'not a key' > "$WORK/junk"
check_fails "junk is refused" env FHSM_PIN=$PIN "$UTIL" --import "$WORK/junk" --token imp --label junk
expect "with a clear message" "not an unencrypted PKCS#8"
check_fails "a wrong PIN is refused" env FHSM_PIN=000000 "$UTIL" --import "$WORK/aes.bin" --token imp --label x
finish
