#!/bin/sh
# QEMU test: the background-update sweep (issue 12 item 5) can fail. The
# broken bootloader of broken-commit.sh (build/fw-broken/) also commits
# PENDING in ba_slot_begin(), before the application wrote a byte; a cut
# during the background write must then boot into (and reject) the
# half-written slot, and the sweep must say so with a case id.
# Usage: broken-background.sh FOTA_HIL
NAME=broken-background
. tests/sweep/common.sh

"$HIL" run -j 2 --bootloader-elf build/fw-broken/bootloader.elf --work-dir "$OUT/w" \
    scenarios/bridge.background.sweep_power_cut.yaml >"$OUT/run.log" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "the background sweep did not fail on the broken bootloader (exit $rc); see $OUT/run.log"
grep -q "^FAIL bridge.background.sweep_power_cut@program:[0-9]*:torn-[a-z]*: .*BL: rejected slot=B" "$OUT/run.log" ||
    fail "no case failed on a rejected half-written slot B; see $OUT/run.log"
echo "broken-background: ok ($(grep -c '^FAIL bridge.background.sweep_power_cut@' "$OUT/run.log") cases caught)"
