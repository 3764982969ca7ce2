# Shared by the integration scripts: a temporary token directory and configuration,
# and checks that count into a closing "N passed, N failed" line.
# Usage: . lib.sh MODULE FHSM_UTIL
set -u
MODULE=$(readlink -f "$1")
UTIL=$(readlink -f "$2")
WORK=$(mktemp -d /tmp/fhsm-it-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export FHSM_CONF="$WORK/fhsm.conf"
printf 'tokendir = %s/tokens\n' "$WORK" > "$FHSM_CONF"
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   - $1"; }
not_ok() { failed=$((failed + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && sed 's/^/       /' "$2" | head -n 30; }

# check NAME COMMAND...: the command must succeed; its output is kept in $WORK/out.
check() {
  local name=$1; shift
  if "$@" > "$WORK/out" 2>&1; then ok "$name"; else not_ok "$name (exit $?)" "$WORK/out"; fi
}
# check_fails NAME COMMAND...: the command must fail.
check_fails() {
  local name=$1; shift
  if "$@" > "$WORK/out" 2>&1; then not_ok "$name (succeeded, should fail)" "$WORK/out"; else ok "$name"; fi
}
# expect NAME PATTERN: the last command's output matches the extended regex.
expect() {
  if grep -Eq -- "$2" "$WORK/out"; then ok "$1"; else not_ok "$1 (no match for /$2/)" "$WORK/out"; fi
}
p11() { pkcs11-tool --module "$MODULE" "$@"; }

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
