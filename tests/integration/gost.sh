#!/usr/bin/env bash
# The GOST mechanisms against OpenSSL's GOST engine (libengine-gost-openssl) and
# gostsum: GOST R 34.11-94 digests and HMAC, GOST R 34.10-2001 signatures made on the
# token verified by OpenSSL with the exported public key, and the reverse: a key pair
# made by OpenSSL imported (PyKCS11: pkcs11-tool cannot parse GOST keys under OpenSSL 3),
# its signatures verified on the token and the token's signatures with its private
# key verified by OpenSSL (which checks the private key's byte order too).
. "$(dirname "$0")/lib.sh" "$1" "$2"
SO=87654321
PIN=123456
P="--slot 0 --login --pin $PIN"
ENGINE_SO=$(find /usr/lib -name gost.so -path '*engines-3*' 2> /dev/null | head -n 1)
if [ -z "$ENGINE_SO" ] || ! command -v gostsum > /dev/null || ! /usr/bin/python3 -c 'import PyKCS11' 2> /dev/null; then
  echo "skipped: needs libengine-gost-openssl, gostsum and python3-pykcs11 (scripts/deps.sh)"
  exit 77
fi
# The engine through a configuration file, so that every openssl command has it.
cat > "$WORK/openssl.cnf" <<EOF
openssl_conf = openssl_def
[openssl_def]
engines = engine_section
[engine_section]
gost = gost_section
[gost_section]
engine_id = gost
dynamic_path = $ENGINE_SO
default_algorithms = ALL
EOF
ossl() { OPENSSL_CONF="$WORK/openssl.cnf" openssl "$@"; }

check "init token" p11 --init-token --slot 0 --label gost --so-pin $SO
check "init PIN" p11 --slot 0 --init-pin --so-pin $SO --pin $PIN
check "GOST mechanisms listed" p11 --slot 0 -M
for m in GOSTR3411 GOSTR3411-HMAC GOSTR3410-KEY-PAIR-GEN GOSTR3410 GOSTR3410-WITH-GOSTR3411; do
  expect "$m listed" "^  $m,"
done

# ---- GOST R 34.11-94 (CryptoPro parameters, OpenSSL's md_gost94 and gostsum's default).
# Not the empty message: the engine's md_gost94 of "" is 3f25bc1f..., not the
# 981e5f3c... that the standard's implementations (and test_gost.cc) have.
head -c 100000 /dev/urandom > "$WORK/msg"
printf abc > "$WORK/abc"
for f in abc msg; do
  check "digest $f on the token" p11 --slot 0 --hash -m GOSTR3411 -i "$WORK/$f" -o "$WORK/$f.p11"
  ossl dgst -md_gost94 -binary -out "$WORK/$f.ossl" "$WORK/$f" 2> /dev/null
  [ -s "$WORK/$f.ossl" ] && cmp -s "$WORK/$f.p11" "$WORK/$f.ossl" && ok "digest of $f = openssl dgst -md_gost94" || not_ok "digest of $f differs from openssl"
  # gostsum prints the hash as a little-endian number: its hex is the bytes reversed.
  theirs=$(gostsum "$WORK/$f" | cut -d' ' -f1 | fold -w2 | tac | tr -d '\n')
  [ -n "$theirs" ] && [ "$(xxd -p "$WORK/$f.p11" | tr -d '\n')" = "$theirs" ] && ok "digest of $f = gostsum" || not_ok "digest of $f differs from gostsum"
done

# ---- HMAC-GOSTR3411 with a key of known value (PyKCS11 imports it: pkcs11-tool's
# --write-object has no generic secrets), then used by pkcs11-tool.
KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021
cat > "$WORK/key.py" <<'EOF'
import sys
import PyKCS11 as P
module, pin, key = sys.argv[1:]
lib = P.PyKCS11Lib()
lib.load(module)
s = lib.openSession(lib.getSlotList(tokenPresent=True)[0], P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION)
s.login(pin)
s.createObject([(P.CKA_CLASS, P.CKO_SECRET_KEY), (P.CKA_KEY_TYPE, P.CKK_GENERIC_SECRET), (P.CKA_TOKEN, True),
                (P.CKA_ID, b"\x20"), (P.CKA_LABEL, "mac"), (P.CKA_SIGN, True), (P.CKA_VERIFY, True),
                (P.CKA_VALUE, bytes.fromhex(key))])
EOF
check "import a generic secret (PyKCS11)" /usr/bin/python3 "$WORK/key.py" "$MODULE" $PIN $KEY
check "GOSTR3411-HMAC on the token" p11 $P --sign -m GOSTR3411-HMAC --id 20 -i "$WORK/msg" -o "$WORK/mac"
theirs=$(ossl dgst -md_gost94 -mac hmac -macopt hexkey:$KEY "$WORK/msg" 2> /dev/null | sed 's/.*= //')
[ -n "$theirs" ] && [ "$(xxd -p "$WORK/mac" | tr -d '\n')" = "$theirs" ] && ok "HMAC = openssl dgst -md_gost94 -mac hmac" || not_ok "HMAC differs from openssl"
check "HMAC verifies on the token" p11 $P --verify -m GOSTR3411-HMAC --id 20 -i "$WORK/msg" --signature-file "$WORK/mac"

# ---- GOST R 34.10-2001: a key pair made on the token, OpenSSL verifies.
check "GOST key pair (CryptoPro-A)" p11 $P --keypairgen --key-type GOSTR3410-2001:A --label g --id 05
# The public key's CKA_VALUE (X || Y little-endian) is the key of a SubjectPublicKeyInfo
# (RFC 4491): id-GostR3410-2001 with CryptoPro-A and the CryptoPro hash parameters.
p11 --slot 0 -O --type pubkey --id 05 2> /dev/null | awk '/VALUE:/ { v = $2; getline; print v $1 }' > "$WORK/q.hex"
[ "$(tr -d '\n' < "$WORK/q.hex" | wc -c)" = 128 ] && ok "public key value read (64 bytes)" || not_ok "public key value" "$WORK/q.hex"
(printf '3063301c06062a8503020213301206072a85030202230106072a850302021e0103430004 40'; cat "$WORK/q.hex") |
  tr -d ' \n' | xxd -r -p > "$WORK/pub.der"
check "openssl reads the public key" ossl pkey -pubin -inform DER -in "$WORK/pub.der" -out "$WORK/pub.pem"
check "sign GOSTR3410-WITH-GOSTR3411" p11 $P --sign -m GOSTR3410-WITH-GOSTR3411 --id 05 -i "$WORK/msg" -o "$WORK/s1"
check "openssl verifies it" ossl dgst -md_gost94 -verify "$WORK/pub.pem" -signature "$WORK/s1" "$WORK/msg"
ossl dgst -md_gost94 -binary -out "$WORK/digest" "$WORK/msg"
check "sign GOSTR3410 (digest made by openssl)" p11 $P --sign -m GOSTR3410 --id 05 -i "$WORK/digest" -o "$WORK/s2"
check "openssl verifies that too" ossl dgst -md_gost94 -verify "$WORK/pub.pem" -signature "$WORK/s2" "$WORK/msg"
cp "$WORK/msg" "$WORK/msg2"
printf x >> "$WORK/msg2"
check_fails "openssl rejects it for another message" ossl dgst -md_gost94 -verify "$WORK/pub.pem" -signature "$WORK/s1" "$WORK/msg2"
check "the token verifies its own" p11 --slot 0 --verify -m GOSTR3410-WITH-GOSTR3411 --id 05 -i "$WORK/msg" --signature-file "$WORK/s1"

# ---- A key pair made by OpenSSL: its signature verified on the token, the token's
# signature with its private key verified by OpenSSL.
check "openssl genpkey gost2001 (paramset A)" ossl genpkey -algorithm gost2001 -pkeyopt paramset:A -out "$WORK/okey.pem"
ossl pkey -in "$WORK/okey.pem" -pubout -outform DER -out "$WORK/opub.der"
ossl pkey -in "$WORK/okey.pem" -pubout -out "$WORK/opub.pem"
ossl pkey -in "$WORK/okey.pem" -text -noout | sed -n 's/^Private key: *//p' > "$WORK/d.hex" # big-endian
tail -c 64 "$WORK/opub.der" | xxd -p | tr -d '\n' > "$WORK/oq.hex" # X || Y little-endian (RFC 4491)
check "openssl signs" ossl dgst -md_gost94 -sign "$WORK/okey.pem" -out "$WORK/os" "$WORK/msg"
cat > "$WORK/p11.py" <<'EOF'
# Imports OpenSSL's key pair (PKCS#11 encodings: public X || Y and private d, both
# little-endian), verifies OpenSSL's signature and signs with the imported key.
import sys
import PyKCS11 as P
module, pin, qhex, dhex, msg, osig, out = sys.argv[1:]
lib = P.PyKCS11Lib()
lib.load(module)
s = lib.openSession(lib.getSlotList(tokenPresent=True)[0], P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION)
s.login(pin)
A = bytes.fromhex("06072a850302022301")  # CryptoPro-A
H = bytes.fromhex("06072a850302021e01")  # CryptoPro hash parameters
pub = s.createObject([(P.CKA_CLASS, P.CKO_PUBLIC_KEY), (P.CKA_KEY_TYPE, P.CKK_GOSTR3410), (P.CKA_VERIFY, True),
                      (P.CKA_GOSTR3410_PARAMS, A), (P.CKA_GOSTR3411_PARAMS, H), (P.CKA_VALUE, bytes.fromhex(qhex))])
d = bytes.fromhex(dhex.rjust(64, "0"))[::-1]
priv = s.createObject([(P.CKA_CLASS, P.CKO_PRIVATE_KEY), (P.CKA_KEY_TYPE, P.CKK_GOSTR3410), (P.CKA_SIGN, True),
                       (P.CKA_GOSTR3410_PARAMS, A), (P.CKA_GOSTR3411_PARAMS, H), (P.CKA_VALUE, d)])
data = open(msg, "rb").read()
mech = P.Mechanism(P.CKM_GOSTR3410_WITH_GOSTR3411, None)
ok = s.verify(pub, data, open(osig, "rb").read(), mech)
print("openssl's signature verifies on the token:", ok)
open(out, "wb").write(bytes(s.sign(priv, data, mech)))
sys.exit(0 if ok else 1)
EOF
check "the token verifies OpenSSL's signature (PyKCS11)" /usr/bin/python3 "$WORK/p11.py" "$MODULE" $PIN \
  "$(cat "$WORK/oq.hex")" "$(cat "$WORK/d.hex")" "$WORK/msg" "$WORK/os" "$WORK/ts"
check "openssl verifies the token's signature with its own key" ossl dgst -md_gost94 -verify "$WORK/opub.pem" -signature "$WORK/ts" "$WORK/msg"

# ---- Token keys persist: a new process signs with the key made above.
check "token key used by a new process" p11 $P --sign -m GOSTR3410-WITH-GOSTR3411 --id 05 -i "$WORK/abc" -o "$WORK/s3"
check "openssl verifies it" ossl dgst -md_gost94 -verify "$WORK/pub.pem" -signature "$WORK/s3" "$WORK/abc"
finish
