#!/bin/sh
# Static and boot checks of the stm32f4 firmware (run by `make test` after
# `make firmware`, from the repository root):
#  - the symbols the QEMU harness breaks on exist in bootloader.elf
#    (fota/port.h HIL-SERVED functions, Reset_Handler);
#  - bl_api_table sits at LAYOUT_BL_API_ADDR, the bootloader fits 32 KB;
#  - every application is linked at its slot base + 0x200;
#  - in QEMU, with only the bootloader in flash, it prints its banner and
#    stays in recovery (nothing valid to boot).
set -eu
FW=${FW:-build/fw}
NM=${NM:-arm-none-eabi-nm}
QEMU=${QEMU:-qemu-system-arm}
fail=0
bad() { echo "check-firmware: $*" >&2; fail=1; }

sym() { "$NM" "$1" | awk -v s="$2" '$3 == s { print $1; exit }'; }

for s in port_flash_erase_sector port_flash_program port_watchdog_start \
         port_watchdog_refresh port_jump Reset_Handler; do
    [ -n "$(sym "$FW/bootloader.elf" "$s")" ] || bad "bootloader.elf: no symbol $s"
done
[ "$(sym "$FW/bootloader.elf" bl_api_table)" = "08000200" ] || bad "bl_api_table is not at 0x08000200"
size=$(wc -c < "$FW/bootloader.bin")
[ "$size" -le 32768 ] || bad "bootloader.bin is $size bytes (> 32 KB)"

for elf in "$FW"/apps/*-A.elf "$FW"/apps/*-B.elf; do
    case "$elf" in *-A.elf) want=08020200 ;; *) want=08080200 ;; esac
    [ "$(sym "$elf" stm32f4_vectors)" = "$want" ] || bad "$elf: vectors not at 0x$want"
done

if command -v "$QEMU" >/dev/null 2>&1; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    # 1 MB of erased flash with the bootloader at offset 0.
    head -c 1048576 /dev/zero | tr '\000' '\377' > "$tmp/flash.img"
    dd if="$FW/bootloader.bin" of="$tmp/flash.img" conv=notrunc status=none
    timeout 10 "$QEMU" -M netduinoplus2 -nographic -monitor none -serial null \
        -serial "file:$tmp/console.txt" -device "loader,file=$tmp/flash.img,addr=0x08000000" \
        -icount shift=4,sleep=off >/dev/null 2>&1 &
    pid=$!
    i=0
    while [ $i -lt 50 ] && ! grep -q "update mode (recovery)" "$tmp/console.txt" 2>/dev/null; do
        sleep 0.1; i=$((i + 1))
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    grep -q "^BL: fota-hil bootloader" "$tmp/console.txt" || bad "QEMU: no bootloader banner"
    grep -q "^BL: update mode (recovery)" "$tmp/console.txt" || bad "QEMU: empty flash did not give recovery"
fi

[ $fail -eq 0 ] && echo "check-firmware: ok"
exit $fail
