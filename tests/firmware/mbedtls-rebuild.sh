#!/bin/sh
# An edit of crypto/ (a new mbedTLS cache directory, crypto/build.sh) must
# rebuild and relink the bootloader. Builds the bootloader into a scratch
# FW directory, then asks make for it again with MBEDTLS_DIR pointing at a
# directory that does not exist yet: make must build the library there and
# relink. It failed before bootloader/build.mk put the directory into the
# objects' flags stamp (`.SECONDARY:` made the missing library an
# intermediate that make skipped).
set -eu
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mbtest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
fw="$tmp/fw"
make --no-print-directory -s FW="$fw" "$fw/bootloader.elf" >"$tmp/make1.log" 2>&1 ||
    { cat "$tmp/make1.log"; echo "mbedtls-rebuild: FAIL: the first build failed"; exit 1; }
# A directory that does not exist yet stands for the key of an edited crypto/.
new="$tmp/mbedtls-new"
make --no-print-directory -s FW="$fw" MBEDTLS_DIR="$new" "$fw/bootloader.elf" >"$tmp/make2.log" 2>&1 ||
    { cat "$tmp/make2.log"; echo "mbedtls-rebuild: FAIL: the second build failed"; exit 1; }
if [ ! -f "$new/libmbedcrypto.a" ]; then
    echo "mbedtls-rebuild: FAIL: a new MBEDTLS_DIR was not built; the bootloader stayed linked against the old library"
    exit 1
fi
grep -q "$new/libmbedcrypto.a" "$fw/bootloader.map" ||
    { echo "mbedtls-rebuild: FAIL: the bootloader was not relinked against $new"; exit 1; }
echo "mbedtls-rebuild: ok: a new mbedTLS directory was built and the bootloader relinked against it"
