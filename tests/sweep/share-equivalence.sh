#!/bin/sh
# QEMU test: shared runs (harness/run/sweep_share.h) change no verdict.
# A quarter of the exhaustive 256 KB power-cut sweep on fota-f407 runs
# twice, with shared runs and with --no-share (every crash state booted):
# every case must have the same status, final flash SHA-256 and `bricked`
# both ways, the shared run must have shared some cases and the other
# none. Usage: share-equivalence.sh FOTA_HIL
NAME=share-equivalence
. tests/sweep/common.sh

[ -x build/qemu/qemu-system-arm ] || fail "build/qemu/qemu-system-arm is missing (make qemu)"
# name status flash_sha256 bricked, one line per case, sorted
cases() {
    awk '/<testcase /{ if (n != "") print n, st, sha, br; n = $0; sub(/.* name="/, "", n); sub(/".*/, "", n);
                       st = "pass"; sha = "-"; br = "-" }
         /<failure/{ st = "fail" }
         /name="flash_sha256"/{ sha = $0; sub(/.* value="/, "", sha); sub(/".*/, "", sha) }
         /name="bricked"/{ br = $0; sub(/.* value="/, "", br); sub(/".*/, "", br) }
         END{ if (n != "") print n, st, sha, br }' "$1" | sort
}
for mode in share no-share; do
    extra=""
    [ "$mode" = no-share ] && extra="--no-share"
    # shellcheck disable=SC2086
    "$HIL" run -j 2 --target f407 --shard 1/4 $extra --work-dir "$OUT/$mode" --junit "$OUT/$mode.xml" \
        tests/bench/power_cut_256k_full.yaml >"$OUT/$mode.log" 2>&1 ||
        fail "the $mode run failed (see $OUT/$mode.log)"
    cases "$OUT/$mode.xml" >"$OUT/$mode.cases"
done
n=$(wc -l <"$OUT/share.cases")
[ "$n" -ge 190 ] || fail "only $n cases in $OUT/share.xml"
grep -q ' - ' "$OUT/share.cases" && fail "a case without its flash SHA-256 (see $OUT/share.cases)"
cmp -s "$OUT/share.cases" "$OUT/no-share.cases" ||
    fail "verdicts or final flash differ: diff $OUT/share.cases $OUT/no-share.cases"
shared=$(grep -c 'name="shared_run"' "$OUT/share.xml")
[ "$shared" -gt 0 ] || fail "no case took a shared run (see $OUT/share.log)"
grep -q 'name="shared_run"' "$OUT/no-share.xml" && fail "--no-share still shared a run"
grep -q 'took the run of a probe' "$OUT/share.log" || fail "the SWEEP line does not count the shared cases"
echo "share-equivalence: ok ($n cases, $shared took a probe's run; the same status, flash SHA-256 and bricked as with --no-share)"
