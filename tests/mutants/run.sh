#!/bin/sh
# `make mutants` (tests/mutants/build.mk): run the fixed scenario subset
# against each mutant bootloader (build/fw-mutant-<name>/) and print
# killed/total. A mutant is killed when at least one scenario or sweep case
# fails on it; the first failures are quoted. The suite must first pass on
# the real bootloader, or a "kill" would mean nothing.
# Usage: run.sh FOTA_HIL 'SELECTION ARGS' MUTANT...
set -u
HIL=${1:?usage: run.sh FOTA_HIL 'SELECTION' MUTANT...}
SEL=$2
shift 2
OUT=build/work/mutants
J=${MUTANT_JOBS:-2}
mkdir -p "$OUT"
# shellcheck disable=SC2086 # SEL is a list of options
"$HIL" run -j "$J" --work-dir "$OUT/real" $SEL scenarios/ >"$OUT/real.log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
    echo "mutants: the subset fails on the real bootloader (exit $rc, $OUT/real.log); no verdict"
    grep '^FAIL' "$OUT/real.log" | head -n 5
    exit 1
fi
total=0
killed=0
survivors=""
for m in "$@"; do
    total=$((total + 1))
    # shellcheck disable=SC2086
    "$HIL" run -j "$J" --work-dir "$OUT/$m" --bootloader-elf "build/fw-mutant-$m/bootloader.elf" \
        $SEL scenarios/ >"$OUT/$m.log" 2>&1
    rc=$?
    if [ $rc -eq 1 ]; then
        killed=$((killed + 1))
        echo "KILLED $m by $(grep -c '^FAIL' "$OUT/$m.log") failures, e.g.:"
        grep '^FAIL' "$OUT/$m.log" | head -n 3 | cut -c1-200 | sed 's/^/    /'
    elif [ $rc -eq 0 ]; then
        survivors="$survivors $m"
        echo "SURVIVED $m ($OUT/$m.log)"
    else
        echo "ERROR $m: fota-hil exit $rc ($OUT/$m.log)"
    fi
done
echo "mutants: $killed/$total killed${survivors:+; survivors:$survivors}"
[ "$killed" -eq "$total" ]
