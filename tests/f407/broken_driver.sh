#!/bin/sh
# QEMU test (issue 10): what the register-level machine proves that stock
# QEMU cannot. A test-only broken flash driver (FOTA_TEST_BROKEN_FLASH_PSIZE:
# PSIZE stays x32 for the tail bytes, build/fw-broken-flash/) is caught on
# --target f407 with a case id whose printed re-run command reproduces the
# verdict, and passes on --target stock, where port_flash_program is served
# at a breakpoint and the driver never runs. The real driver passes on both.
# Usage: broken_driver.sh FOTA_HIL
set -u
HIL=${1:?usage: broken_driver.sh FOTA_HIL}
OUT=build/work/broken-driver-test
SCN=scenarios/update.tail_bytes.yaml
BAD=build/fw-broken-flash/bootloader.elf
mkdir -p "$OUT"
fail() { echo "broken-driver: FAIL: $*"; exit 1; }

"$HIL" run -j 1 --target f407 --work-dir "$OUT/real" "$SCN" >"$OUT/real.log" 2>&1 ||
    fail "the real driver fails on f407; see $OUT/real.log"
"$HIL" run -j 1 --target stock --bootloader-elf "$BAD" --work-dir "$OUT/stock" "$SCN" >"$OUT/stock.log" 2>&1 ||
    fail "the broken driver fails on stock (it should pass: the driver is served there); see $OUT/stock.log"
"$HIL" run -j 1 --target f407 --bootloader-elf "$BAD" --work-dir "$OUT/f407" "$SCN" >"$OUT/f407.log" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "the broken driver was not caught on f407 (exit $rc); see $OUT/f407.log"
grep -q '^FAIL update.tail_bytes: ' "$OUT/f407.log" || fail "no failing case id in $OUT/f407.log"
# The device refused the tail chunk with the flash error (PGPERR -> EFLASH).
grep -q 'target refused DATA: EFLASH' "$OUT/f407.log" ||
    fail "the failure is not the flash error; see $OUT/f407.log"
echo "broken-driver: caught on f407, passes on stock"
