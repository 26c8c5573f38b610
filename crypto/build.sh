#!/usr/bin/env bash
# Build the mbedTLS static library the bootloader verifies signatures with
# (Cortex-M4, crypto/fota_mbedtls_config.h), from Debian's mbedtls source
# package. No copy of mbedTLS is kept in the tree.
#
#   crypto/build.sh path         print the library's directory; no build
#   crypto/build.sh build [DIR]  build it unless the cache has it, print the
#                                directory (DIR: the one `path` printed when
#                                make read its files, see crypto/build.mk)
#
# The result goes to $FOTA_HIL_CACHE (default /var/cache/fota-hil) under
# mbedtls-<key>/, key = SHA-256 of the crypto/ tree and of the ARM
# compiler's version, so every clone on the machine shares it:
#   mbedtls-<key>/libmbedcrypto.a, mbedtls-<key>/include/{mbedtls/,fota_mbedtls_config.h}
#
# Steps (docs/SECURITY.md "Building mbedTLS"): fetch the source package
# through a private deb-src list (the system's apt configuration is not
# touched), check the .dsc against the pinned SHA-256 (source.conf),
# dpkg-source -x (checks the tarballs against the .dsc, applies Debian's
# patches), compile MBEDTLS_SRCS with arm-none-eabi-gcc, archive. Any
# failure says why and how to fix it, and exits 2.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=source.conf
. "$here/source.conf"
# shellcheck source=../scripts/deb-source.sh
. "$here/../scripts/deb-source.sh"
cache=${FOTA_HIL_CACHE:-/var/cache/fota-hil}
cc=${ARM_CC:-arm-none-eabi-gcc}

die() {
  echo "crypto/build.sh: $1" >&2
  shift
  for line in "$@"; do echo "  $line" >&2; done
  exit 2
}

# (No compiler yet, e.g. before `make deps`: the key says so; make passes
# the directory it computed to `build`.)
mbedtls_key() {
  { (cd "$here" && find . -type f ! -name '*~' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    sha256sum < "$here/../scripts/deb-source.sh"
    "$cc" --version 2>/dev/null | head -1 || echo "no $cc"; } | sha256sum | cut -c1-16
}

out="$cache/mbedtls-$(mbedtls_key)"
case "${1:-}" in
  path) echo "$out"; exit 0 ;;
  build) out=${2:-$out} ;;
  *) die "usage: crypto/build.sh path|build [DIR]" ;;
esac
command -v "$cc" >/dev/null 2>&1 ||
  die "cannot build mbedTLS: $cc not found" "fix: run scripts/install-deps.sh as root (make deps)"
if [ -f "$out/libmbedcrypto.a" ]; then
  echo "$out"
  exit 0
fi

check_tools() {
  local missing=() t
  for t in apt-get dpkg-source arm-none-eabi-ar flock; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  if [ ${#missing[@]} -ne 0 ]; then
    die "cannot build mbedTLS: missing ${missing[*]}" \
        "fix: run scripts/install-deps.sh as root (make deps)"
  fi
  mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ] ||
    die "cannot write the build cache $cache" \
        "fix: run as root once, or set FOTA_HIL_CACHE to a writable directory"
}

# Download the source package and check its .dsc (scripts/deb-source.sh).
fetch_source() {
  deb_source_fetch "$MBEDTLS_DEB_PACKAGE" "$MBEDTLS_DEB_VERSION" "$MBEDTLS_DSC" "$MBEDTLS_DSC_SHA256" "$MBEDTLS_DEB_SRC" \
    crypto/source.conf
}

# Unpack, compile MBEDTLS_SRCS for the Cortex-M4, archive into $out.
build_lib() {
  local src="$work/src" tmp="$out.tmp" f
  rm -rf "$src" "$tmp"
  trap "rm -rf '$tmp'" EXIT
  dpkg-source -x "$work/dl/$MBEDTLS_DSC" "$src" >"$work/unpack.log" 2>&1 ||
    die "dpkg-source -x failed: the files do not match the .dsc (see $work/unpack.log)" \
        "fix: delete $work/dl and build again"
  mkdir -p "$tmp/obj" "$tmp/include"
  for f in $MBEDTLS_SRCS; do
    # shellcheck disable=SC2086
    "$cc" $MBEDTLS_CFLAGS -I"$here" -I"$src/include" \
      '-DMBEDTLS_CONFIG_FILE="fota_mbedtls_config.h"' \
      -c "$src/library/$f" -o "$tmp/obj/${f%.c}.o" 2>>"$work/compile.log" ||
      die "compiling library/$f failed (see $work/compile.log)"
  done
  arm-none-eabi-ar rcs "$tmp/libmbedcrypto.a" "$tmp"/obj/*.o
  cp -r "$src/include/mbedtls" "$tmp/include/"
  cp "$here/fota_mbedtls_config.h" "$tmp/include/"
  rm -rf "$tmp/obj" "$src"
  mv "$tmp" "$out"
}

check_tools
work="$cache/mbedtls-work"
mkdir -p "$work"
exec 9>"$cache/mbedtls-work.lock"
flock 9
if [ ! -f "$out/libmbedcrypto.a" ]; then
  : >"$work/compile.log"
  fetch_source
  build_lib
  echo "crypto/build.sh: built $out" >&2
fi
echo "$out"
