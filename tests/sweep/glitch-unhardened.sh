#!/bin/sh
# QEMU test: the glitch sweep can fail. On the unhardened bootloader
# (-DFOTA_NO_FIH, build/fw-nofih/) tests/sweep/glitch.yaml (every
# conditional branch of the boot decision inverted, a bad-signature image
# pending) must find a BYPASS with a case id whose printed re-run command
# reproduces it; on the hardened bootloader (build/fw/) the same sweep
# must find none. Usage: glitch-unhardened.sh FOTA_HIL
NAME=glitch-unhardened
. tests/sweep/common.sh

"$HIL" run -j 2 --bootloader-elf build/fw-nofih/bootloader.elf --work-dir "$OUT/w1" \
    tests/sweep/glitch.yaml >"$OUT/first.log" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "the glitch sweep found no bypass on the unhardened bootloader (exit $rc); see $OUT/first.log"
grep -q '^FAIL sweep.glitch_unhardened@glitch:.*glitch BYPASS' "$OUT/first.log" || fail "no BYPASS case in $OUT/first.log"
grep -q '^SWEEP sweep.glitch_unhardened: .* [1-9][0-9]* bypassed (bypass rate ' "$OUT/first.log" ||
    fail "the SWEEP line gives no bypasses: $(grep '^SWEEP' "$OUT/first.log")"
cmd=$(sed -n 's/^ *re-run: //p' "$OUT/first.log" | head -n 1 | sed 's/ ([0-9.]* s)$//')
id=$(printf '%s\n' "$cmd" | sed -n "s/.*--case '\([^']*\)'.*/\1/p")
case "$cmd" in *"--bootloader-elf build/fw-nofih/bootloader.elf"*) ;; *) fail "re-run command lacks the ELF: $cmd";; esac
echo "glitch-unhardened: bypass $id ($(grep '^SWEEP' "$OUT/first.log")); re-running: $cmd"
again=$(printf '%s\n' "$cmd" | sed "s| run | run --work-dir $OUT/w2 |")
sh -c "$again" >"$OUT/again.log" 2>&1 && fail "re-run of $id passed"
grep -q "^FAIL $id: glitch BYPASS" "$OUT/again.log" || fail "re-run did not reproduce the bypass of $id (see $OUT/again.log)"
"$HIL" run -j 2 --work-dir "$OUT/w3" tests/sweep/glitch.yaml >"$OUT/hardened.log" 2>&1 ||
    fail "the hardened bootloader failed the glitch sweep; see $OUT/hardened.log"
grep -q '^SWEEP sweep.glitch_unhardened: .* 0 failed, 0 bypassed (bypass rate 0.00 %)' "$OUT/hardened.log" ||
    fail "hardened: $(grep '^SWEEP' "$OUT/hardened.log")"
echo "glitch-unhardened: ok (hardened: $(grep '^SWEEP' "$OUT/hardened.log"))"
