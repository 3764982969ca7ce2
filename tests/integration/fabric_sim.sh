#!/usr/bin/env bash
# The module on the simulated fabric (backend = sim) through real clients:
# pkcs11-tool signs, encrypts and hashes; OpenSSL and sha256sum check the bytes;
# the module's own report (log.level = info) proves the fabric's engines served
# them; fhsm-util --self-test and --device-info answer. Skipped (77) when the
# build has no simulator.
. "$(dirname "$0")/lib.sh" "$1" "$2"
printf 'backend = sim\nlog.level = info\n' >> "$FHSM_CONF"
if ! "$UTIL" --self-test > "$WORK/out" 2>&1; then
  grep -q "no simulator" "$WORK/out" && { echo "skipped: built without Verilator"; exit 77; }
fi
SO=87654321
PIN=123456
P="--slot 0 --login --pin $PIN"
check "self-test: every engine passes its known-answer test" "$UTIL" --self-test
expect "self-test reports pass" "self-test: pass"
check "init token" p11 --init-token --slot 0 --label sim --so-pin $SO
check "init PIN" p11 --slot 0 --init-pin --so-pin $SO --pin $PIN
head -c 300000 /dev/urandom > "$WORK/msg"

check "SHA-256 of 300 kB" p11 --slot 0 --hash -m SHA256 -i "$WORK/msg" -o "$WORK/dig"
expect "... on the SHA-256 engine" "fabric \(sim\): sha256: [1-9][0-9]* jobs"
[ "$(xxd -p "$WORK/dig" | tr -d '\n')" = "$(sha256sum "$WORK/msg" | cut -d' ' -f1)" ] \
  && ok "... equal to sha256sum" || not_ok "SHA-256 differs from sha256sum"

check "RSA-2048 key pair" p11 $P --keypairgen --key-type rsa:2048 --label rsa --id 01
p11 --slot 0 --read-object --type pubkey --id 01 -o "$WORK/rsa.der" > /dev/null 2>&1 &&
  openssl pkey -pubin -inform DER -in "$WORK/rsa.der" -out "$WORK/rsa.pem" 2> /dev/null
check "SHA256-RSA-PKCS sign" p11 $P --sign -m SHA256-RSA-PKCS --id 01 -i "$WORK/msg" -o "$WORK/sig"
expect "... the CRT halves on the two modexp engines" "fabric \(sim\): modexp: 2 jobs"
check "openssl verifies it" openssl dgst -sha256 -verify "$WORK/rsa.pem" -signature "$WORK/sig" "$WORK/msg"
check "SHA256-RSA-PKCS-PSS sign" p11 $P --sign -m SHA256-RSA-PKCS-PSS --id 01 -i "$WORK/msg" -o "$WORK/pss"
check "openssl verifies the PSS signature" openssl dgst -sha256 -verify "$WORK/rsa.pem" -sigopt rsa_padding_mode:pss \
  -sigopt rsa_pss_saltlen:-1 -signature "$WORK/pss" "$WORK/msg"
head -c 32 "$WORK/msg" > "$WORK/secret"
openssl pkeyutl -encrypt -pubin -inkey "$WORK/rsa.pem" -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 \
  -pkeyopt rsa_mgf1_md:sha256 -in "$WORK/secret" -out "$WORK/oaep" 2> /dev/null
check "OAEP-SHA256 decrypt of an OpenSSL ciphertext" p11 $P --decrypt -m RSA-PKCS-OAEP --hash-algorithm SHA256 \
  --mgf MGF1-SHA256 --id 01 -i "$WORK/oaep" -o "$WORK/oaep.pt"
cmp -s "$WORK/oaep.pt" "$WORK/secret" && ok "... plaintext identical" || not_ok "OAEP plaintext differs"

KEY=$(head -c 32 /dev/urandom | xxd -p -c 64)
IV=000102030405060708090a0b0c0d0e0f
printf '%s' "$KEY" | xxd -r -p > "$WORK/aes.key"
check "import an AES-256 key" "$UTIL" --import "$WORK/aes.key" --slot 0 --label aes --id 02 --pin $PIN
# 300,000 bytes are whole blocks: CBC and ECB need no padding.
for mode in CBC-PAD:aes-256-cbc CBC:aes-256-cbc ECB:aes-256-ecb; do
  m=${mode%%:*}; o=${mode##*:}
  ivopt="--iv $IV"; [ "$m" = ECB ] && ivopt=
  check "AES-$m encrypt 300 kB" p11 $P --encrypt -m AES-$m $ivopt --id 02 -i "$WORK/msg" -o "$WORK/ct.$m"
  expect "... on the AES engine" "fabric \(sim\): aes: [1-9][0-9]* jobs"
  iv=$IV; pad=; [ "$m" = ECB ] && iv=; [ "$m" = CBC-PAD ] || pad=-nopad
  openssl enc -$o -K "$KEY" ${iv:+-iv $iv} $pad -in "$WORK/msg" -out "$WORK/want.$m"
  cmp -s "$WORK/ct.$m" "$WORK/want.$m" && ok "... identical to openssl enc -$o" || not_ok "AES-$m differs from openssl"
done

check "device info" "$UTIL" --device-info
expect "... the device is up" "Device: +sim, up"
expect "... modexp engines passed their KAT" "modexp +2 pass"
finish
