#!/usr/bin/env bash
# Run the libFuzzer targets built by tests/fuzz/build.mk.
# Usage: scripts/fuzz-run.sh run SECONDS DIR TARGET...   fuzz each target SECONDS s
#        scripts/fuzz-run.sh regress 0 DIR TARGET...     replay each seed corpus once
# run: one line per target "fuzz <target>: <execs> execs in <s> s (<n>/s), <c> crashes";
# exit 1 if any target crashed (inputs in DIR/crashes/<target>/).
# regress: every file of tests/fuzz/corpus/<target>/ once; exit 1 on a crash.
set -u
mode=$1 secs=$2 dir=$3
shift 3
bad=0
for t in "$@"; do
  bin="$dir/$t-fuzz"
  seeds="tests/fuzz/corpus/$t"
  if [ "$mode" = regress ]; then
    files=("$seeds"/*)
    if ! "$bin" -runs=0 -timeout=10 "${files[@]}" >"$dir/$t-regress.log" 2>&1; then
      echo "fuzz-regress $t: FAILED (see $dir/$t-regress.log)"
      tail -30 "$dir/$t-regress.log"
      bad=1
    else
      echo "fuzz-regress $t: ${#files[@]} inputs ok"
    fi
    continue
  fi
  work="$dir/corpus/$t" crashes="$dir/crashes/$t"
  mkdir -p "$work" "$crashes"
  log="$dir/$t-fuzz.log"
  "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$crashes/" "$work" "$seeds" >"$log" 2>&1
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  ncrash=$(find "$crashes" -type f | wc -l)
  echo "fuzz $t: ${execs:-?} execs in $secs s ($(( ${execs:-0} / (secs > 0 ? secs : 1) ))/s), $ncrash crashes"
  if [ "$ncrash" -ne 0 ] || [ -z "$execs" ]; then
    bad=1
    grep -m1 -E "ERROR: |runtime error|deadly signal" "$log"
  fi
done
exit $bad
