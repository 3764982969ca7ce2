#!/usr/bin/env bash
# Mechanisms through pkcs11-tool, checked by OpenSSL: key-pair generation, signatures
# verified with the exported public keys, AES against `openssl enc`, an OAEP
# ciphertext from `openssl pkeyutl` decrypted on the token, pkcs11-tool --test.
. "$(dirname "$0")/lib.sh" "$1" "$2"
SO=87654321
PIN=123456
P="--slot 0 --login --pin $PIN"
check "init token" p11 --init-token --slot 0 --label mech --so-pin $SO
check "init PIN" p11 --slot 0 --init-pin --so-pin $SO --pin $PIN
head -c 5000 /dev/urandom > "$WORK/msg"

check "RSA-2048 key pair" p11 $P --keypairgen --key-type rsa:2048 --label rsa --id 01
check "EC P-256 key pair" p11 $P --keypairgen --key-type EC:prime256v1 --label ec --id 02
check "Ed25519 key pair" p11 $P --keypairgen --key-type EC:edwards25519 --label ed --id 03
p11 --slot 0 --read-object --type pubkey --id 01 -o "$WORK/rsa.der" > /dev/null 2>&1 &&
  openssl pkey -pubin -inform DER -in "$WORK/rsa.der" -out "$WORK/rsa.pem" 2> /dev/null
p11 --slot 0 --read-object --type pubkey --id 02 -o "$WORK/ec.der" > /dev/null 2>&1 &&
  openssl pkey -pubin -inform DER -in "$WORK/ec.der" -out "$WORK/ec.pem" 2> /dev/null
p11 --slot 0 --read-object --type pubkey --id 03 -o "$WORK/ed.pem" > /dev/null 2>&1
[ -s "$WORK/rsa.pem" ] && [ -s "$WORK/ec.pem" ] && [ -s "$WORK/ed.pem" ] && ok "public keys exported" || not_ok "public key export"

verify() { # name, openssl verify command...
  local name=$1; shift
  if "$@" > "$WORK/out" 2>&1; then ok "$name"; else not_ok "$name" "$WORK/out"; fi
}
check "sign SHA256-RSA-PKCS" p11 $P --sign -m SHA256-RSA-PKCS --id 01 -i "$WORK/msg" -o "$WORK/s1"
verify "openssl verifies SHA256-RSA-PKCS" openssl dgst -sha256 -verify "$WORK/rsa.pem" -signature "$WORK/s1" "$WORK/msg"
openssl dgst -sha256 -binary "$WORK/msg" > "$WORK/digest"
check "sign RSA-PKCS (DigestInfo made by OpenSSL)" p11 $P --sign -m RSA-PKCS --id 01 -i <(printf '\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20'; cat "$WORK/digest") -o "$WORK/s2"
verify "openssl verifies RSA-PKCS" openssl dgst -sha256 -verify "$WORK/rsa.pem" -signature "$WORK/s2" "$WORK/msg"
check "sign SHA256-RSA-PKCS-PSS" p11 $P --sign -m SHA256-RSA-PKCS-PSS --mgf MGF1-SHA256 --salt-len 32 --id 01 -i "$WORK/msg" -o "$WORK/s3"
verify "openssl verifies PSS" openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -verify "$WORK/rsa.pem" -signature "$WORK/s3" "$WORK/msg"
check "sign ECDSA-SHA256" p11 $P --sign -m ECDSA-SHA256 --signature-format openssl --id 02 -i "$WORK/msg" -o "$WORK/s4"
verify "openssl verifies ECDSA-SHA256" openssl dgst -sha256 -verify "$WORK/ec.pem" -signature "$WORK/s4" "$WORK/msg"
check "sign ECDSA (digest from OpenSSL)" p11 $P --sign -m ECDSA --signature-format openssl --id 02 -i "$WORK/digest" -o "$WORK/s5"
verify "openssl verifies ECDSA" openssl dgst -sha256 -verify "$WORK/ec.pem" -signature "$WORK/s5" "$WORK/msg"
check "sign EdDSA" p11 $P --sign -m EDDSA --id 03 -i "$WORK/msg" -o "$WORK/s6"
verify "openssl verifies Ed25519" openssl pkeyutl -verify -pubin -inkey "$WORK/ed.pem" -rawin -in "$WORK/msg" -sigfile "$WORK/s6"
check "verify on the token" p11 --slot 0 --verify -m SHA256-RSA-PKCS --id 01 -i "$WORK/msg" --signature-file "$WORK/s1"
head -c 5 /dev/zero >> "$WORK/msg"
p11 --slot 0 --verify -m SHA256-RSA-PKCS --id 01 -i "$WORK/msg" --signature-file "$WORK/s1" > "$WORK/out" 2>&1
expect "a changed message does not verify" "Invalid signature"

printf 'a secret for the token' > "$WORK/secret"
verify "openssl encrypts with OAEP-SHA256" openssl pkeyutl -encrypt -pubin -inkey "$WORK/rsa.pem" -pkeyopt rsa_padding_mode:oaep \
  -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 -in "$WORK/secret" -out "$WORK/oaep"
check "the token decrypts it" p11 $P --decrypt -m RSA-PKCS-OAEP --hash-algorithm SHA256 --mgf MGF1-SHA256 --id 01 -i "$WORK/oaep" -o "$WORK/plain"
cmp -s "$WORK/secret" "$WORK/plain" && ok "OAEP-SHA256 plaintext matches" || not_ok "OAEP plaintext differs"

check "AES-256 key" p11 $P --keygen --key-type AES:32 --label aes --id 10
IV=000102030405060708090a0b0c0d0e0f
check "AES-CBC-PAD encrypt" p11 $P --encrypt -m AES-CBC-PAD --iv $IV --id 10 -i "$WORK/msg" -o "$WORK/ct"
check "AES-CBC-PAD decrypt" p11 $P --decrypt -m AES-CBC-PAD --iv $IV --id 10 -i "$WORK/ct" -o "$WORK/pt"
cmp -s "$WORK/msg" "$WORK/pt" && ok "AES-CBC-PAD round trip" || not_ok "AES-CBC-PAD round trip"
# Against OpenSSL: a key whose value we know, imported as a session-visible token object.
KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
printf '%s' "$KEY" | xxd -r -p > "$WORK/key.bin"
check "import a known AES key" p11 $P --write-object "$WORK/key.bin" --type secrkey --key-type AES:32 --label known --id 11 --usage-decrypt
openssl enc -aes-256-cbc -K $KEY -iv $IV -in "$WORK/msg" -out "$WORK/ossl.ct"
check "decrypt what openssl enc made" p11 $P --decrypt -m AES-CBC-PAD --iv $IV --id 11 -i "$WORK/ossl.ct" -o "$WORK/ossl.pt"
cmp -s "$WORK/msg" "$WORK/ossl.pt" && ok "matches openssl enc" || not_ok "differs from openssl enc"

check "HMAC key" p11 $P --keygen --key-type GENERIC:32 --label mac --id 20
check "SHA256-HMAC" p11 $P --sign -m SHA256-HMAC --id 20 -i "$WORK/msg" -o "$WORK/mac"
[ "$(stat -c %s "$WORK/mac")" = 32 ] && ok "32-byte MAC" || not_ok "MAC length"

check "pkcs11-tool --test" p11 $P --test
expect "no errors" "No errors"
check "pkcs11-tool --test-threads (three threads racing C_Initialize, listing slots and tokens)" \
  p11 --test-threads INGISLT0 --test-threads INGISLT0 --test-threads INGISLT0
expect "every thread ends with CKR_OK" "all threads have ended with CKR_OK"
check "pkcs11-tool --test-fork" p11 $P --test-fork
grep -qi "error\|fail" "$WORK/out" && not_ok "--test-fork reported an error" "$WORK/out" || ok "--test-fork: the child initializes afresh"

# GnuTLS: keys made and used by p11tool.
if command -v p11tool > /dev/null; then
  export GNUTLS_PIN=$PIN GNUTLS_SO_PIN=$SO
  check "p11tool --generate-privkey rsa" p11tool --provider "$MODULE" --login --generate-privkey rsa --bits 2048 --label gt-rsa "pkcs11:token=mech"
  check "p11tool --test-sign RSA" p11tool --provider "$MODULE" --login --test-sign "pkcs11:token=mech;object=gt-rsa"
  expect "RSA signature verified" "Verifying against public key in the token... ok"
  check "p11tool --test-sign RSA-PSS" p11tool --provider "$MODULE" --login --sign-params rsa-pss --test-sign "pkcs11:token=mech;object=gt-rsa"
  expect "RSA-PSS signature verified" "Verifying against public key in the token... ok"
  check "p11tool --generate-privkey ecdsa" p11tool --provider "$MODULE" --login --generate-privkey ecdsa --curve secp256r1 --label gt-ec "pkcs11:token=mech"
  check "p11tool --test-sign ECDSA" p11tool --provider "$MODULE" --login --test-sign "pkcs11:token=mech;object=gt-ec"
  expect "ECDSA signature verified" "Verifying against public key in the token... ok"
fi

# OpenSSL through the pkcs11 engine (libp11), on a token without Ed25519 keys:
# libp11 0.4.12 stops listing a token's keys at the first EdDSA key it meets.
ENGINE=$(ls /usr/lib/*/engines-3/pkcs11.so 2> /dev/null | head -n 1)
if [ -n "$ENGINE" ]; then
  check "init an engine token" "$UTIL" --init-token --free --label eng --so-pin $SO --pin $PIN
  slot=$(grep -Eo "slot [0-9]+" "$WORK/out" | grep -Eo "[0-9]+")
  check "RSA key for the engine" p11 --slot "$slot" --login --pin $PIN --keypairgen --key-type rsa:2048 --label engrsa --id 41
  check "EC key for the engine" p11 --slot "$slot" --login --pin $PIN --keypairgen --key-type EC:prime256v1 --label engec --id 42
  cat > "$WORK/engine.cnf" <<CNF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = $ENGINE
MODULE_PATH = $MODULE
init = 0
CNF
  check "openssl req: a CSR signed on the token" env OPENSSL_CONF="$WORK/engine.cnf" openssl req -new -engine pkcs11 -keyform engine \
    -key "pkcs11:token=eng;object=engrsa;type=private;pin-value=$PIN" -subj /CN=fhsm-csr -out "$WORK/req.pem"
  check "openssl verifies the CSR" openssl req -in "$WORK/req.pem" -verify -noout
  check "openssl req -x509: a self-signed EC certificate" env OPENSSL_CONF="$WORK/engine.cnf" openssl req -new -x509 -days 1 \
    -engine pkcs11 -keyform engine -key "pkcs11:token=eng;object=engec;type=private;pin-value=$PIN" -subj /CN=fhsm-self -out "$WORK/self.pem"
  check "openssl verifies the certificate" openssl verify -CAfile "$WORK/self.pem" "$WORK/self.pem"
fi
finish
