#!/bin/sh
# QEMU test: the power-cut sweep catches a deliberately broken bootloader
# (FOTA_TEST_BROKEN_COMMIT_BEFORE_VERIFY, build/fw-broken/) with a case id,
# and re-running the printed command reproduces that verdict and the same
# final flash image. Usage: broken-commit.sh FOTA_HIL
NAME=broken-commit
. tests/sweep/common.sh

"$HIL" run -j 2 --bootloader-elf build/fw-broken/bootloader.elf --work-dir "$OUT/w1" \
    --junit "$OUT/first.xml" tests/sweep/broken.yaml >"$OUT/first.log" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "the sweep did not fail on the broken bootloader (exit $rc); see $OUT/first.log"
grep -q '^FAIL sweep.broken_commit@program:' "$OUT/first.log" || fail "no failing case id in $OUT/first.log"
cmd=$(sed -n 's/^ *re-run: //p' "$OUT/first.log" | head -n 1 | sed 's/ ([0-9.]* s)$//')
[ -n "$cmd" ] || fail "no re-run command printed"
id=$(printf '%s\n' "$cmd" | sed -n "s/.*--case '\([^']*\)'.*/\1/p")
case "$cmd" in *"--bootloader-elf build/fw-broken/bootloader.elf"*) ;; *) fail "re-run command lacks the ELF: $cmd";; esac
echo "broken-commit: caught as $id; re-running: $cmd"
# The re-run, verbatim, plus its own work dir and JUnit file after `run`.
again=$(printf '%s\n' "$cmd" | sed "s| run | run --work-dir $OUT/w2 --junit $OUT/again.xml |")
sh -c "$again" >"$OUT/again.log" 2>&1 && fail "re-run of $id passed"
grep -q "^FAIL $id: " "$OUT/again.log" || fail "re-run did not fail $id (see $OUT/again.log)"
want=$(grep "^FAIL $id: " "$OUT/first.log" | head -n 1 | sed 's/ ([0-9.]* s)$//')
got=$(grep "^FAIL $id: " "$OUT/again.log" | head -n 1 | sed 's/ ([0-9.]* s)$//')
[ "$want" = "$got" ] || fail "verdict differs: '$want' vs '$got'"
h1=$(grep -A8 "name=\"${id#*.}\"" "$OUT/first.xml" | sed -n 's/.*name="flash_sha256" value="\([0-9a-f]*\)".*/\1/p' | head -n 1)
h2=$(grep -A8 "name=\"${id#*.}\"" "$OUT/again.xml" | sed -n 's/.*name="flash_sha256" value="\([0-9a-f]*\)".*/\1/p' | head -n 1)
[ -n "$h1" ] && [ "$h1" = "$h2" ] || fail "final flash differs between runs: '$h1' vs '$h2'"
echo "broken-commit: ok (same verdict, flash sha256 $h1)"
# Over the SPI link the printed command must carry --link spi, or the
# re-run would take the UART link and test something else.
"$HIL" run -j 1 --link spi --bootloader-elf build/fw-broken/bootloader.elf --work-dir "$OUT/w3" \
    --case "$id" tests/sweep/broken.yaml >"$OUT/spi.log" 2>&1 && fail "the SPI run of $id passed"
grep -q "re-run: .* --link spi --case '$id'" "$OUT/spi.log" || fail "SPI re-run command lacks --link spi (see $OUT/spi.log)"
n=$(grep -m 1 "re-run: " "$OUT/spi.log" | grep -o -- '--link spi' | wc -l)
[ "$n" -eq 1 ] || fail "SPI re-run command has --link spi $n times (issue 14 defect 9; see $OUT/spi.log)"
echo "broken-commit: ok over SPI too (re-run command carries --link spi)"
