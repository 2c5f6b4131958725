#!/usr/bin/env bats
# svlisten1: subscribe and read the status, then spawn PROG (reaped, its exit ignored), then
# wait (-u -U -d -D -r -R); exit 1 on failure, 99 on timeout, and never a FIFO left in event/.
# Against every supervisor; s6-svlisten1 must give the same answers.

load helper

is_up() { local p f; p=$(st_pid "$1"); f=$(st_flags "$1"); [ "${p:-0}" != 0 ] && (( (f & 2) == 0 )); }
is_down() { [ "$(st_pid "$1")" = 0 ]; }
is_ready() { is_up "$1" && (( $(st_flags "$1") & 8 )); }

setup() {
    keel_setup
    # ctl DIR LETTERS: a program that sends letters to DIR's supervisor, as svc would.
    printf '#!/bin/sh\nprintf %%s "$2" > "$1/supervise/control"\n' > "$T/ctl"
    chmod 755 "$T/ctl"
}




release() { timeout 5 sh -c 'echo > "$1"' sh "$1"; }

make_notifying() {
    make_service "$1" "read x < \"$1/ready\"; echo >&3; exec sleep 100000 3>&-"
    mkfifo "$1/ready"
    echo 3 > "$1/notification-fd"
}

@test "svlisten1 -d / -u / -D: PROG's state change is caught" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        run svlisten1 -d -t 5000 "$d" "$T/ctl" "$d" d
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        is_down "$d"
        no_listener "$d"
        run svlisten1 -t 5000 "$d" "$T/ctl" "$d" u
        [ "$status" -eq 0 ]
        is_up "$d"
        run svlisten1 -D -t 5000 "$d" "$T/ctl" "$d" d
        [ "$status" -eq 0 ]
        run svlisten1 -u -t 5000 "$d" "$T/ctl" "$d" u
        [ "$status" -eq 0 ]
        no_listener "$d"
        stop_sv "$d"
    done
}

@test "svlisten1: PROG runs once the subscription is made; its exit status is ignored" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        run svlisten1 -d "$d" sh -c 'ls "$1/event" > "$2"; "$3" "$1" d; exit 3' sh "$d" "$T/seen" "$T/ctl"
        [ "$status" -eq 0 ]
        grep -q '^ftrig1:@' "$T/seen"
        is_down "$d"
        run svlisten1 -d "$d" false
        [ "$status" -eq 0 ]
        no_listener "$d"
        stop_sv "$d"
    done
}

@test "svlisten1: PROG is reaped while waiting: no zombie" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        bg w svlisten1 -t 10000 -d "$d" sh -c 'echo $$ > "$1"' sh "$T/child"
        wait_for 5 test -s "$T/child"
        wait_for 5 gone "$(cat "$T/child")" # reaped: a zombie would still answer kill -0
        [ -z "$(ps -o stat= --ppid "$(cat "$T/w.pid")" | grep Z)" ]
        "$T/ctl" "$d" d
        bg_wait w
        [ "$bg_status" -eq 0 ]
        stop_sv "$d"
    done
}

@test "svlisten1 -U / -R: readiness" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_notifying "$d"
        touch "$d/down"
        start_sv "$d" "$sv"
        run svlisten1 -U -t 5000 "$d" sh -c '"$1" "$2" u; echo > "$2/ready"' sh "$T/ctl" "$d"
        [ "$status" -eq 0 ]
        is_ready "$d"
        pid=$(st_pid "$d")
        run svlisten1 -R -t 5000 "$d" sh -c 'kill "$1"; echo > "$2/ready"' sh "$pid" "$d"
        [ "$status" -eq 0 ]
        is_ready "$d"
        [ "$(st_pid "$d")" != "$pid" ]
        pid=$(st_pid "$d")
        # -r: up again is enough
        bg r svlisten1 -r -t 5000 "$d" kill "$pid"
        wait_for 5 is_up "$d"
        bg_wait r
        [ "$bg_status" -eq 0 ]
        ! is_ready "$d"
        no_listener "$d"
        stop_sv "$d"
    done
}

@test "svlisten1 -t: 99 'timed out', no FIFO left" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        t0=$(now_ms)
        expect_fail 99 "svlisten1: fatal: timed out" svlisten1 -d -t 300 "$d" true
        [ $(( $(now_ms) - t0 )) -ge 300 ]
        no_listener "$d"
        stop_sv "$d"
    done
}

@test "svlisten1: a permanent failure or the supervisor exiting is exit 1" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_service "$d" 'exit 1'
        echo 3 > "$d/notification-fd"
        printf '#!/bin/sh\nexit 125\n' > "$d/finish"
        chmod 755 "$d/finish"
        touch "$d/down"
        start_sv "$d" "$sv"
        expect_fail 1 "svlisten1: fatal: $d failed permanently or its supervisor died" svlisten1 -U -t 5000 "$d" "$T/ctl" "$d" u
        no_listener "$d"
        expect_fail 1 "svlisten1: fatal: $d failed permanently or its supervisor died" svlisten1 -u -t 5000 "$d" "$T/ctl" "$d" x
        wait_for 5 gone "$(sv_pid "$d")"
        no_listener "$d"
    done
}

@test "svlisten1: SIGTERM, SIGINT and SIGHUP kill it, FIFO removed first; PROG lives on" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        for sig in TERM INT HUP; do
            rm -f "$T/child"
            bg w svlisten1 -t 10000 -d "$d" sh -c 'echo $$ > "$1"; exec sleep 100000' sh "$T/child"
            wait_for 5 test -s "$T/child"
            track_pid "$(cat "$T/child")"
            kill -s "$sig" "$(cat "$T/w.pid")"
            bg_wait w
            [ "$bg_status" -eq $(( 128 + $(kill -l "$sig") )) ]
            no_listener "$d"
            kill -0 "$(cat "$T/child")"
            kill "$(cat "$T/child")"
        done
        stop_sv "$d"
    done
}

@test "svlisten1: PROG that cannot be spawned is 111, no FIFO left" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        expect_fail 111 "svlisten1: fatal: unable to spawn no-such-program-keel: No such file or directory" svlisten1 "$d" no-such-program-keel
        no_listener "$d"
        printf '#!/bin/sh\n' > "$T/noexec"
        expect_fail 111 "svlisten1: fatal: unable to spawn $T/noexec: Permission denied" svlisten1 "$d" "$T/noexec"
        no_listener "$d"
        stop_sv "$d"
    done
}

@test "svlisten1: errors before PROG runs: it never runs" {
    expect_fail 111 "svlisten1: fatal: unable to subscribe to events for $T/none: No such file or directory" svlisten1 "$T/none" touch "$T/ran"
    mkdir -p "$T/svc/supervise"
    expect_fail 111 "svlisten1: fatal: unable to read status for $T/svc: No such file or directory" svlisten1 "$T/svc" touch "$T/ran"
    head -c 50 /dev/zero > "$T/svc/supervise/status"
    expect_fail 111 "svlisten1: fatal: unable to read status for $T/svc: status file is too long" svlisten1 "$T/svc" touch "$T/ran"
    [ ! -e "$T/ran" ]
    no_listener "$T/svc"
}

@test "svlisten1: usage errors exit 100" {
    expect_usage svlisten1
    expect_usage svlisten1 "$T"
    expect_usage svlisten1 -o "$T" true
    expect_usage svlisten1 -a "$T" true
    expect_usage svlisten1 -t x "$T" true
    expect_usage svlisten1 -t
}

# --- against s6 -----------------------------------------------------------------------------

# same_as_s6 SETUP OPTIONS TRIGGER...: runs SETUP (a shell command), then s6-svlisten1 OPTIONS
# DIR TRIGGER...; runs SETUP again, then svlisten1 the same way; both must exit alike. $d is
# the service dir.
same_as_s6() {
    local setup=$1 opts=$2 k s; shift 2
    eval "$setup"
    # shellcheck disable=SC2086
    s6-svlisten1 $opts "$d" "$@" 2>/dev/null && s=0 || s=$?
    eval "$setup"
    # shellcheck disable=SC2086
    svlisten1 $opts "$d" "$@" && k=0 || k=$?
    [ "$k" = "$s" ] || { echo "svlisten1 $opts $*: $k, s6-svlisten1: $s"; return 1; }
    no_listener "$d"
}

@test "s6-svlisten1 and svlisten1: the same answers against every supervisor" {
    need_s6 s6-svlisten1
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        up='"$T/ctl" "$d" u; wait_for 5 is_up "$d"'
        down='"$T/ctl" "$d" d; wait_for 5 is_down "$d"'
        same_as_s6 "$up" "-d -t 5000" "$T/ctl" "$d" d
        same_as_s6 "$down" "-u -t 5000" "$T/ctl" "$d" u
        same_as_s6 "$down" "-D -t 5000" true
        same_as_s6 "$up" "-D -t 300" true
        same_as_s6 "$up" "-r -t 5000" sh -c 'kill $(od -An -tu8 -j24 -N8 --endian=big "$1/supervise/status")' sh "$d"
        same_as_s6 "$up" "-t 5000" no-such-program-keel
        same_as_s6 "$down" "-u -t 300" false
    done
}
