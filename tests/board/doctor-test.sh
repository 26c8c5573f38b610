#!/usr/bin/env bash
# fota-hil doctor / run --board / run --flash-image on a machine without
# board hardware: each missing resource gets one clear line and a non-zero
# exit; a board run skips what the rig cannot do; a flash dump replaces a
# scenario's flash. FOTA_HIL is exported by tests/board/build.mk.
set -u
HIL=${FOTA_HIL:-build/san/fota-hil}
D=tests/board/data
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0
check() { # check NAME CONDITION-RESULT
    if [ "$2" = 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi
}
has() { grep -qF -- "$2" "$1"; echo $?; }

for cmd in doctor dump; do
    "$HIL" $cmd --help > "$W/help" 2> "$W/help.err"; rc=$?
    check "$cmd --help: usage on stdout, exit 0" \
        "$([ $rc = 0 ] && grep -q "^usage: fota-hil $cmd --board RIG.yaml" "$W/help" && [ ! -s "$W/help.err" ]; echo $?)"
    check "$cmd --help: says what it does and its exit status" "$(has "$W/help" 'Exit status: 0 ')"
    "$HIL" $cmd --no-such-option > "$W/help" 2> "$W/help.err"; rc=$?
    check "$cmd with an unknown option: usage on stderr, exit 2" \
        "$([ $rc = 2 ] && grep -q "^usage: fota-hil $cmd" "$W/help.err"; echo $?)"
done

"$HIL" doctor --board $D/norig.yaml > "$W/out" 2>&1; rc=$?
cat "$W/out"
check "doctor exits 1 when resources are missing" "$([ $rc = 1 ]; echo $?)"
check "doctor: console tty missing" "$(has "$W/out" 'FAIL  console /dev/ttyNOPE0: No such file or directory')"
check "doctor: link tty missing" "$(has "$W/out" 'FAIL  link /dev/ttyNOPE1: No such file or directory')"
check "doctor: nrst gpio chip missing" "$(has "$W/out" "FAIL  nrst gpio gpiochip99 line 27 (active low): gpio chip 'gpiochip99' not found")"
check "doctor: power gpio chip missing" "$(has "$W/out" "FAIL  power relay gpio gpiochip99 line 17 (active high): gpio chip 'gpiochip99' not found")"
check "doctor: ST-LINK missing" "$(has "$W/out" 'FAIL  ST-LINK serial NOSUCHSERIAL: ')"
check "doctor: live checks skipped" "$(has "$W/out" 'skip  chip id: needs the resources above')"

"$HIL" doctor --board $D/norelay.yaml > "$W/out2" 2>&1; rc=$?
cat "$W/out2"
check "doctor: no power driver is said" "$(has "$W/out2" 'skip  power: driver none')"
check "doctor: a console that is not a tty" "$(has "$W/out2" 'FAIL  console /dev/null: not a tty')"
check "doctor (norelay) exits 1" "$([ $rc = 1 ]; echo $?)"

printf 'board: x\nconsole: {tty: /dev/null}\npower: {driver: relay}\n' > "$W/bad.yaml"
"$HIL" doctor --board "$W/bad.yaml" > "$W/out3" 2>&1; rc=$?
check "doctor: malformed profile is file:line, exit 2" \
    "$([ $rc = 2 ] && grep -qF "$W/bad.yaml:3: power driver must be one of none, gpio, usb_hub, command; got 'relay'" "$W/out3"; echo $?)"

"$HIL" run --board $D/norelay.yaml --work-dir "$W/work" --filter 'board.needs_relay' $D/board-only.yaml > "$W/out4" 2>&1; rc=$?
cat "$W/out4"
check "run --board skips a scenario needing a relay the rig lacks" \
    "$(has "$W/out4" 'SKIP board.needs_relay: requires power_relay, which board norelay')"
"$HIL" run --board $D/norelay.yaml --work-dir "$W/work" scenarios/power.cut.meta_commit_complete.yaml > "$W/out5" 2>&1
check "run --board skips qemu-only scenarios" "$(has "$W/out5" 'SKIP power.cut.meta_commit_complete: not for platform board')"

# --flash-image: a 1 MB dump with demo 3.0.0 in slot A replaces the scenario's flash.
python3 - "$W/dump.bin" <<'PY'
import sys
img = bytearray(b'\xff' * 0x100000)
bl = open('build/fw/bootloader.bin', 'rb').read()
app = open('build/images/demo-3.0.0-A.img', 'rb').read()
img[0:len(bl)] = bl
img[0x20000:0x20000 + len(app)] = app
open(sys.argv[1], 'wb').write(img)
PY
"$HIL" run --flash-image "$W/dump.bin" --work-dir "$W/work" --filter board.flash_image $D/board-only.yaml > "$W/out6" 2>&1
cat "$W/out6"
check "run --flash-image starts from the dump" "$(has "$W/out6" 'PASS board.flash_image')"
"$HIL" run --work-dir "$W/work" --filter board.flash_image $D/board-only.yaml > "$W/out7" 2>&1
check "without --flash-image the same scenario fails (it tests the override)" "$(has "$W/out7" 'FAIL board.flash_image')"
exit $fail
