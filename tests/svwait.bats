#!/usr/bin/env bats
# svwait: subscribe, read the status, follow the events until the goal (-u -U -d -D -r -R, -a
# -o), against every supervisor; 99 on timeout, the failure count, and never a FIFO left in
# event/ (exit, timeout, SIGTERM/SIGINT/SIGHUP). s6-svwait must give the same answers.

load helper

is_up() { local p f; p=$(st_pid "$1"); f=$(st_flags "$1"); [ "${p:-0}" != 0 ] && (( (f & 2) == 0 )); }
is_down() { [ "$(st_pid "$1")" = 0 ]; }




# ctl DIR LETTERS: sends letters to DIR's supervisor, as svc would.
ctl() { timeout 5 sh -c 'printf %s "$2" > "$1/supervise/control"' sh "$1" "$2"; }
# release FIFO: unblocks a service script waiting on `read x < FIFO`.
release() { timeout 5 sh -c 'echo > "$1"' sh "$1"; }

# A service that becomes ready (notification-fd 3) when $1/ready is written to.
make_notifying() {
    make_service "$1" "read x < \"$1/ready\"; echo >&3; exec sleep 100000 3>&-"
    mkfifo "$1/ready"
    echo 3 > "$1/notification-fd"
}

@test "svwait: a goal already reached returns at once, whatever the supervisor" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        run svwait "$d"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        run svwait -u -t 1000 "$d"
        [ "$status" -eq 0 ]
        no_listener "$d"
        ctl "$d" d
        wait_for 5 is_down "$d"
        # no finish: down and ready to restart at once
        for o in -d -D; do
            run svwait $o "$d"
            [ "$status" -eq 0 ]
        done
        no_listener "$d"
        stop_sv "$d"
    done
}

@test "svwait -u / -d: waits for the event, then exits 0" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_service "$d"
        touch "$d/down"
        start_sv "$d" "$sv"
        bg up svwait -t 10000 -u "$d"
        wait_for 5 listening "$d"
        ctl "$d" u
        bg_wait up
        [ "$bg_status" -eq 0 ]
        is_up "$d"
        no_listener "$d"
        bg down svwait -t 5000 -d "$d"
        wait_for 5 listening "$d"
        ctl "$d" d
        bg_wait down
        [ "$bg_status" -eq 0 ]
        [ ! -s "$T/down.err" ]
        no_listener "$d"
        stop_sv "$d"
    done
}

@test "svwait -U waits for readiness, not just up" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_notifying "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        bg ready svwait -U -t 5000 "$d"
        wait_for 5 listening "$d"
        # up but not ready: still waiting
        run svwait -U -t 200 "$d"
        [ "$status" -eq 99 ]
        release "$d/ready"
        bg_wait ready
        [ "$bg_status" -eq 0 ]
        no_listener "$d"
        run svwait -U "$d"
        [ "$status" -eq 0 ]
        stop_sv "$d"
    done
}

@test "svwait -D waits for finish to end; -d does not" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_service "$d"
        mkfifo "$d/released"
        printf '#!/bin/sh\nread x < "%s"\n' "$d/released" > "$d/finish"
        chmod 755 "$d/finish"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        bg D svwait -D -t 5000 "$d"
        wait_for 5 listening "$d"
        ctl "$d" d
        run svwait -d -t 5000 "$d"
        [ "$status" -eq 0 ]
        kill -0 "$(cat "$T/D.pid")" # finish still running: -D still waiting
        release "$d/released"
        bg_wait D
        [ "$bg_status" -eq 0 ]
        no_listener "$d"
        stop_sv "$d"
    done
}

@test "svwait -r / -R: down first, then up (and ready) again" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_notifying "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        pid=$(st_pid "$d")
        # already up: -r still waits for a restart
        bg r svwait -r -t 5000 "$d"
        wait_for 5 listening "$d"
        kill "$pid"
        bg_wait r
        [ "$bg_status" -eq 0 ]
        is_up "$d"
        [ "$(st_pid "$d")" != "$pid" ]
        pid=$(st_pid "$d")
        bg R svwait -R -t 5000 "$d"
        wait_for 5 listening "$d"
        kill "$pid"
        wait_for 5 is_up "$d"
        [ "$(st_pid "$d")" != "$pid" ]
        kill -0 "$(cat "$T/R.pid")" # up, not ready yet
        release "$d/ready"
        bg_wait R
        [ "$bg_status" -eq 0 ]
        no_listener "$d"
        stop_sv "$d"
    done
}

@test "svwait -a waits for every service, -o for one; -r -o still waits for all to go down" {
    set --
    for sv in $(supervisors); do
        for n in 1 2; do
            d=$T/$(basename "$sv")$n
            make_service "$d"
            touch "$d/down"
            start_sv "$d" "$sv"
            set -- "$@" "$d"
        done
    done
    ctl "$1" u
    wait_for 5 is_up "$1"
    run svwait -o -u "$@"
    [ "$status" -eq 0 ]
    run svwait -u -t 200 "$@"
    [ "$status" -eq 99 ]
    run svwait -a -o -a -u -t 200 "$@"
    [ "$status" -eq 99 ]
    run svwait -o -d "$@"
    [ "$status" -eq 0 ]
    bg all svwait -u -t 5000 "$@"
    for d in "$@"; do wait_for 5 listening "$d"; done
    for d in "${@:2}"; do ctl "$d" u; done
    bg_wait all
    [ "$bg_status" -eq 0 ]
    # -r -o: the first phase (down) is for all of them, then one up is enough
    bg ro svwait -r -o -t 5000 "$@"
    for d in "$@"; do wait_for 5 listening "$d"; done
    ctl "$1" d
    wait_for 5 is_down "$1"
    kill -0 "$(cat "$T/ro.pid")" # (with -o in the first phase, it would be over: others are up)
    for d in "${@:2}"; do ctl "$d" d; done
    for d in "${@:2}"; do wait_for 5 is_down "$d"; done
    ctl "$2" u
    bg_wait ro
    [ "$bg_status" -eq 0 ]
    for d in "$@"; do no_listener "$d"; stop_sv "$d"; done
}

@test "svwait -t: 99 'timed out' after the timeout, no FIFO left; -t 0 is no timeout" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        t0=$(now_ms)
        expect_fail 99 "svwait: fatal: timed out" svwait -t 300 -d "$d"
        [ $(( $(now_ms) - t0 )) -ge 300 ]
        no_listener "$d"
        run svwait -t 0 -u "$d"
        [ "$status" -eq 0 ]
        stop_sv "$d"
    done
}

@test "svwait never polls: it sleeps in poll until an event comes" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        bg w svwait -t 10000 -d "$d"
        wait_for 5 listening "$d"
        p=$(cat "$T/w.pid")
        c0=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$p/status")
        sleep 0.5 # a measurement window, not a wait for a condition
        c1=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$p/status")
        [ $(( c1 - c0 )) -le 1 ]
        ctl "$d" d
        bg_wait w
        [ "$bg_status" -eq 0 ]
        stop_sv "$d"
    done
}

@test "svwait: SIGTERM, SIGINT and SIGHUP kill it, and its FIFOs are removed first" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        e=$T/$(basename "$sv")-2
        make_service "$d"
        make_service "$e"
        start_sv "$d" "$sv"
        start_sv "$e" "$sv"
        for sig in TERM INT HUP; do
            bg w svwait -t 10000 -d "$d" "$e"
            wait_for 5 listening "$d"
            wait_for 5 listening "$e"
            kill -s "$sig" "$(cat "$T/w.pid")"
            bg_wait w
            [ "$bg_status" -eq $(( 128 + $(kill -l "$sig") )) ]
            no_listener "$d"
            no_listener "$e"
        done
        stop_sv "$d"
        stop_sv "$e"
    done
}

@test "svwait: a permanent failure counts 1 (finish exits 125 while waiting for up)" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_service "$d" 'exit 1'
        echo 3 > "$d/notification-fd"
        printf '#!/bin/sh\nexit 125\n' > "$d/finish"
        chmod 755 "$d/finish"
        touch "$d/down"
        start_sv "$d" "$sv"
        bg U svwait -U -t 5000 "$d"
        wait_for 5 listening "$d"
        ctl "$d" u
        bg_wait U
        [ "$bg_status" -eq 1 ]
        [ "$(cat "$T/U.err")" = "svwait: fatal: some services reported permanent failure or their supervisor died" ]
        no_listener "$d"
        stop_sv "$d"
    done
}

@test "svwait: supervisors exiting count one failure each" {
    set --
    for sv in $(supervisors); do
        for n in 1 2; do
            d=$T/$(basename "$sv")$n
            make_service "$d"
            touch "$d/down"
            start_sv "$d" "$sv"
            set -- "$@" "$d"
        done
    done
    bg x svwait -u -t 5000 "$@"
    for d in "$@"; do wait_for 5 listening "$d"; done
    for d in "$@"; do ctl "$d" x; done
    bg_wait x
    [ "$bg_status" -eq $# ]
    [ "$(cat "$T/x.err")" = "svwait: fatal: some services reported permanent failure or their supervisor died" ]
    for d in "$@"; do wait_for 5 gone "$(sv_pid "$d")"; no_listener "$d"; done
}

@test "svwait: a supervisor exiting once the goal is reached is no failure" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_service "$d"
        touch "$d/down"
        start_sv "$d" "$sv"
        # waiting for down on a down service: reached before the x
        run svwait -d -t 5000 "$d"
        [ "$status" -eq 0 ]
        stop_sv "$d"
    done
}

@test "svwait: no service dir is success (s6 2.15; 2.11 printed its usage)" {
    run svwait
    [ "$status" -eq 0 ]
    run svwait -U -o -t 10
    [ "$status" -eq 0 ]
}

@test "svwait: event/ is made (03730, our group) for a service never supervised; no status is 111" {
    mkdir "$T/svc"
    expect_fail 111 "svwait: fatal: unable to read status for $T/svc: No such file or directory" svwait "$T/svc"
    [ "$(stat -c '%a %g' "$T/svc/event")" = "3730 $(id -g)" ]
    no_listener "$T/svc"
    # an existing event/ is left as it is
    chmod 00755 "$T/svc/event"
    expect_fail 111 "svwait: fatal: unable to read status for $T/svc: No such file or directory" svwait "$T/svc"
    [ "$(stat -c %a "$T/svc/event")" = 755 ]
}

@test "svwait: errors: missing dir, event/ not a directory, damaged status; no FIFO left" {
    expect_fail 111 "svwait: fatal: unable to subscribe to events for $T/none: No such file or directory" svwait "$T/none"
    mkdir -p "$T/file"
    touch "$T/file/event"
    expect_fail 111 "svwait: fatal: unable to subscribe to events for $T/file: Not a directory" svwait "$T/file"
    mkdir -p "$T/svc/supervise"
    head -c 20 /dev/zero > "$T/svc/supervise/status"
    expect_fail 111 "svwait: fatal: unable to read status for $T/svc: status file is truncated" svwait -d "$T/svc"
    head -c 100 /dev/zero > "$T/svc/supervise/status"
    expect_fail 111 "svwait: fatal: unable to read status for $T/svc: status file is too long" svwait -d "$T/svc"
    no_listener "$T/svc"
    # the first DIR was subscribed when the second failed: its FIFO is gone too
    head -c 35 /dev/zero > "$T/svc/supervise/status"
    expect_fail 111 "svwait: fatal: unable to subscribe to events for $T/none: No such file or directory" svwait "$T/svc" "$T/none"
    no_listener "$T/svc"
    long=$T/$(printf '%05000d' 0)
    expect_fail 111 "svwait: fatal: unable to subscribe to events for $long: File name too long" svwait "$long"
}

@test "svwait: a service dir with spaces and a newline in its name" {
    for sv in $(supervisors); do
        d="$T/my
$(basename "$sv") svc"
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        run svwait -u -t 1000 "$d"
        [ "$status" -eq 0 ]
        no_listener "$d"
        stop_sv "$d"
    done
}

@test "svwait: usage errors exit 100" {
    expect_usage svwait -x "$T"
    expect_usage svwait -t
    expect_usage svwait -t abc "$T"
    expect_usage svwait -t -1 "$T"
    expect_usage svwait -t 1.5 "$T"
    expect_usage svwait -t 99999999999 "$T"
}

# --- against s6 -----------------------------------------------------------------------------

# both_wait 'OPTIONS' TRIGGER DIR...: runs svwait and s6-svwait with OPTIONS on the DIRs in the
# background, runs TRIGGER (a command) once both are subscribed everywhere, and checks that they
# exit with the same code.
both_wait() {
    local opts=$1 trigger=$2 x; shift 2
    # shellcheck disable=SC2086
    bg k svwait -t 10000 $opts "$@"
    # shellcheck disable=SC2086
    bg s s6-svwait $opts "$@"
    for x in "$@"; do wait_for 5 listening "$x" 2; done
    eval "$trigger"
    bg_wait k; local k=$bg_status
    bg_wait s
    [ "$k" = "$bg_status" ] || { echo "svwait $opts: $k, s6-svwait: $bg_status"; return 1; }
    echo "$k"
}

@test "s6-svwait and svwait: the same answers against every supervisor" {
    need_s6 s6-svwait
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_notifying "$d"
        touch "$d/down"
        start_sv "$d" "$sv"
        [ "$(both_wait '-t 5000 -u' 'ctl $d u' "$d")" = 0 ]
        [ "$(both_wait '-t 5000 -U' 'release $d/ready' "$d")" = 0 ]
        [ "$(both_wait '-t 5000 -D' 'ctl $d d' "$d")" = 0 ]
        ctl "$d" u
        wait_for 5 is_up "$d"
        [ "$(both_wait '-t 5000 -r' 'kill $(st_pid $d)' "$d")" = 0 ]
        [ "$(both_wait '-t 300 -d' 'true' "$d")" = 99 ]
        ctl "$d" d
        wait_for 5 is_down "$d"
        [ "$(both_wait '-t 5000 -u' 'ctl $d x' "$d")" = 1 ]
        wait_for 5 gone "$(sv_pid "$d")"
        no_listener "$d"
    done
}

@test "s6-svwait and svwait: the same errors" {
    need_s6 s6-svwait
    mkdir -p "$T/file" "$T/nostatus"
    touch "$T/file/event"
    for args in "$T/none" "$T/file" "$T/nostatus" "-x $T" "-t abc $T"; do
        # shellcheck disable=SC2086
        run --separate-stderr s6-svwait $args; s6_status=$status; s6_err=${stderr#s6-}
        # shellcheck disable=SC2086
        run --separate-stderr svwait $args
        [ "$status" -eq "$s6_status" ]
        # (2.11 names the status step "s6_svstatus_read")
        case $s6_err in *usage:*|*s6_svstatus_read*) ;; *) [ "$stderr" = "$s6_err" ];; esac
    done
}
