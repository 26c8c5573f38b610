# Firmware checks (tests/firmware/check-firmware.sh): symbols the harness
# needs, fixed addresses, sizes, and a QEMU boot of the bare bootloader.
# A script, run with the QEMU tests because it needs `make firmware` first.
QEMU_TESTS += tests/firmware/check-firmware.sh
QEMU_TESTS += tests/firmware/mbedtls-rebuild.sh
