#!/usr/bin/env bash
# doctor, dump and run --board end to end against the stand-in rig, through
# the real CLI: build/*/tests/board/fota-hil-standin is fota-hil linked with
# the fake libgpiod and libusb and a stand-in board (tests/board/standin_rig.c:
# QEMU as the chip, ptys as the ttys), and the fake `openocd`
# (tests/board/fake_openocd.c) is first on PATH, so the harness starts it,
# waits for its port and debugs the chip through it as through openocd.
# FOTA_HIL is exported by tests/board/build.mk; the rest sits next to it.
set -u
HIL=${FOTA_HIL:-build/san/fota-hil}
B=$(dirname "$HIL")
STANDIN=$B/tests/board/fota-hil-standin
export PATH="$PWD/$B/tests/board/bin:$PATH"
W=$(mktemp -d /tmp/hil-rig-XXXXXX)
trap 'rm -rf "$W"' EXIT
export FOTA_HIL_STANDIN=$W
fail=0
check() { # check NAME CONDITION-RESULT
    if [ "$2" = 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi
}
has() { grep -qF -- "$2" "$1"; echo $?; }
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rig() { # rig CHIP_ID OUT: the profile, with this run's directory and port
    sed -e "s|@DIR@|$W|g" -e "s|@PORT@|$port|" -e "s|@CHIP_ID@|$1|" tests/board/data/standin-rig.yaml > "$2"
}
rig 0x413 "$W/rig.yaml"
rig 0x419 "$W/rig-f42x.yaml"

# The stand-in chip's flash: the bootloader and demo 1.0.0 in slot A.
python3 - "$W/chip.img" <<'PY'
import sys
img = bytearray(b'\xff' * 0x100000)
bl = open('build/fw/bootloader.bin', 'rb').read()
app = open('build/images/demo-1.0.0-A.img', 'rb').read()
img[0:len(bl)] = bl
img[0x20000:0x20000 + len(app)] = app
open(sys.argv[1], 'wb').write(img)
PY
cp "$W/chip.img" "$W/factory.img"

# doctor on a complete rig: every check passes, including the live ones.
"$STANDIN" doctor --board "$W/rig.yaml" > "$W/doc" 2>&1; rc=$?
cat "$W/doc"
check "doctor exits 0 on a complete rig" "$([ $rc = 0 ]; echo $?)"
check "doctor: every line is ok" "$(! grep -v '^ok    \|^doctor: all checks passed$' "$W/doc" >/dev/null; echo $?)"
check "doctor: ST-LINK found" "$(has "$W/doc" 'ok    ST-LINK serial STANDIN01')"
check "doctor: chip id read through openocd" "$(has "$W/doc" "ok    chip id over localhost:$port: DEV_ID 0x413")"
check "doctor: power cycle seen on the console" \
    "$(has "$W/doc" 'ok    power cycle seen on the console: "BL: fota-hil bootloader')"
check "doctor: openocd.log in build/work/doctor" "$(has build/work/doctor/openocd.log "'adapter serial STANDIN01'")"

# doctor expecting another chip (an F42x): the chip id check fails, clearly.
"$STANDIN" doctor --board "$W/rig-f42x.yaml" > "$W/doc2" 2>&1; rc=$?
cat "$W/doc2"
check "doctor exits 1 for a wrong chip id" "$([ $rc = 1 ]; echo $?)"
check "doctor: wrong chip id is said" "$(has "$W/doc2" "FAIL  chip id over localhost:$port: chip id: DEV_ID 0x413, expected 0x419 ($W/rig-f42x.yaml:8 debug.chip_id")"

# dump: the stand-in chip's whole flash, byte for byte.
"$STANDIN" dump --board "$W/rig.yaml" "$W/dump.bin" > "$W/dump" 2>&1; rc=$?
cat "$W/dump"
check "dump exits 0" "$([ $rc = 0 ]; echo $?)"
check "dump equals the stand-in's flash" "$(cmp -s "$W/dump.bin" "$W/chip.img"; echo $?)"
printf '\x5a' | dd of="$W/chip.img" bs=1 seek=$((0xC0000)) conv=notrunc status=none
"$STANDIN" dump --board "$W/rig.yaml" "$W/dump2.bin" > /dev/null 2>&1
check "dump follows a change in the chip" \
    "$(cmp -s "$W/dump2.bin" "$W/chip.img" && ! cmp -s "$W/dump2.bin" "$W/dump.bin"; echo $?)"
cp "$W/factory.img" "$W/chip.img"

# run --board: a clean update and a power cut, the real scenario files.
"$STANDIN" run --board "$W/rig.yaml" --fotactl "$B/fotactl" --work-dir "$W/work" \
    --filter 'update.clean.*' --filter power.cut.slot_program_middle scenarios/ > "$W/run" 2>&1; rc=$?
cat "$W/run"
check "run --board exits 0" "$([ $rc = 0 ]; echo $?)"
check "run --board: clean update passes" "$(grep -q '^PASS update.clean.a_to_b_to_a ' "$W/run"; echo $?)"
check "run --board: power cut passes" "$(grep -q '^PASS power.cut.slot_program_middle ' "$W/run"; echo $?)"
check "run --board: 2 passed, 0 failed" "$(grep -qx '2 passed, 0 failed' "$W/run"; echo $?)"
check "run --board: the cut read the chip back" \
    "$(grep -q 'cut 0 us after program op #[0-9]* resumed; sectors 8-8 read back' "$W/work/power.cut.slot_program_middle/events.log" &&
       [ -f "$W/work/power.cut.slot_program_middle/cut-1.bin" ]; echo $?)"
check "run --board: openocd started per power-on" \
    "$([ "$(grep -c 'Listening on port' "$W/work/update.clean.a_to_b_to_a/openocd.log")" -ge 1 ]; echo $?)"
exit $fail
