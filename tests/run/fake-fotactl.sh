#!/bin/sh
# A stand-in updater for tests/run/runner-test.sh, chosen by FAKE_MODE:
#   port      write what --port names (and whether fd 3 is a socket) to $FAKE_OUT, exit 0
#   stopqemu  SIGSTOP the QEMU next to us (our parent's other child) for good, then wait
#   flaky     fail the first run (counter in $FAKE_OUT), run the real updater after
#   stallqemu run the real updater; once $FAKE_CONSOLE shows $FAKE_STALL_AT
#             (default "update mode (requested)"),
#             SIGSTOP the QEMU next to us for 12 s (pids to $FAKE_OUT)
#   real      run the real updater ($FAKE_REAL)
port=""
prev=""
for a in "$@"; do
    [ "$prev" = "--port" ] && port=$a
    prev=$a
done
case "$FAKE_MODE" in
port)
    if [ -S /proc/self/fd/3 ] || [ "$(stat -L -c %F /proc/self/fd/3 2>/dev/null)" = socket ]; then kind=socket; else kind=other; fi
    echo "port=$port fd3=$kind" > "$FAKE_OUT"
    exit 0 ;;
stopqemu)
    for p in $(pgrep -P "$PPID" -x qemu-system-arm); do kill -STOP "$p"; echo "$p" >> "$FAKE_OUT"; done
    exec sleep 3600 ;;
stallqemu)
    (
        i=0
        while [ $i -lt 300 ] && ! grep -q "${FAKE_STALL_AT:-update mode (requested)}" "$FAKE_CONSOLE" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
        q=$(pgrep -P "$PPID" -x qemu-system-arm)
        kill -STOP $q && echo "$q" > "$FAKE_OUT"
        sleep 12
        kill -CONT $q
    ) &
    exec "$FAKE_REAL" "$@" ;;
flaky)
    n=$(cat "$FAKE_OUT" 2>/dev/null || echo 0)
    echo $((n + 1)) > "$FAKE_OUT"
    [ "$n" -eq 0 ] && { echo "fake: failing the first run on purpose"; exit 3; }
    exec "$FAKE_REAL" "$@" ;;
*)
    exec "$FAKE_REAL" "$@" ;;
esac
