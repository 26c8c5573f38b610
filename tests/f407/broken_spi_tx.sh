#!/bin/sh
# QEMU test (issue 10): port_spi_tx's wait for the previous response,
# called by an application through the services table while the SPI
# master does not clock (scenarios/link.spi.app_tx_no_clock.yaml). A
# test-only build with the wait bounded by the bootloader's SysTick again
# (FOTA_TEST_BROKEN_SPI_TX_TICK, build/fw-broken-spi-tx/: the bug the fix
# removed) hangs there until the IWDG resets the chip, and the scenario
# fails on --target f407. The real driver passes on f407; --target stock
# serves port_spi_tx at a breakpoint and SKIPs the scenario.
# Usage: broken_spi_tx.sh FOTA_HIL
set -u
HIL=${1:?usage: broken_spi_tx.sh FOTA_HIL}
OUT=build/work/broken-spi-tx-test
SCN=scenarios/link.spi.app_tx_no_clock.yaml
ID=link.spi.app_tx_no_clock
BAD=build/fw-broken-spi-tx/bootloader.elf
mkdir -p "$OUT"
fail() { echo "broken-spi-tx: FAIL: $*"; exit 1; }

"$HIL" run -j 1 --target f407 --work-dir "$OUT/real" "$SCN" >"$OUT/real.log" 2>&1 ||
    fail "the real driver fails on f407; see $OUT/real.log"
"$HIL" run -j 1 --target stock --work-dir "$OUT/stock" "$SCN" >"$OUT/stock.log" 2>&1 ||
    fail "the scenario did not SKIP on stock; see $OUT/stock.log"
grep -q "^SKIP $ID: requires register_level" "$OUT/stock.log" || fail "no SKIP on stock in $OUT/stock.log"
"$HIL" run -j 1 --target f407 --bootloader-elf "$BAD" --work-dir "$OUT/f407" "$SCN" >"$OUT/f407.log" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "the tick-bounded wait was not caught on f407 (exit $rc); see $OUT/f407.log"
grep -q "^FAIL $ID: " "$OUT/f407.log" || fail "no failing case id in $OUT/f407.log"
echo "broken-spi-tx: the tick-bounded wait is caught on f407 (SKIP on stock)"
