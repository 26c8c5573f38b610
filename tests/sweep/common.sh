# Sourced by the tests/sweep/*.sh QEMU tests: NAME is the test's name,
# $1 the fota-hil to run. Sets HIL and OUT (build/work/NAME-test, created)
# and fail() (prints "NAME: FAIL: ..." and exits 1).
set -u
HIL=${1:?usage: $NAME.sh FOTA_HIL}
OUT=build/work/$NAME-test
mkdir -p "$OUT"
fail() { echo "$NAME: FAIL: $*"; exit 1; }
