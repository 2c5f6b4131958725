#!/bin/sh
# keel demo: a real supervision tree. svscan runs as pid 1 of a private PID (and mount)
# namespace over a temporary scan directory with three services: a ticker whose output goes
# through a logger, a service that reports readiness, and one that crash-loops. It shows the
# tree with svtree, kills every process but pid 1 (kill -9 -1, inside the namespace), shows the
# tree rebuilt with new pids, and stops it cleanly.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/bin
export PATH="$bin:$PATH" KEEL_BINDIR="$bin"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-demo.XXXXXX")
chmod 755 "$tmp"
scan=$tmp/service
holder=

cleanup() {
    [ -n "$holder" ] && kill -9 "$holder" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say() { printf '\n== %s\n' "$*"; }

# wait_until SECONDS CMD...: poll CMD every 50 ms; false after SECONDS.
wait_until() {
    n=$(($1 * 20)); shift
    while ! "$@" >/dev/null 2>&1; do
        n=$((n - 1))
        [ "$n" -gt 0 ] || return 1
        sleep 0.05
    done
}

# --- The services ---------------------------------------------------------------------------
mkdir -p "$scan/ticker/log" "$scan/ready" "$scan/crashy" "$scan/.s6-svscan"
cat > "$scan/ticker/run" <<'EOF'
#!/bin/sh
# Prints a numbered tick every half second; its stdout is a pipe to ticker/log.
i=0
while :; do i=$((i + 1)); echo "tick $i"; sleep 0.5; done
EOF
cat > "$scan/ticker/log/run" <<'EOF'
#!/bin/sh
# The ticker's logger: stamps each line (TAI64N) into ./current.
exec tai64n >> current
EOF
cat > "$scan/ready/run" <<'EOF'
#!/bin/sh
# Takes a second to get ready, then says so on its notification descriptor (3).
echo "ready: starting" >&2
sleep 1
echo >&3
exec sleep 100000
EOF
echo 3 > "$scan/ready/notification-fd"
cat > "$scan/crashy/run" <<'EOF'
#!/bin/sh
# Fails a moment after each start: supervise restarts it, at most once a second.
sleep 0.2
exit 3
EOF
# SIGUSR1 to svscan runs this script, as pid 1's child: the demo's kill -9 -1, done from
# inside the namespace. It refuses to run anywhere but under a pid 1 that is svscan.
cat > "$scan/.s6-svscan/SIGUSR1" <<'EOF'
#!/bin/sh
[ "$PPID" = 1 ] && [ "$(cat /proc/1/comm)" = svscan ] || { echo "not in the demo namespace" >&2; exit 1; }
exec kill -9 -1
EOF
chmod 755 "$scan/ticker/run" "$scan/ticker/log/run" "$scan/ready/run" "$scan/crashy/run" \
    "$scan/.s6-svscan/SIGUSR1"

# --- Boot -----------------------------------------------------------------------------------
# Root: a PID and mount namespace. Others: a user namespace too, where the kernel allows it.
# Otherwise (or with KEEL_DEMO_NO_NS set) svscan runs as an ordinary process and the kill -9 -1
# part is skipped.
ns=
why="no PID namespace available here"
if [ -n "${KEEL_DEMO_NO_NS:-}" ]; then
    why="KEEL_DEMO_NO_NS is set"
elif [ "$(id -u)" = 0 ]; then
    unshare --pid --fork --mount --mount-proc true 2>/dev/null && ns="unshare --pid --fork --mount --mount-proc"
else
    unshare --user --map-root-user --pid --fork --mount --mount-proc true 2>/dev/null &&
        ns="unshare --user --map-root-user --pid --fork --mount --mount-proc"
fi

if [ -n "$ns" ]; then
    say "booting: svscan as pid 1 of a new PID namespace ($ns)"
else
    say "booting: svscan as an ordinary process ($why: the kill -9 -1 part is skipped, it would hit every process of this user)"
fi
# shellcheck disable=SC2086
$ns "$bin/svscan" "$scan" </dev/null >"$tmp/tree.log" 2>&1 &
holder=$!
if [ -n "$ns" ]; then
    wait_until 5 pgrep -P "$holder"
    svscan_pid=$(pgrep -P "$holder")
else
    svscan_pid=$holder
fi
wait_until 5 test -p "$scan/.s6-svscan/control"

ready_all() {
    [ "$(svstat -o up "$scan/ticker")" = true ] && [ "$(svstat -o up "$scan/ticker/log")" = true ] &&
        [ "$(svstat -o ready "$scan/ready")" = true ] && svok "$scan/crashy"
}
wait_until 10 ready_all || { echo "the tree did not come up:"; cat "$tmp/tree.log"; exit 1; }
sleep 1 # a little history: ticks in the log, a few crashes

say "svtree $scan (crashy is caught between two restarts: svtree exits 1 while a wanted service is down)"
svtree "$scan" || echo "(svtree exit status $?: not every wanted service is up)"

say "svdt $scan/crashy: its deaths so far; supervise waits a second between two starts"
svdt "$scan/crashy" | tai64nlocal | tail -n 4

pids() { for s in ticker ticker/log ready; do svstat -o pid "$scan/$s"; done | tr '\n' ' '; }
if [ -n "$ns" ]; then
    before=$(pids)
    say "kill -9 -1 inside the namespace: every process but pid 1 dies (pids before: $before)"
    kill -USR1 "$svscan_pid"
    rebuilt() {
        after=$(pids)
        for p in $after; do case " $before " in *" $p "*) return 1 ;; esac; done
        ready_all
    }
    wait_until 10 rebuilt || { echo "the tree was not rebuilt"; svtree "$scan"; exit 1; }
    say "svtree $scan after the massacre: the tree rebuilt itself, with new pids ($(pids))"
    svtree "$scan" || true
fi

say "the ticker's log (the last lines): its numbering starts again where the ticker was killed; the logger was killed too, and the pipe svscan holds kept every line in between"
tai64nlocal < "$scan/ticker/log/current" | tail -n 4

say "stopping the tree: svscanctl -t (services down, loggers drain, svscan exits)"
svscanctl -t "$scan"
wait "$holder"
holder=
for s in ticker ticker/log ready crashy; do
    if svok "$scan/$s" 2>/dev/null; then echo "$s is still supervised!"; exit 1; fi
done
echo "the tree stopped cleanly: no supervisor left, svscan exited"
