#!/bin/sh
# make bench: for each target (--target stock, and f407 when `make qemu`
# has built it), side by side in one run: QEMU boots per second; a 256 KB
# update's wall time over UART and over SPI (f407: the harness clocks the
# SPI1 slave model as master); a 256 KB install through the ST ROM over
# I2C (AN4221, tests/bench/rom_256k_an4221.yaml); power-cut fault points per second per core with and without
# the journal; wall time of the exhaustive power-cut sweep of the 256 KB
# update (tests/bench/power_cut_256k_full.yaml) over UART and over SPI
# (shared runs, the default) and over SPI with --no-share (every crash
# state booted: the cost of a recovery boot); perf's software counters of QEMU, the harness and fotactl during the SPI
# update, per KB (tests/bench/perf-spi.sh).
# Usage: sweep-bench.sh FOTA_HIL [JOBS] [TARGETS]. Measured in this one run.
set -u
HIL=${1:?usage: sweep-bench.sh FOTA_HIL [JOBS]}
JOBS=${2:-$(nproc)}
TARGETS=${3:-stock f407}
OUT=build/bench
mkdir -p "$OUT"
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# Time from start to the JOURNAL line (the recording) and to the end.
timed_sweep() { # $1 log, rest: fota-hil args
    log=$1; shift
    t0=$(now); tj=""
    "$HIL" run "$@" 2>&1 | while IFS= read -r line; do
        case "$line" in JOURNAL*) echo "T_JOURNAL $(now)";; esac
        printf '%s\n' "$line"
    done >"$log"
    t1=$(now)
    tj=$(sed -n 's/^T_JOURNAL //p' "$log" | head -n 1)
    echo "$t0 ${tj:-$t0} $t1"
}


bench_target() { # $1 target
    T=$1
    OUT=build/bench/$T
    mkdir -p "$OUT"
    echo "== fota-hil bench --target $T ($JOBS jobs, $(nproc) cores)"
    N=20
    t0=$(now)
    i=0
    while [ $i -lt $N ]; do
        "$HIL" run -j 1 --target "$T" --work-dir "$OUT/boot" tests/bench/boot.yaml >/dev/null 2>&1 ||
            { echo "bench: boot scenario failed on $T ($OUT/boot)"; return 1; }
        i=$((i + 1))
    done
    t1=$(now)
    echo "[$T] QEMU boots per second (cold boot to a confirmed app, 1 core): $(calc %.1f "$N / ($t1 - $t0)")"
    for l in uart spi; do
        t0=$(now)
        "$HIL" run -j 1 --target "$T" --link "$l" --work-dir "$OUT/upd-$l" tests/bench/update_256k.yaml \
            >"$OUT/upd-$l.log" 2>&1 || { echo "bench: 256 KB update failed on $T/$l ($OUT/upd-$l.log)"; return 1; }
        t1=$(now)
        echo "[$T] 256 KB update over $l, power-on to the end (1 core): $(calc %.1f "$t1 - $t0") s wall"
    done
    # The ST ROM path over I2C (AN4221): the harness's emulated ROM writes
    # the 256 KB image, 64 bytes per WRITE MEMORY, then the bootloader boots it.
    t0=$(now)
    "$HIL" run -j 1 --target "$T" --work-dir "$OUT/rom-an4221" tests/bench/rom_256k_an4221.yaml \
        >"$OUT/rom-an4221.log" 2>&1 || { echo "bench: 256 KB AN4221 install failed on $T ($OUT/rom-an4221.log)"; return 1; }
    t1=$(now)
    echo "[$T] 256 KB install through the ST ROM over I2C (AN4221, 64-byte writes), power-on to the trial boot (1 core): $(calc %.1f "$t1 - $t0") s wall"
    # perf's software counters of the SPI update per process (skips itself
    # when perf is missing or not permitted)
    tests/bench/perf-spi.sh "$HIL" "$OUT/perf" "$T"

    swept=0
    for l in uart spi; do
        set -- $(timed_sweep "$OUT/sweep-$l.log" -j "$JOBS" --target "$T" --link "$l" --work-dir "$OUT/work-$l" \
            tests/bench/power_cut_256k_full.yaml)
        s0=$1 sj=$2 s1=$3
        cases=$(sed -n 's/^SWEEP [^:]*: \([0-9]*\) cases.*/\1/p' "$OUT/sweep-$l.log")
        grep -E '^(JOURNAL|SWEEP|[0-9]+ passed)' "$OUT/sweep-$l.log" | sed "s/^/[$T] $l: /"
        echo "[$T] exhaustive power-cut sweep of the 256 KB update over $l: ${cases:-?} cases in $(calc %.1f "$s1 - $s0") s wall on $JOBS cores (recording the clean update: $(calc %.1f "$sj - $s0") s; cases: $(calc %.1f "$s1 - $sj") s)"
        echo "[$T] fault points per second per core over $l, journal replay (recovery only): $(calc %.2f "${cases:-0} / ($s1 - $sj) / $JOBS")"
        grep -q ', 0 failed' "$OUT/sweep-$l.log" || swept=1
    done

    # Every crash state booted (--no-share: no shared runs,
    # docs/SCENARIOS.md), over SPI: the cost of one recovery boot.
    set -- $(timed_sweep "$OUT/sweep-noshare.log" -j "$JOBS" --no-share --target "$T" --link spi \
        --work-dir "$OUT/work-noshare" tests/bench/power_cut_256k_full.yaml)
    s0=$1 sj=$2 s1=$3
    cases=$(sed -n 's/^SWEEP [^:]*: \([0-9]*\) cases.*/\1/p' "$OUT/sweep-noshare.log")
    echo "[$T] the same sweep over spi with --no-share (every crash state booted): ${cases:-?} cases in $(calc %.1f "$s1 - $s0") s wall; $(calc %.2f "${cases:-0} / ($s1 - $sj) / $JOBS") fault points per second per core"
    grep -q ', 0 failed' "$OUT/sweep-noshare.log" || swept=1

    # The slow way: one cut, the whole 256 KB update re-run in QEMU up to it
    # (op 130 of 260), then the recovery; on one core.
    set -- $(timed_sweep "$OUT/slow.log" -j 1 --no-journal --target "$T" --work-dir "$OUT/slow" \
        --case "sweep.power_cut_256k_full@program:128:torn-half" tests/bench/power_cut_256k_full.yaml)
    s0=$1 sj=$2 s1=$3
    grep -E '^(FAIL|[0-9]+ passed)' "$OUT/slow.log" | sed "s/^/[$T] /"
    echo "[$T] fault points per second per core, slow way (the update re-run up to the cut): $(calc %.3f "1 / ($s1 - $sj)")"
    return $swept
}

echo "== fota-hil bench: $(qemu-system-arm --version | head -n 1) (stock); fota-f407: build/qemu/qemu-system-arm"
rc=0
for T in $TARGETS; do
    if [ "$T" = f407 ] && [ ! -x build/qemu/qemu-system-arm ]; then
        echo "[f407] skipped: build/qemu/qemu-system-arm is missing (make qemu)"
        continue
    fi
    bench_target "$T" || rc=1
done
exit $rc
