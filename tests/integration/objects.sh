#!/usr/bin/env bash
# Objects through real clients: pkcs11-tool --write-object/--read-object/--delete-object/
# --list-objects for data objects and certificates, p11tool --write/--list-all.
. "$(dirname "$0")/lib.sh" "$1" "$2"
SO=87654321
PIN=123456
check "init token" p11 --init-token --slot 0 --label objs --so-pin $SO
check "init PIN" p11 --slot 0 --init-pin --so-pin $SO --pin $PIN

head -c 3000 /dev/urandom > "$WORK/blob"
check "write a public data object" p11 --slot 0 --login --pin $PIN --write-object "$WORK/blob" --type data --label pubdata --application-label fhsm-tests
check "write a private data object" p11 --slot 0 --login --pin $PIN --write-object "$WORK/blob" --type data --label privdata --private
check "read the public one back without login" p11 --slot 0 --read-object --type data --label pubdata -o "$WORK/back"
cmp -s "$WORK/blob" "$WORK/back" && ok "public data round trip" || not_ok "public data differs"
check "list objects without login" p11 --slot 0 --list-objects
expect "public object listed" "label: +'pubdata'"
grep -q privdata "$WORK/out" && not_ok "private object listed without login" || ok "private object hidden without login"
check "list objects with login" p11 --slot 0 --login --pin $PIN --list-objects
expect "private object listed after login" "label: +'privdata'"
check "read the private one back" p11 --slot 0 --login --pin $PIN --read-object --type data --label privdata -o "$WORK/back2"
cmp -s "$WORK/blob" "$WORK/back2" && ok "private data round trip" || not_ok "private data differs"
grep -q "privdata" "$WORK"/tokens/*/objects.log && not_ok "private label in clear on disk" || ok "private object sealed on disk"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/k.pem" -out "$WORK/c.pem" -subj /CN=fhsm-it -days 2 2> /dev/null
openssl x509 -in "$WORK/c.pem" -outform DER -out "$WORK/c.der"
check "write a certificate" p11 --slot 0 --login --pin $PIN --write-object "$WORK/c.der" --type cert --label mycert --id 0102
check "read it back" p11 --slot 0 --read-object --type cert --label mycert -o "$WORK/c2.der"
cmp -s "$WORK/c.der" "$WORK/c2.der" && ok "certificate round trip" || not_ok "certificate differs"
check "openssl parses what came back" openssl x509 -inform DER -in "$WORK/c2.der" -noout -subject
expect "same subject" "CN ?= ?fhsm-it"

if command -v p11tool > /dev/null; then
  check "p11tool writes a certificate" env GNUTLS_PIN=$PIN p11tool --provider "$MODULE" --login --write \
    --load-certificate "$WORK/c.pem" --label p11cert "pkcs11:token=objs"
  check "p11tool lists everything" env GNUTLS_PIN=$PIN p11tool --provider "$MODULE" --login --list-all "pkcs11:token=objs"
  expect "both certificates" "Label: p11cert"
  expect "the pkcs11-tool one too" "Label: mycert"
  expect "and the data objects" "Label: privdata"
fi

check "delete the certificate" p11 --slot 0 --login --pin $PIN --delete-object --type cert --label mycert
check "delete a data object" p11 --slot 0 --login --pin $PIN --delete-object --type data --label pubdata
check "list after deleting" p11 --slot 0 --login --pin $PIN --list-objects
grep -Eq "label: +'(mycert|pubdata)'" "$WORK/out" && not_ok "deleted objects still listed" "$WORK/out" || ok "deleted objects are gone"
expect "the others remain" "label: +'privdata'"
check_fails "a private object cannot be written without login" p11 --slot 0 --write-object "$WORK/blob" --type data --label x --private
finish
