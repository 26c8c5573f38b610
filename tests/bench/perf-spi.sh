#!/bin/sh
# make bench, part of tests/bench/sweep-bench.sh: perf's software counters
# (task-clock, context switches, syscalls) of QEMU, the harness and fotactl
# during the 256 KB update over SPI on --target TARGET (default stock), per
# KB transferred.
#
# perf stat cannot split one workload by process, so the counts come from
# `perf record` of the whole run (children inherited), attributed by comm:
# context switches and raw_syscalls:sys_enter recorded at every event
# (exact counts), task-clock sampled every 100 us of CPU time. Recording
# costs: the counts include the context switches perf's own wakeups cause
# (about 3x perf stat's on a small workload here). If perf is missing or
# not permitted (perf_event_paranoid, a container without
# CAP_PERFMON), this says why and skips: it never fails the bench.
# Usage: perf-spi.sh FOTA_HIL OUTDIR [TARGET]
set -u
HIL=${1:?usage: perf-spi.sh FOTA_HIL OUTDIR [TARGET]}
OUT=${2:?usage: perf-spi.sh FOTA_HIL OUTDIR [TARGET]}
T=${3:-stock}
IMG=build/images/big-2.0.0-B.img
mkdir -p "$OUT"
if ! command -v perf >/dev/null 2>&1; then
    echo "[$T] perf: skipped (perf is not installed: apt-get install linux-perf, scripts/install-deps.sh)"
    exit 0
fi
if ! perf stat -e task-clock,context-switches -o /dev/null true 2>"$OUT/perf-check.log"; then
    echo "[$T] perf: skipped (perf stat is not permitted here: $(head -n 1 "$OUT/perf-check.log");" \
         "kernel.perf_event_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo ?))"
    exit 0
fi
events="-e task-clock/period=100000/ -e context-switches"
syscalls="syscalls"
if perf stat -e raw_syscalls:sys_enter -o /dev/null true 2>/dev/null; then
    events="$events -e raw_syscalls:sys_enter"
else
    syscalls="syscalls not counted (the tracepoint raw_syscalls:sys_enter is not permitted: tracefs not mounted or not root)"
fi
# shellcheck disable=SC2086
if ! perf record -q -c 1 $events -o "$OUT/perf.data" -- "$HIL" run -j 1 --target "$T" --link spi \
        --work-dir "$OUT/work" tests/bench/update_256k.yaml >"$OUT/perf-run.log" 2>&1; then
    echo "[$T] perf: the SPI update failed or perf record could not run ($OUT/perf-run.log): skipped"
    exit 0
fi
kb=$(( $(stat -c %s "$IMG") / 1024 ))
perf script -i "$OUT/perf.data" -F comm,event 2>/dev/null | awk -v kb="$kb" -v sc="$syscalls" -v t="$T" '
    { sub(/:$/, "", $NF); ev = $NF; comm = $0; sub(/ +[^ ]+$/, "", comm); gsub(/^ +/, "", comm)
      who = comm ~ /^qemu-system-arm/ ? "QEMU" : comm == "fota-hil" ? "harness" : comm == "fotactl" ? "fotactl" : ""
      if (who == "") next
      if (ev ~ /^task-clock/) cpu[who] += 0.1; else if (ev == "context-switches") cs[who]++; else sys[who]++ }
    END { n = split("QEMU harness fotactl", w, " ")
          for (i = 1; i <= n; i++) { k = w[i]
              printf "[%s] perf, 256 KB SPI update (%d KB image), %s: task-clock %.1f ms (%.2f ms/KB), context switches %d (%.1f/KB), ", t,
                     kb, k, cpu[k], cpu[k] / kb, cs[k], cs[k] / kb
              if (sc == "syscalls") printf "syscalls %d (%.1f/KB)\n", sys[k], sys[k] / kb; else printf "%s\n", sc } }'
rm -f "$OUT/perf.data" # ~150 MB
