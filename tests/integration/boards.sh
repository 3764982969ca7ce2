#!/usr/bin/env bash
# Boards without a board: fhsm-util --flash refuses unknown boards and missing
# bitstreams and fails cleanly (no hang) when no board is plugged in;
# backend = usb runs on software with a message naming what it looked for,
# and fhsm-util --device-info shows the device down; backend = auto is
# software without a word above info level. (With a board attached, the same
# commands flash and use it: docs/boards.md.)
. "$(dirname "$0")/lib.sh" "$1" "$2"
check_fails "flash an unknown board" "$UTIL" --flash icestick
expect "... names the boards it knows" "unknown board 'icestick' \(icebreaker or ulx3s\)"
check_fails "flash without a bitstream" "$UTIL" --flash ulx3s --bitstream "$WORK/none.bit"
expect "... says where it looked and how to build one" "no bitstream at .*none.bit.*bitstream-ulx3s"
head -c 1000 /dev/urandom > "$WORK/junk.bin"
check_fails "flash with no board plugged in (timeout 60 s)" timeout 60 "$UTIL" --flash icebreaker --bitstream "$WORK/junk.bin"
expect "... fails cleanly" "flashing icebreaker failed|neither openFPGALoader nor iceprog"

check "init token (backend = auto, no board)" p11 --init-token --slot 0 --label boards --so-pin 87654321
printf 'backend = usb\n' >> "$FHSM_CONF"
check "backend = usb, no board: pkcs11-tool still works (on software)" p11 --slot 0 --hash -m SHA256 -i "$WORK/junk.bin" -o "$WORK/d"
expect "... and says why" "backend = usb: the fabric does not answer \(no iCEBreaker \(0403:6010\) or ULX3S \(0403:6015\) found\)"
[ "$(xxd -p "$WORK/d" | tr -d '\n')" = "$(sha256sum "$WORK/junk.bin" | cut -d' ' -f1)" ] && ok "... right digest" || not_ok "digest differs"
check "device info" "$UTIL" --device-info
expect "... device down, with the reason" "Device: +usb, DOWN .*not? .*found"
check_fails "self-test without a board fails" "$UTIL" --self-test
printf 'device.usb.vid = 0403\ndevice.usb.pid = 6015\ndevice.usb.channel = A\ndevice.usb.serial = FHSM123\n' >> "$FHSM_CONF"
check "a named board" "$UTIL" --device-info
expect "... the message names it" "0403:6015 serial FHSM123 channel A"
printf 'device.usb.channel = C\n' >> "$FHSM_CONF"
check_fails "a bad channel stops C_Initialize" p11 --list-slots
expect "... naming file and line" "fhsm.conf:[0-9]+: device.usb.channel: bad value \(expected A or B\)"
finish
