#!/usr/bin/env bats
# The whole init cycle, booted for real: init-maker makes a container-mode boot directory from
# the repository's skeleton, its bin/init runs as pid 1 of a child PID + mount namespace (never
# on the host: every command run inside checks where it is first), rc.init brings the example
# services up, kill -9 -1 inside is survived, and halt / poweroff / reboot / SIGTERM take the
# namespace down through rc.shutdown, shutdownd and stage 4, as the parent's wait status shows.

load helper

setup() {
    keel_setup
    mkdir -p "$T/marks" "$T/services"
    # Example services, as rc.init's SERVICES_DIR. Their finish scripts leave marks outside the
    # namespace's private /run, where the test can read them after the namespace is gone.
    make_service "$T/services/ticker" 'while :; do echo tick; sleep 1; done'
    printf '#!/bin/sh\necho "ticker $1" >> %s/marks/finish\n' "$T" > "$T/services/ticker/finish"
    chmod 755 "$T/services/ticker/finish"
    make_service "$T/services/waiter"
    printf '#!/bin/sh\necho "waiter $1" >> %s/marks/finish\n' "$T" > "$T/services/waiter/finish"
    chmod 755 "$T/services/waiter/finish"
    # The skeleton as shipped, with one line added to rc.shutdown that says it ran.
    cp -R "$KEEL_ROOT/skel" "$T/skel"
    sed -i "1a echo rc.shutdown ran >> $T/marks/rc.shutdown" "$T/skel/rc.shutdown"
}

teardown() {
    [ -f "$T/init.pid" ] && kill -9 "$(cat "$T/init.pid")" 2>/dev/null
    keel_teardown
}

# make_boot [INIT-MAKER OPTIONS...]: $T/boot, made by init-maker in container mode. Stage 1
# gives everything after it only PATH and env/: both point at this build's programs.
make_boot() {
    init-maker -C -f "$T/skel" -c "$T/boot" -q 1000 -p "$KEEL_BIN:/usr/bin:/bin" \
        -e KEEL_BINDIR="$KEEL_BIN" -e SERVICES_DIR="$T/services" "$@" "$T/boot"
}

# boot [ARGS...]: $T/boot/bin/init as pid 1 of a new PID and mount namespace (with its own
# /proc; stage 1 puts a fresh tmpfs on the namespace's /run, and a tmpfs hides /var/log, so
# that halt's wtmp record stays in the namespace). The host pid of the namespace's init goes to
# $T/init.pid; its exit status, as the shell sees unshare's, to $T/init.status.
boot() {
    ( unshare --pid --fork --mount --mount-proc --propagation private sh -c '
          [ ! -d /var/log ] || mount -t tmpfs tmpfs /var/log || exit 99
          exec "$@"' sh "$T/boot/bin/init" "$@" </dev/null >"$T/console" 2>&1 &
      echo $! > "$T/unshare.pid"
      if wait $!; then echo 0; else echo $?; fi > "$T/init.status" ) &
    track_pid $!
    wait_for 5 test -s "$T/unshare.pid"
    local u
    u=$(cat "$T/unshare.pid")
    track_pid "$u"
    wait_for 5 pgrep -P "$u" >/dev/null
    pgrep -P "$u" > "$T/init.pid"
    track_pid "$(cat "$T/init.pid")"
}

# inside 'SH COMMANDS': runs them in the namespace, after checking it is not the host's PID
# namespace and that its pid 1 is svscan (exit 90/91 and nothing run otherwise).
inside() {
    nsenter -t "$(cat "$T/init.pid")" -p -m -- sh -c '
        [ "$(readlink /proc/self/ns/pid)" != "$1" ] || { echo "inside: host PID namespace" >&2; exit 90; }
        [ "$(cat /proc/1/comm)" = svscan ] || { echo "inside: pid 1 is not svscan" >&2; exit 91; }
        shift; eval "$1"' sh "$HOST_PIDNS" "$1"
}

# The namespace's services are all up (the two examples and the two early ones).
all_up() {
    inside 'for s in ticker waiter s6-linux-init-shutdownd s6-svscan-log; do
                [ "$(svstat -o up /run/service/$s)" = true ] || exit 1
            done' 2>/dev/null
}

# pids_of: the pids of the four services, on one line.
pids_of() {
    inside 'for s in ticker waiter s6-linux-init-shutdownd s6-svscan-log; do
                svstat -o pid /run/service/$s; done' | tr '\n' ' '
}

# order 'SH COMMANDS': like inside, for a command that orders the shutdown, whose shell stage 3
# may kill before it exits (order_delivered). The callers check that the order was obeyed
# (wait_end and the namespace's exit status).
order() {
    local rc=0
    inside "$1" || rc=$?
    order_delivered "$rc" || { echo "order: $1: exit $rc" >&2; return 1; }
}

ended() { [ -s "$T/init.status" ]; }

# wait_end SECONDS: the namespace's init is gone; its status is in $end_status.
wait_end() {
    wait_for "$1" ended || { cat "$T/console" >&2; return 1; }
    end_status=$(cat "$T/init.status")
}

@test "init cycle: rc.init logs to the catch-all logger, services survive kill -9 -1, poweroff ends with SIGINT" {
    need_root
    make_boot
    boot
    wait_for 15 all_up
    # rc.init ran after the logger was up: its output is in the catch-all log.
    inside 'cat /run/uncaught-logs/current' > "$T/uncaught"
    grep -q 'rc.init' "$T/uncaught"
    # kill -9 -1 from inside: everything but pid 1 (and the killer) dies, and comes back.
    kill_all_survived
    # poweroff: rc.shutdown, services down (their finish scripts run), stage 4, SIGINT.
    order "$T/boot/bin/poweroff"
    wait_end 30
    [ "$end_status" = 130 ]
    grep -qx 'rc.shutdown ran' "$T/marks/rc.shutdown"
    grep -q '^ticker ' "$T/marks/finish"
    grep -q '^waiter ' "$T/marks/finish"
}

# A compiled service database in $T/db, as rc.init's RC_COMPILED: bundle default = app, a
# longrun that depends on mnt, a oneshot; extra, a longrun outside the bundle. Each leaves its
# start and stop in $T/marks/order, outside the namespace.
make_rc_db() {
    local s=$T/rcsrc m=$T/marks/order
    mkdir -p "$s/app/dependencies.d" "$s/mnt" "$s/extra" "$s/default/contents.d"
    echo longrun > "$s/app/type"; : > "$s/app/dependencies.d/mnt"
    printf '#!/bin/sh\necho start app >> %s\nexec sleep 100000\n' "$m" > "$s/app/run"
    printf '#!/bin/sh\necho stop app >> %s\n' "$m" > "$s/app/finish"
    chmod 755 "$s/app/run" "$s/app/finish"
    echo longrun > "$s/extra/type"
    printf '#!/bin/sh\necho start extra >> %s\nexec sleep 100000\n' "$m" > "$s/extra/run"
    chmod 755 "$s/extra/run"
    echo oneshot > "$s/mnt/type"
    echo "/bin/sh -c \"echo up mnt >> $m\"" > "$s/mnt/up"
    echo "/bin/sh -c \"echo down mnt >> $m\"" > "$s/mnt/down"
    echo bundle > "$s/default/type"; : > "$s/default/contents.d/app"
    rc-compile "$T/db" "$s"
}

@test "init cycle: with a compiled database, rc.init brings bundle default up through rc; poweroff takes it down in reverse" {
    need_root
    make_rc_db
    make_boot -e RC_COMPILED="$T/db"
    boot
    wait_for 15 all_up
    app_up() { inside '[ "$(svstat -o up /run/service/app)" = true ]' 2>/dev/null; }
    wait_for 15 app_up
    # The oneshot ran (once) before the longrun that depends on it; extra, outside the bundle,
    # was never started; rc knows what is up.
    [ "$(cat "$T/marks/order")" = "up mnt
start app" ]
    run inside 'rc -a list'
    [ "$status" -eq 0 ]
    [ "$output" = "app
mnt
s6rc-oneshot-runner" ]
    inside '[ "$(svstat -o up /run/service/extra)" = false ]'
    order "$T/boot/bin/poweroff"
    wait_end 30
    [ "$end_status" = 130 ]
    # rc.shutdown: app stopped (its finish ran) before mnt's down script.
    [ "$(cat "$T/marks/order")" = "up mnt
start app
stop app
down mnt" ]
}

@test "init cycle: reboot ends the namespace with SIGHUP" {
    need_root
    make_boot
    boot
    wait_for 15 all_up
    order "$T/boot/bin/reboot"
    wait_end 30
    [ "$end_status" = 129 ]
    grep -qx 'rc.shutdown ran' "$T/marks/rc.shutdown"
}

@test "init cycle: halt exits with the code written to the container results" {
    need_root
    make_boot
    boot
    wait_for 15 all_up
    order "echo 42 > /run/s6-linux-init-container-results/exitcode && $T/boot/bin/halt"
    wait_end 30
    [ "$end_status" = 42 ]
    grep -qx 'rc.shutdown ran' "$T/marks/rc.shutdown"
}

@test "init cycle: SIGTERM to the container's pid 1 takes services down and exits" {
    need_root
    make_boot
    boot
    wait_for 15 all_up
    kill -TERM "$(cat "$T/init.pid")"
    wait_end 30
    [ "$end_status" = 0 ]
    grep -q '^ticker ' "$T/marks/finish"
    grep -q '^waiter ' "$T/marks/finish"
}

@test "init cycle: the container's arguments run as its command; its exit code is the container's" {
    need_root
    make_boot
    boot sh -c "echo cmd ran > $T/marks/cmd; exit 7"
    wait_end 30
    [ "$end_status" = 7 ]
    grep -qx 'cmd ran' "$T/marks/cmd"
    grep -qx 'rc.shutdown ran' "$T/marks/rc.shutdown"
}

@test "init cycle: a TERM-ignoring process is killed after the grace time at shutdown" {
    need_root
    make_boot
    boot
    wait_for 15 all_up
    # A process outside supervision that ignores SIGTERM: only stage 3's KILL round ends it.
    inside "setsid sh -c 'trap \"echo TERM >> $T/marks/stubborn\" TERM; echo \$\$ > $T/marks/stubborn.pid; while :; do sleep 0.1; done' </dev/null >/dev/null 2>&1 &"
    wait_for 5 test -s "$T/marks/stubborn.pid"
    order "$T/boot/bin/poweroff"
    wait_end 30
    [ "$end_status" = 130 ]
    grep -q TERM "$T/marks/stubborn"
}

@test "init cycle: shutdown now without -h/-p/-r runs rc.shutdown and the system stays up" {
    need_root
    make_boot
    boot
    wait_for 15 all_up
    inside "$T/boot/bin/shutdown now"
    wait_for 15 grep -qx 'rc.shutdown ran' "$T/marks/rc.shutdown"
    # rc.shutdown took the example services down; pid 1, the logger and shutdownd stay.
    wait_for 15 grep -q '^waiter ' "$T/marks/finish"
    inside '[ "$(svstat -o up /run/service/s6-linux-init-shutdownd)" = true ] &&
            [ "$(svstat -o up /run/service/s6-svscan-log)" = true ] &&
            [ ! -e /run/service/.s6-linux-init-shutdownd ] && [ ! -e "/run/service/s6-linux-init-shutdownd/stage 4" ]'
    [ ! -s "$T/init.status" ]
    # And it still shuts down on order.
    order "$T/boot/bin/poweroff"
    wait_end 30
    [ "$end_status" = 130 ]
}

# The one test that has to let a minute go by: a scheduled reboot, cancelled, must not happen
# at its deadline. Run once, in the main build's check (not again under the sanitizers or
# STATIC, where the same code paths run through the shorter shutdownd tests).
@test "init cycle: shutdown -r +1 then shutdown -c: nothing happens at the deadline" {
    need_root
    ! build_is SANITIZE && ! build_is STATIC || skip "run in the main build's check only"
    make_boot
    boot
    wait_for 15 all_up
    local t0
    t0=$(now_ms)
    inside "$T/boot/bin/shutdown -r +1 'reboot in a minute' && $T/boot/bin/shutdown -c 'reboot cancelled'"
    # Past the deadline (60 s after the order), with a margin: still up, rc.shutdown never ran.
    past() { [ $(( $(now_ms) - t0 )) -ge 63000 ]; }
    wait_for 75 past
    [ ! -s "$T/init.status" ]
    [ ! -e "$T/marks/rc.shutdown" ]
    all_up
    order "$T/boot/bin/poweroff"
    wait_end 30
    [ "$end_status" = 130 ]
}
