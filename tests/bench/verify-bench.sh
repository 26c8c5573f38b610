#!/bin/sh
# make bench: the bootloader's image verification time on a 256 KB image
# (docs/SECURITY.md "Footprint and cost").
# Usage: verify-bench.sh MKFLASH
#
# The flash: bootloader + big-2.0.0-A (256 KB payload, signed) confirmed
# in A (host/mkflash.c). QEMU runs with -icount shift=0, sleep=off: every
# guest instruction advances the virtual clock by exactly 1 ns, whatever
# the host's load, and the clock stops while the GDB stub holds the CPU.
# At the entry and at the return of image_verify_fih() (the boot's check
# of slot A; it returns FIH_SUCCESS, 0x3ca5965a, fota/fih.h) gdb-multiarch reads the guest's 1 kHz SysTick tick
# (clock_tick_ms; 1 ms of virtual time = 10^6 instructions): the
# instructions in between, to +-10^6 (SYST_CVR read over the stub does not
# follow the virtual clock in QEMU 7.2, so the tick is all there is).
# The modelled time at
# 168 MHz assumes one instruction per cycle (a lower bound: flash wait
# states and multi-cycle instructions make the part slower; with the
# ART accelerator on, an M4 runs near 1 IPC in such loops).
set -eu
MKFLASH=${1:?usage: verify-bench.sh MKFLASH}
OUT=build/bench/verify
QEMU=${QEMU_SYSTEM_ARM:-qemu-system-arm}
mkdir -p "$OUT"
for t in gdb-multiarch "$QEMU"; do
    command -v "$t" >/dev/null 2>&1 || { echo "verify-bench: $t not found (scripts/install-deps.sh)" >&2; exit 2; }
done
"$MKFLASH" --out "$OUT/flash.img" --bootloader build/fw/bootloader.bin \
    --slot-a build/images/big-2.0.0-A.img --end 0:0 --seq 1 >/dev/null
port=$(( 20000 + $$ % 20000 ))
"$QEMU" -M netduinoplus2 -nodefaults -display none -monitor none -S \
    -gdb "tcp:127.0.0.1:$port" -device "loader,file=$OUT/flash.img,addr=0x08000000" \
    -icount shift=0,sleep=off >"$OUT/qemu.log" 2>&1 &
qpid=$!
trap 'kill $qpid 2>/dev/null || true' EXIT
gdb-multiarch -batch -nx -ex "file build/fw/bootloader.elf" -ex "target remote 127.0.0.1:$port" \
    -ex "break image_verify_fih" -ex "continue" \
    -ex 'printf "T0 %u\n", clock_tick_ms' -ex "finish" \
    -ex 'printf "T1 %u %u\n", clock_tick_ms, $r0' >"$OUT/gdb.log" 2>&1 || true
set -- $(sed -n 's/^T0 //p' "$OUT/gdb.log") $(sed -n 's/^T1 //p' "$OUT/gdb.log")
if [ $# -ne 3 ]; then
    echo "verify-bench: no measurement (see $OUT/gdb.log)" >&2
    exit 1
fi
size=$(stat -c %s build/images/big-2.0.0-A.img)
awk -v ms0="$1" -v ms1="$2" -v rc="$3" -v size="$size" 'BEGIN {
    insns = (ms1 - ms0) * 1000000
    printf "verify: image_verify_fih() of a %d-byte signed image (big-2.0.0-A): result 0x%08x, %.0f +- 1000000 instructions " \
           "(QEMU -icount shift=0), %.0f ms at 168 MHz and 1 instruction/cycle\n", size, rc, insns, insns / 168000
}'
