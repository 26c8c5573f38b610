#!/bin/sh
# QEMU test (issue 10): the fota-f407 FLASH model stalls the CPU for an
# operation (RM0090 3.5.2; docs/QEMU.md "The CPU stall"), in virtual time
# under -icount, so the bootloader's BSY loop (port/stm32f4/flash.c
# flash_wait_idle) polls FLASH_SR once or twice per operation. With the
# stall off (-global stm32f4xx-flash.fetch-stall=off: code as if run from
# SRAM) it polls about 200 times per 16 us word program (13 million
# FLASH_SR reads for this scenario). The same update passes both ways,
# with the same operations and flash contents. Counted from QEMU's trace
# (stm32f4xx_flash_read of offset 0x0c, FLASH_SR) through a --qemu wrapper.
# Usage: fetch_stall.sh FOTA_HIL
set -u
HIL=${1:?usage: fetch_stall.sh FOTA_HIL}
QEMU=$(readlink -f build/qemu/qemu-system-arm)
OUT=build/work/fetch-stall-test
SCN=scenarios/update.clean.yaml
ID=update.clean.a_to_b_to_a
rm -rf "$OUT"
mkdir -p "$OUT"
fail() { echo "fetch-stall: FAIL: $*"; exit 1; }
[ -x "$QEMU" ] || fail "no build/qemu/qemu-system-arm (make qemu)"

# run MODE TRACE EXTRA...: the update with QEMU's trace events TRACE into $OUT/MODE.trace
run() {
    mode=$1
    ev=$2
    shift 2
    w="$OUT/qemu-$mode.sh"
    printf '#!/bin/sh\nexec %s "$@" -d %s -D %s %s\n' "$QEMU" "$ev" "$PWD/$OUT/$mode.trace" "$*" >"$w"
    chmod +x "$w"
    "$HIL" run -j 1 --target f407 --qemu "$w" --work-dir "$OUT/$mode" "$SCN" >"$OUT/$mode.log" 2>&1 ||
        fail "$ID with the stall $mode failed; see $OUT/$mode.log"
    ops=$(grep -c 'stm32f4xx_flash_op_start' "$OUT/$mode.trace")
    polls=$(grep -c 'stm32f4xx_flash_read offset 0x0c' "$OUT/$mode.trace")
    stalls=$(grep -c 'stm32f4xx_flash_stall' "$OUT/$mode.trace")
    sha=$(sed -n 's/.*final flash sha256 //p' "$OUT/$mode/$ID/events.log")
    echo "$ops $polls $stalls $sha"
}
EV=trace:stm32f4xx_flash_op_start,trace:stm32f4xx_flash_stall
set -- $(run on "$EV,trace:stm32f4xx_flash_read")
on_ops=$1 on_polls=$2 on_stalls=$3 on_sha=${4:-}
# (FLASH_SR reads not traced without the stall: some 13 million, 650 MB of trace)
set -- $(run off "$EV" -global stm32f4xx-flash.fetch-stall=off)
off_ops=$1 off_polls=$2 off_stalls=$3 off_sha=${4:-}
echo "fetch-stall: $ID: $on_ops operations, $on_polls FLASH_SR reads and $on_stalls stalls with the stall; same operations and flash without"
[ "$on_ops" -gt 100 ] || fail "only $on_ops flash operations traced: is the trace on?"
[ "$on_ops" -eq "$off_ops" ] || fail "the update made $on_ops operations with the stall, $off_ops without"
[ -n "$on_sha" ] && [ "$on_sha" = "$off_sha" ] || fail "final flash differs: '$on_sha' with the stall, '$off_sha' without"
[ "$on_stalls" -ge "$on_ops" ] || fail "$on_stalls stalls for $on_ops operations"
[ "$off_stalls" -eq 0 ] || fail "$off_stalls stalls with fetch-stall=off"
# BSY polls: at most 3 per operation with the stall; a word program alone is 16 us of polling without
[ "$on_polls" -le $((3 * on_ops + 50)) ] || fail "$on_polls FLASH_SR reads for $on_ops operations with the stall"
echo "fetch-stall: ok"
