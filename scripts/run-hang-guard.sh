#!/bin/sh
# run-hang-guard.sh SECONDS PROGRAM [ARGS]: run PROGRAM; if it is still
# running after SECONDS, print every thread's stack (gdb, when installed)
# and kill it. Exit status: PROGRAM's, or 124 after a hang. A backstop for
# deadlocked tests (make units), never a verdict on a slow one.
set -u
limit=${1:?usage: run-hang-guard.sh SECONDS PROGRAM [ARGS]}
shift
"$@" &
pid=$!
exec 3>&2 # the guard's own report; its stderr is closed to the shell's "Terminated"
(
    sleep "$limit"
    kill -0 "$pid" 2>/dev/null || exit 0
    echo "run-hang-guard: $1 still running after $limit s: a hang; its threads:" >&3
    command -v gdb >/dev/null && gdb -p "$pid" -batch -ex "thread apply all bt" 2>/dev/null | grep -E '^(#|Thread)' >&3
    kill -9 "$pid" 2>/dev/null
    exit 99
) 2>/dev/null &
guard=$!
wait "$pid"
rc=$?
# End the guard's sleep: the guard then finds PROGRAM gone and exits 0.
while kill -0 "$guard" 2>/dev/null && ! pkill -P "$guard" sleep 2>/dev/null; do
    sleep 0.01
done
wait "$guard"
[ $? -eq 99 ] && exit 124
exit "$rc"
