#!/bin/sh
# keel demo: a whole boot, as a container would run it. init-maker builds a container-mode boot
# directory from keel's skeleton; its bin/init boots as pid 1 of a private PID and mount
# namespace: stage 1 puts a fresh tmpfs on the namespace's /run, starts the catch-all logger
# and svscan, and rc.init links three example services (a ticker with its own logger, a service
# that reports readiness, one that crash-loops). The demo shows the tree with svtree, kills
# every process but pid 1 (kill -9 -1, inside the namespace) and shows the tree rebuilt, then
# writes an exit code and runs halt: rc.shutdown, shutdownd and stage 4 take everything down
# and the namespace's init exits with that code.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/bin
export PATH="$bin:$PATH" KEEL_BINDIR="$bin"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-demo.XXXXXX")
chmod 755 "$tmp"
holder=
init_pid=

cleanup() {
    [ -n "$init_pid" ] && kill -9 "$init_pid" 2>/dev/null
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

# --- Where it can run -----------------------------------------------------------------------
# bin/init must be pid 1: root gets a PID and mount namespace; others a user namespace too,
# where the kernel allows it.
ns= enter= asroot=
why="no PID namespace available here"
if [ -n "${KEEL_DEMO_NO_NS:-}" ]; then
    why="KEEL_DEMO_NO_NS is set"
elif [ "$(id -u)" = 0 ]; then
    if unshare --pid --fork --mount --mount-proc true 2>/dev/null; then
        ns="unshare --pid --fork --mount --mount-proc"; enter="-p -m"
    fi
elif unshare --user --map-root-user --pid --fork --mount --mount-proc true 2>/dev/null; then
    ns="unshare --user --map-root-user --pid --fork --mount --mount-proc"; enter="-U -p -m --preserve-credentials"
    # init-maker too, so that root (this user, seen from inside) can own the logger's directory.
    asroot="unshare --user --map-root-user"
fi
if [ -z "$ns" ]; then
    say "the boot demo needs to run bin/init as pid 1 of a PID namespace ($why): nothing to show"
    echo "(make check runs the same boot in its tests: tests/init-cycle.bats)"
    exit 0
fi

# --- The services that rc.init will link into /run/service ----------------------------------
svc=$tmp/services
mkdir -p "$svc/ticker/log" "$svc/ready" "$svc/crashy"
cat > "$svc/ticker/run" <<'EOS'
#!/bin/sh
# Prints a numbered tick every half second; its stdout is a pipe to ticker/log.
i=0
while :; do i=$((i + 1)); echo "tick $i"; sleep 0.5; done
EOS
cat > "$svc/ticker/log/run" <<'EOS'
#!/bin/sh
# The ticker's logger: stamps each line (TAI64N) into ./current.
exec tai64n >> current
EOS
cat > "$svc/ready/run" <<'EOS'
#!/bin/sh
# Takes a second to get ready, then says so on its notification descriptor (3).
echo "ready: starting" >&2
sleep 1
echo >&3
exec sleep 100000
EOS
echo 3 > "$svc/ready/notification-fd"
cat > "$svc/crashy/run" <<'EOS'
#!/bin/sh
# Fails a moment after each start: supervise restarts it, at most once a second.
sleep 0.2
exit 3
EOS
chmod 755 "$svc/ticker/run" "$svc/ticker/log/run" "$svc/ready/run" "$svc/crashy/run"

# --- The boot directory ---------------------------------------------------------------------
boot=$tmp/boot
say "init-maker -C: a container-mode boot directory in $boot"
# Stage 1 hands everything after it PATH and env/ only: both point at this build.
# shellcheck disable=SC2086
$asroot init-maker -C -f "$top/skel" -c "$boot" -q 2000 -p "$bin:/usr/bin:/bin" \
    -e KEEL_BINDIR="$bin" -e SERVICES_DIR="$svc" "$boot"
(cd "$boot" && find . -path ./run-image -prune -o -type f -print | sort | sed 's/^/  /')
echo "  run-image/: $(cd "$boot/run-image" && find . -mindepth 1 -maxdepth 2 | sort | tr '\n' ' ')"

# --- Boot -----------------------------------------------------------------------------------
say "booting: $boot/bin/init as pid 1 of a new namespace ($ns)"
# shellcheck disable=SC2086
{ if $ns "$boot/bin/init" </dev/null >"$tmp/console" 2>&1; then echo 0; else echo $?; fi > "$tmp/status"; } &
holder=$!
# The holder subshell runs unshare, whose child is the namespace's init.
find_init() {
    u=$(pgrep -P "$holder" | head -n 1) && [ -n "$u" ] &&
        init_pid=$(pgrep -P "$u" | head -n 1) && [ -n "$init_pid" ]
}
wait_until 5 find_init || { echo "bin/init did not start:"; cat "$tmp/console"; exit 1; }

# in_ns 'SH COMMANDS': run them inside the namespace, and only there.
in_ns() {
    # shellcheck disable=SC2086
    nsenter -t "$init_pid" $enter -- sh -c '
        [ "$(readlink /proc/self/ns/pid)" != "$1" ] || { echo "not in the demo namespace" >&2; exit 90; }
        [ "$(cat /proc/1/comm)" = svscan ] || { echo "pid 1 is not svscan" >&2; exit 91; }
        shift; eval "$1"' sh "$(readlink /proc/self/ns/pid)" "$1"
}

ready_all() {
    in_ns 'S=/run/service
           [ "$(svstat -o up $S/ticker)" = true ] && [ "$(svstat -o up $S/ticker/log)" = true ] &&
           [ "$(svstat -o ready $S/ready)" = true ] && svok $S/crashy &&
           [ "$(svstat -o up $S/s6-linux-init-shutdownd)" = true ]'
}
wait_until 15 ready_all || { echo "the tree did not come up:"; cat "$tmp/console"; exit 1; }
sleep 1 # a little history: ticks in the log, a few crashes

say "svtree /run/service, inside (the early services s6-svscan-log and s6-linux-init-shutdownd came from the run-image; crashy is caught between two restarts)"
in_ns 'svtree /run/service' || true

say "the catch-all logger's /run/uncaught-logs/current: stage 2 (rc.init) wrote there"
in_ns 'tai64nlocal < /run/uncaught-logs/current | tail -n 5'

pids() { in_ns 'for s in ticker ticker/log ready s6-linux-init-shutdownd s6-svscan-log; do svstat -o pid /run/service/$s; done' | tr '\n' ' '; }
before=$(pids)
say "kill -9 -1 inside the namespace: every process but pid 1 dies (pids before: $before)"
in_ns 'kill -9 -1' || true
rebuilt() {
    after=$(pids)
    for p in $after; do case " $before " in *" $p "*) return 1 ;; esac; done
    ready_all
}
wait_until 15 rebuilt || { echo "the tree was not rebuilt"; in_ns 'svtree /run/service'; exit 1; }
say "svtree after the massacre: the tree rebuilt itself, with new pids ($(pids))"
in_ns 'svtree /run/service' || true

say "the ticker's log (the last lines): the pipe svscan holds kept every line across the kill"
in_ns 'tai64nlocal < /run/service/ticker/log/current | tail -n 3'

say "echo 3 > /run/s6-linux-init-container-results/exitcode; halt"
in_ns "echo 3 > /run/s6-linux-init-container-results/exitcode && $boot/bin/halt"
wait_until 30 test -s "$tmp/status" || { echo "the namespace did not end"; cat "$tmp/console"; exit 1; }
wait "$holder" || true
holder= init_pid=
echo "rc.shutdown took the services down, shutdownd killed the rest and ran stage 4;"
echo "the namespace's init exited with status $(cat "$tmp/status")"
