#!/bin/sh
# make soak: a representative slice of the suite, repeated over both update
# links while stress-ng keeps every core busy (issue 11). Prints failures
# and flaky cases per 1000 cases, and the load averages seen.
#
# The slice (SOAK_FILTERS): every scenario of the wire (link.*: drops,
# corruption, disconnect, SPI transfer faults), one of each power cut
# family, rollback by watchdog and by crash, the update-mode timeout and a
# clean update: the paths where a host or guest timeout decides something.
# Each round runs it with --retries 1, so a case is PASS, FLAKY (failed,
# then passed) or FAIL (failed twice).
#
# SOAK_RETRIES=0 runs each case once, for a fota-hil that predates
# --retries (a "before" figure): the summary is then `N passed, N failed`.
#
# Usage: tests/bench/soak.sh FOTA_HIL [ROUNDS]   (env: SOAK_JOBS, SOAK_STRESS, SOAK_FILTERS, SOAK_RETRIES)
set -u
HIL=${1:?usage: soak.sh FOTA_HIL [ROUNDS]}
ROUNDS=${2:-${SOAK_ROUNDS:-3}}
JOBS=${SOAK_JOBS:-2}
CORES=$(nproc)
STRESS=${SOAK_STRESS:-$((CORES * 2))}
RETRIES=${SOAK_RETRIES:-1}
FILTERS=${SOAK_FILTERS:-"link.* power.cut.slot_program_middle power.cut.meta_commit rollback.hang rollback.crash update.mode_timeout update.clean"}
OUT=build/soak
rm -rf "$OUT"
mkdir -p "$OUT"
command -v stress-ng >/dev/null || { echo "soak: stress-ng missing (scripts/install-deps.sh)"; exit 2; }
stress-ng --cpu "$STRESS" --timeout 3h >/dev/null 2>&1 &
SPID=$!
trap 'kill $SPID 2>/dev/null; wait $SPID 2>/dev/null' EXIT INT TERM
set --
for f in $FILTERS; do set -- "$@" --filter "$f"; done
pass=0 fail=0 flaky=0 loads=""
r=0
while [ $r -lt "$ROUNDS" ]; do
    r=$((r + 1))
    for link in default spi; do
        log="$OUT/round$r-$link.log"
        # default: each scenario's own link (UART but for link.spi.*); spi: all over SPI
        lk=""
        [ "$link" = spi ] && lk="--link spi"
        rt=""
        [ "$RETRIES" -gt 0 ] && rt="--retries $RETRIES"
        # shellcheck disable=SC2086
        "$HIL" run -j "$JOBS" $rt $lk --work-dir "$OUT/work-$link" \
            --junit "$OUT/round$r-$link.xml" "$@" scenarios/ >"$log" 2>&1
        sum=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
        p=$(echo "$sum" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
        f=$(echo "$sum" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
        k=$(echo "$sum" | sed -n 's/.* \([0-9]*\) flaky.*/\1/p')
        pass=$((pass + ${p:-0})) fail=$((fail + ${f:-0})) flaky=$((flaky + ${k:-0}))
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        loads="$loads; $load"
        echo "soak: round $r $link: ${sum:-no summary (see $log)}; load $load"
        grep -E '^(FAIL|FLAKY) ' "$log" | cut -c1-160 | sed 's/^/    /'
    done
done
total=$((pass + fail + flaky))
[ $total -gt 0 ] || { echo "soak: no cases ran"; exit 2; }
echo "soak: $total cases ($ROUNDS rounds x 2 links, -j $JOBS, stress-ng --cpu $STRESS on $CORES cores)"
awk -v t=$total -v f=$fail -v k=$flaky 'BEGIN { printf "soak: %.1f failures and %.1f flaky per 1000 cases\n", f * 1000 / t, k * 1000 / t }'
echo "soak: load averages (1/5/15 min) after each run:${loads#;}"
[ $fail -eq 0 ]
