#!/usr/bin/env bash
# Build fota-hil's qemu-system-arm (machine fota-f407) and its qtests.
#
#   qemu/build.sh path    print where the binary is (or will be); no build
#   qemu/build.sh build   build it unless the cache has it, print the path
#
# The result goes to $FOTA_HIL_CACHE (default /var/cache/fota-hil) under
# qemu-<sha256 of the qemu/ tree>/, so every clone on the machine shares it
# and it is rebuilt only when qemu/ changes:
#   qemu-<key>/qemu-system-arm, qemu-<key>/qtest/<name>-test
#
# Steps (docs/QEMU.md): fetch Debian's qemu source package through a private
# deb-src list, check the .dsc against the pinned SHA-256 (dpkg-source -x
# then checks the tarballs against the .dsc), unpack with Debian's patches,
# copy qemu/src/ in, apply qemu/patches/series, configure (source.conf) and
# build with ninja. The source and build trees stay in $CACHE/qemu-work/ and
# are updated with rsync --checksum, so a change to one model recompiles
# only that file. Any failure says why and how to fix it, and exits 2.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=source.conf
. "$here/source.conf"
# shellcheck source=../scripts/deb-source.sh
. "$here/../scripts/deb-source.sh"
cache=${FOTA_HIL_CACHE:-/var/cache/fota-hil}
jobs=${QEMU_JOBS:-2}

die() {
  echo "qemu/build.sh: $1" >&2
  shift
  for line in "$@"; do echo "  $line" >&2; done
  exit 2
}

# The cache key: the contents and names of every file under qemu/ that goes
# into the build (build.mk only calls this script), and the shared fetch.
qemu_key() {
  { (cd "$here" && find . -type f ! -name '*~' ! -name build.mk -print0 | LC_ALL=C sort -z |
       xargs -0 sha256sum)
    sha256sum < "$here/../scripts/deb-source.sh"; } | sha256sum | cut -c1-16
}

out="$cache/qemu-$(qemu_key)"
case "${1:-}" in
  path) echo "$out/qemu-system-arm"; exit 0 ;;
  build) ;;
  *) die "usage: qemu/build.sh path|build" ;;
esac
if [ -x "$out/qemu-system-arm" ]; then
  echo "$out/qemu-system-arm"
  exit 0
fi

check_tools() {
  local missing=() t
  for t in apt-get dpkg-source meson ninja cc pkg-config rsync flock patch; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  for t in glib-2.0 pixman-1; do
    pkg-config --exists "$t" 2>/dev/null || missing+=("$t (pkg-config)")
  done
  [ -f /usr/include/libfdt.h ] || missing+=("libfdt.h (libfdt-dev)")
  if [ ${#missing[@]} -ne 0 ]; then
    die "cannot build QEMU: missing ${missing[*]}" \
        "fix: run scripts/install-deps.sh as root (make deps)"
  fi
}

prepare_cache() {
  mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ] ||
    die "cannot write the build cache $cache" \
        "fix: run as root once, or set FOTA_HIL_CACHE to a writable directory"
}

# Download the source package and check its .dsc (scripts/deb-source.sh).
fetch_source() {
  deb_source_fetch "$QEMU_DEB_PACKAGE" "$QEMU_DEB_VERSION" "$QEMU_DSC" "$QEMU_DSC_SHA256" "$QEMU_DEB_SRC" \
    qemu/source.conf
}

# Unpack (dpkg-source checks the tarballs against the .dsc), add the models,
# apply the series, and sync into the build's source tree.
prepare_tree() {
  local fresh="$work/unpacked" p
  rm -rf "$fresh" "$work"/*.orig.tar.*
  dpkg-source -x "$work/dl/$QEMU_DSC" "$fresh" >"$work/unpack.log" 2>&1 ||
    die "dpkg-source -x failed: the files do not match the .dsc (see $work/unpack.log)" \
        "fix: delete $work/dl and build again"
  cp -r "$here/src/." "$fresh/"
  while read -r p; do
    [ -n "$p" ] || continue
    patch -d "$fresh" -p1 --quiet --no-backup-if-mismatch <"$here/patches/$p" ||
      die "patch $p does not apply to $QEMU_DSC"
  done <"$here/patches/series"
  [ -e "$work/src" ] || rm -f "$work/src"
  mkdir -p "$work/src"
  # No -t: unchanged files keep their times, so ninja rebuilds only changes.
  rsync -rlp --checksum --delete --exclude=/.git --exclude=/build \
    --exclude=/GNUmakefile --exclude=/.git-submodule-status "$fresh/" "$work/src/"
  rm -rf "$fresh" "$work"/*.orig.tar.*
}

configure_and_build() {
  local b="$work/build" t targets=(qemu-system-arm)
  for t in $QEMU_QTESTS; do targets+=("tests/qtest/$t"); done
  if [ "$(cat "$b/.fota-configure" 2>/dev/null)" != "$QEMU_CONFIGURE_ARGS" ]; then
    rm -rf "$b"
    mkdir -p "$b"
    # shellcheck disable=SC2086
    (cd "$b" && ../src/configure $QEMU_CONFIGURE_ARGS) >"$work/configure.log" 2>&1 ||
      die "configure failed (see $work/configure.log)"
    echo "$QEMU_CONFIGURE_ARGS" >"$b/.fota-configure"
  fi
  ninja -C "$b" -j "$jobs" "${targets[@]}" >"$work/ninja.log" 2>&1 ||
    die "the QEMU build failed (see $work/ninja.log)"
  rm -rf "$out.tmp"
  mkdir -p "$out.tmp/qtest"
  cp "$b/qemu-system-arm" "$out.tmp/"
  for t in $QEMU_QTESTS; do cp "$b/tests/qtest/$t" "$out.tmp/qtest/"; done
  mv "$out.tmp" "$out"
}

check_tools
prepare_cache
work="$cache/qemu-work"
mkdir -p "$work"
exec 9>"$cache/qemu-work.lock"
flock 9
if [ ! -x "$out/qemu-system-arm" ]; then
  start=$(date +%s)
  echo "qemu/build.sh: building $out (first build: about 4 min on 2 quiet cores, 40 on heavily loaded ones)" >&2
  fetch_source
  prepare_tree
  configure_and_build
  echo "qemu/build.sh: built in $(( $(date +%s) - start )) s" >&2
fi
echo "$out/qemu-system-arm"
