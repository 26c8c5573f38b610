#!/usr/bin/env bash
# Install the Debian packages fota-hil needs, if any is missing.
# As root: runs apt-get. Otherwise: prints the exact command and fails.
# Usage: scripts/install-deps.sh [--check]   (--check: only report, exit 1 if missing)
set -eu
PKGS=(
  make gcc
  gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi
  qemu-system-arm
  libcmocka-dev libyaml-dev libelf-dev libpcap-dev
  libgpiod-dev libusb-1.0-0-dev openocd
  python3
  tshark
  chromium
  stm32flash
  mosquitto lighttpd libcurl4-openssl-dev libmosquitto-dev libjansson-dev
  stress-ng
  clang libclang-rt-14-dev
  # image signing (fotactl) and the host build of the bootloader core; the
  # bootloader's own mbedTLS is built from the source package (crypto/build.sh)
  libmbedtls-dev
  # tests/bench/verify-bench.sh reads the guest clock over QEMU's GDB stub
  gdb-multiarch
  # tests/bench/perf-spi.sh: perf's software counters of the SPI update
  linux-perf
  # qemu/build.sh: Debian's qemu source package and what building it needs
  dpkg-dev meson ninja-build pkg-config flex bison python3-venv rsync patch
  libglib2.0-dev libpixman-1-dev libfdt-dev
)
missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "missing Debian packages: ${missing[*]}" >&2
  exit 1
fi
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "fota-hil needs: ${missing[*]}" >&2
  echo "run as root:  apt-get update && $cmd" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
$cmd
