#!/bin/sh
# QEMU test (issue 10): the SPI1 slave model proves the port's SPI/DMA
# code. A test-only broken SPI driver (FOTA_TEST_BROKEN_SPI_RING: the RX
# DMA ring without circular mode, build/fw-broken-spi/) passes an update
# over SPI on --target stock, where port_spi_rx is served at a breakpoint,
# and is caught on --target f407, where it runs against SPI1 and DMA2: the
# stream stops after 2048 bytes and the device hears nothing more. The
# real driver passes on f407.
# Usage: broken_spi_driver.sh FOTA_HIL
set -u
HIL=${1:?usage: broken_spi_driver.sh FOTA_HIL}
OUT=build/work/broken-spi-driver-test
SCN=scenarios/update.clean.yaml
BAD=build/fw-broken-spi/bootloader.elf
mkdir -p "$OUT"
fail() { echo "broken-spi-driver: FAIL: $*"; exit 1; }

"$HIL" run -j 1 --target f407 --link spi --work-dir "$OUT/real" "$SCN" >"$OUT/real.log" 2>&1 ||
    fail "the real driver fails on f407 over SPI; see $OUT/real.log"
"$HIL" run -j 1 --target stock --link spi --bootloader-elf "$BAD" --work-dir "$OUT/stock" "$SCN" \
    >"$OUT/stock.log" 2>&1 ||
    fail "the broken driver fails on stock (it should pass: the driver is served there); see $OUT/stock.log"
"$HIL" run -j 1 --target f407 --link spi --bootloader-elf "$BAD" --work-dir "$OUT/f407" "$SCN" >"$OUT/f407.log" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "the broken driver was not caught on f407 (exit $rc); see $OUT/f407.log"
grep -q '^FAIL update.clean.a_to_b_to_a: ' "$OUT/f407.log" || fail "no failing case id in $OUT/f407.log"
echo "broken-spi-driver: caught on f407, passes on stock"
