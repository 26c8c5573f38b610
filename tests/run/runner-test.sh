#!/bin/sh
# QEMU tests of the runner (issue 11, issue 14 defect 7), each against a
# fake updater (tests/run/fake-fotactl.sh). Usage: runner-test.sh FOTA_HIL FOTACTL
set -u
HIL=${1:?usage: runner-test.sh FOTA_HIL FOTACTL}
REAL=${2:?usage: runner-test.sh FOTA_HIL FOTACTL}
OUT=build/work/runner-test
FAKE=tests/run/fake-fotactl.sh
SC=tests/run/scenarios
rm -rf "$OUT"
mkdir -p "$OUT"
fail() { echo "runner-test: FAIL: $*"; exit 1; }
export FAKE_REAL="$REAL"

# 1. The updater's link is a socketpair end passed as fd 3, not a pty (a pty
#    stalled fotactl in flush_work for 55 s under load; docs/ARCHITECTURE.md).
FAKE_MODE=port FAKE_OUT="$OUT/port.txt" "$HIL" run -j 1 --fotactl "$FAKE" --work-dir "$OUT/w" \
    "$SC/run.updater_port.yaml" >"$OUT/port.log" 2>&1 || fail "updater_port run failed (see $OUT/port.log)"
grep -q '^port=fd:3 fd3=socket$' "$OUT/port.txt" || fail "updater port: $(cat "$OUT/port.txt")"
FAKE_MODE=port FAKE_OUT="$OUT/port.txt" "$HIL" run -j 1 --link spi --fotactl "$FAKE" --work-dir "$OUT/w" \
    "$SC/run.updater_port.yaml" >"$OUT/port.log" 2>&1 || fail "updater_port run over SPI failed"
grep -q '^port=spi-emu:fd:3 fd3=socket$' "$OUT/port.txt" || fail "SPI updater port: $(cat "$OUT/port.txt")"
[ -f "$OUT/w/run.updater_port/case-id" ] || fail "no case-id file in the work dir"
ls "$OUT/w/run.updater_port/"*.sock >/dev/null 2>&1 && fail "sockets left in the work dir"
echo "runner-test: ok: updater link is a socket (fd:3), work dir has case-id and no sockets"

# 2. QEMU stopped for good mid-update: its device time stands still, so
#    the 4 s step timeout would not run out; the wait ends once the device
#    has not run for 20 s (HIL_STALL_MS, runner.c), and diagnosis.txt says
#    so and shows the updater still running: it is written before the kill.
start=$(date +%s)
FAKE_MODE=stopqemu FAKE_OUT="$OUT/stopped.txt" timeout 150 "$HIL" run -j 1 --fotactl "$FAKE" --work-dir "$OUT/w" \
    "$SC/run.step_timeout.yaml" >"$OUT/stop.log" 2>&1
rc=$?
took=$(( $(date +%s) - start ))
[ $rc -eq 1 ] || fail "QEMU stopped: exit $rc after ${took}s, expected 1 (see $OUT/stop.log)"
[ -s "$OUT/stopped.txt" ] || fail "the fake updater stopped no QEMU"
D="$OUT/w/run.step_timeout/diagnosis.txt"
[ -f "$D" ] || fail "no diagnosis.txt after the step timeout"
[ "$took" -lt 100 ] || fail "the run took ${took}s: a stalled device ends a wait after 20 s (+ 6 x 5 s debug link)"
grep -q 'updater: running' "$D" || fail "diagnosis does not show the running updater: $D"
grep -q 'the device has not run for [0-9]* ms of wall time (stalled' "$D" || fail "diagnosis does not say the device stalled: $D"
# QEMU is stopped: the guest PC cannot be read (within the 1 s bound, or the
# link already broke and the target is off), and the diagnosis says so,
# with the debug-link packets that came before (an unanswered interrupt).
grep -q 'guest PC: not read' "$D" || fail "diagnosis does not say the guest PC could not be read: $D"
grep -q '^> \^C (interrupt)' "$D" || fail "diagnosis lacks the last debug-link packets: $D"
echo "runner-test: ok: step timeout ended a run with QEMU stopped (${took}s), diagnosis written"

# 3. A failed case's work dir is kept by the next run of its id (<id>.1).
FAKE_MODE=stopqemu FAKE_OUT="$OUT/stopped.txt" timeout 150 "$HIL" run -j 1 --fotactl "$FAKE" --work-dir "$OUT/w" \
    "$SC/run.step_timeout.yaml" >"$OUT/stop2.log" 2>&1
[ -f "$OUT/w/run.step_timeout.1/diagnosis.txt" ] || fail "the failed run's work dir was not kept as .1"
grep -q FAIL "$OUT/w/run.step_timeout.1/verdict" || fail "kept work dir has no FAIL verdict"
echo "runner-test: ok: failed work dir kept as run.step_timeout.1"
# 6. The device stopped 12 s as it enters update mode (QEMU SIGSTOPped while
#    fotactl waits for HELLO: longer than its 50 x 100 ms of HELLO tries and
#    the bootloader's 10 s update-mode timeout): the harness holds fotactl while the device owes its answer
#    (hold.h), and the update ends ok.
FAKE_MODE=stallqemu FAKE_OUT="$OUT/stall.txt" FAKE_CONSOLE="$OUT/w/run.hold_updater/console.log" \
    "$HIL" run -j 1 --pcap all --fotactl "$FAKE" --work-dir "$OUT/w" "$SC/run.hold_updater.yaml" >"$OUT/hold.log" 2>&1 ||
    fail "held updater: the update failed (see $OUT/hold.log)"
[ -s "$OUT/stall.txt" ] || fail "the fake did not stop QEMU"
held=$(sed -n 's/.*hold: the updater was held [0-9]* times ([0-9]* ended by the device-time budget), \([0-9]*\) ms in all/\1/p' \
    "$OUT/w/run.hold_updater/events.log" | head -n 1)
[ "${held:-0}" -ge 10000 ] || fail "fotactl was held ${held:-0} ms, expected >= 10000 (see events.log)"
echo "runner-test: ok: fotactl held ${held} ms while the stopped device owed its answer; update ok"
# 6b. The same stop during the DATA frames: on the stock machine QEMU then
#     stops in the middle of a served port_flash_program (a debug-link
#     exchange). The link's waits count QEMU's CPU time (cpuclock.h), so a
#     stopped QEMU is not a dead one: the update ends ok (it failed with
#     "gdb: no reply in time" when those waits counted wall time).
FAKE_MODE=stallqemu FAKE_STALL_AT='update begin' FAKE_OUT="$OUT/stall2.txt" \
    FAKE_CONSOLE="$OUT/w2/run.hold_updater/console.log" \
    "$HIL" run -j 1 --fotactl "$FAKE" --work-dir "$OUT/w2" "$SC/run.hold_updater.yaml" >"$OUT/hold2.log" 2>&1 ||
    fail "QEMU stopped 12 s during the DATA frames: the update failed (see $OUT/hold2.log)"
[ -s "$OUT/stall2.txt" ] || fail "the fake did not stop QEMU (6b)"
gap=$(awk -F'[][]' '{ t = $2 + 0; if (p != "" && t - p > g) g = t - p; p = t } END { print g + 0 }' \
    "$OUT/w2/run.hold_updater/events.log")
awk -v g="$gap" 'BEGIN { exit !(g >= 10) }' || fail "6b: no 12 s stop in events.log (largest gap ${gap} s)"
echo "runner-test: ok: QEMU stopped 12 s during the DATA frames (gap ${gap} s in events.log); update ok"

# 7. The run trace counts device time (docs/TRACE.md): every record is
#    flagged so, and the 12 s QEMU was stopped in case 6 are not in its
#    timestamps (in wall time, two records 12 s apart). A replay of that
#    capture with its QEMU stopped 12 s as the device enters update mode
#    waits for the answer in device time: same verdict (waited in wall
#    time, the 5 s answer wait ran out while the device was stopped).
T="$OUT/w/run.hold_updater/trace.pcap"
LUA="-X lua_script:scripts/fota-hil.lua"
wall=$(tshark $LUA -r "$T" -Y 'fotahil.rec.flags.devtime == 0' 2>/dev/null | wc -l)
[ "$wall" -eq 0 ] || fail "$wall records of $T are not flagged device time"
gap=$(tshark -r "$T" -T fields -e frame.time_delta 2>/dev/null | sort -g | tail -n 1)
awk -v g="${gap:-99}" 'BEGIN { exit !(g < 6) }' || fail "the trace has a ${gap} s gap: the 12 s stop counted"
R="$OUT/replay"
rm -rf "$R"
"$HIL" replay --work-dir "$R" "$T" >"$OUT/replay.log" 2>&1 &
rp=$!
i=0
while [ $i -lt 600 ] && ! grep -q 'update mode (requested)' "$R/console.log" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
q=$(pgrep -P $rp -x qemu-system-arm)
[ -n "$q" ] || fail "the replay's QEMU was not found (see $OUT/replay.log)"
kill -STOP $q
sleep 12
kill -CONT $q
wait $rp || fail "replay with its device stopped 12 s: exit $? (see $OUT/replay.log)"
grep -q 'verdict: same as the capture' "$OUT/replay.log" || fail "replay verdict: $(tail -n 3 "$OUT/replay.log")"
echo "runner-test: ok: the trace is in device time (largest gap ${gap} s); its replay with the device stopped 12 s: same"

# 4. --retries: a case that fails once and then passes is FLAKY (summary,
#    JUnit property + first failure, exit 0), never a plain pass; without
#    --retries it is a failure.
rm -f "$OUT/flaky.n"
FAKE_MODE=flaky FAKE_OUT="$OUT/flaky.n" "$HIL" run -j 1 --fotactl "$FAKE" --work-dir "$OUT/w" \
    "$SC/run.updater_port.yaml" >"$OUT/noretry.log" 2>&1 && fail "a failing first run passed without --retries"
rm -f "$OUT/flaky.n"
FAKE_MODE=flaky FAKE_OUT="$OUT/flaky.n" "$HIL" run -j 1 --retries 3 --fotactl "$FAKE" --work-dir "$OUT/w" \
    --junit "$OUT/flaky.xml" "$SC/run.updater_port.yaml" >"$OUT/flaky.log" 2>&1 || fail "flaky run exit $? (see $OUT/flaky.log)"
# (attempt 2 unless the loaded machine failed a run on its own: then a later one)
grep -q '^FLAKY run.updater_port: passed on attempt [2-4]; first failure: step ' "$OUT/flaky.log" || fail "no FLAKY line in $OUT/flaky.log"
grep -qx '0 passed, 0 failed, 1 flaky' "$OUT/flaky.log" || fail "summary: $(tail -n 1 "$OUT/flaky.log")"
grep -q '<property name="flaky" value="true"/>' "$OUT/flaky.xml" || fail "no flaky property in $OUT/flaky.xml"
grep -q '<flakyFailure message="passed on attempt [2-4]; first failure: step ' "$OUT/flaky.xml" || fail "no flakyFailure in $OUT/flaky.xml"
cat "$OUT"/w/run.updater_port.[1-3]/fotactl.step3.log 2>/dev/null | grep -q 'failing the first run on purpose' ||
    fail "the failed run's work dir was not kept"
echo "runner-test: ok: --retries reports a case that failed once as FLAKY"

# 5. Selecting nothing is bad input: exit 2, naming the selector.
"$HIL" run --filter 'no.such.*' --work-dir "$OUT/w" "$SC" >"$OUT/none.log" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "--filter selecting nothing: exit $rc, expected 2"
grep -q "fota-hil: --filter 'no.such.\*' selects no scenario in $SC" "$OUT/none.log" || fail "message: $(cat "$OUT/none.log")"
"$HIL" run --shard 3/3 --work-dir "$OUT/w" "$SC/run.updater_port.yaml" >"$OUT/none.log" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "--shard selecting nothing: exit $rc, expected 2"
grep -q -- "--shard 3/3 selects no scenario or sweep case" "$OUT/none.log" || fail "message: $(cat "$OUT/none.log")"
echo "runner-test: ok: selecting nothing exits 2 naming the selector"
echo "runner-test: all ok"
