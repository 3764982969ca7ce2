#!/usr/bin/env bash
# Several processes at once: initializing tokens, failing logins, hashing.
# (SoftHSM 2.6.1 fails the first: a process that starts while another writes
# does not find the token.)
. "$(dirname "$0")/lib.sh" "$1" "$2"
N=6

# N processes initialize tokens in "the free slot" at the same moment.
pids=()
for i in $(seq 1 $N); do
  env FHSM_SO_PIN=so-pin-$i FHSM_PIN=user-pin-$i "$UTIL" --init-token --free --label "par$i" > "$WORK/init$i" 2>&1 &
  pids+=($!)
done
bad=0
for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
[ $bad = 0 ] && ok "$N concurrent --init-token --free all succeed" || not_ok "$bad of $N inits failed" "$WORK/init1"
check "list slots" p11 --list-slots
n=$(grep -c "token label" "$WORK/out")
[ "$n" = $N ] && ok "all $N tokens present" || not_ok "$n tokens present, want $N" "$WORK/out"
ids=$(grep -Eo "^Slot [0-9]+" "$WORK/out" | sort -u | wc -l)
[ "$ids" = $((N + 1)) ] && ok "distinct slot IDs plus one empty slot" || not_ok "slot IDs: $ids"
for i in $(seq 1 $N); do
  slot=$(grep -Eo "initialized in slot [0-9]+" "$WORK/init$i" | grep -Eo "[0-9]+$")
  if p11 --slot "$slot" --login --pin user-pin-$i --list-objects > "$WORK/out" 2>&1; then :; else
    not_ok "token par$i in slot $slot opens with its own PIN" "$WORK/out"; continue; fi
  ok "token par$i in slot $slot opens with its own PIN"
done

# Ten processes guess the user PIN of one token at once: with a retry limit of ten,
# exactly ten failures must be counted, and the PIN is then locked.
slot=$(grep -Eo "[0-9]+$" <(grep -Eo "initialized in slot [0-9]+" "$WORK/init1"))
pids=()
for i in $(seq 1 10); do
  p11 --slot "$slot" --login --pin "wrong-$i" --list-objects > /dev/null 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
check "show slots" "$UTIL" --show-slots
expect "ten concurrent failures lock the PIN" "LOCKED"
check_fails "locked: the right PIN is refused" p11 --slot "$slot" --login --pin user-pin-1 --list-objects
expect "with CKR_PIN_LOCKED" "CKR_PIN_LOCKED"

# Readers and a writer together: hashing from several processes while tokens come and go.
head -c 50000 /dev/urandom > "$WORK/data"
want=$(sha256sum "$WORK/data" | cut -d' ' -f1)
pids=()
for i in $(seq 1 4); do
  ( for j in 1 2 3; do
      p11 --slot 0 --hash -m SHA256 -i "$WORK/data" -o "$WORK/d$i" > /dev/null 2>&1 || exit 1
      [ "$(xxd -p "$WORK/d$i" | tr -d '\n')" = "$want" ] || exit 1
    done ) &
  pids+=($!)
done
env FHSM_SO_PIN=abcdefgh FHSM_PIN=12345678 "$UTIL" --init-token --free --label late > /dev/null 2>&1 &
pids+=($!)
bad=0
for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
[ $bad = 0 ] && ok "hashing processes and a token init run side by side" || not_ok "$bad processes failed"
check "delete a token while others exist" "$UTIL" --delete-token --token late
check "the others remain" p11 --list-slots
n=$(grep -c "token label" "$WORK/out")
[ "$n" = $N ] && ok "$N tokens after the delete" || not_ok "$n tokens after delete" "$WORK/out"
finish
