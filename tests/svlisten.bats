#!/usr/bin/env bats
# svlisten: the servicedir block (shell form with "", execlineb's { } form), an empty block
# execs PROG; subscribe and read every status, then spawn PROG, then wait (-u -U -d -D -r -R,
# -a -o); the failure count, 99 on timeout, and never a FIFO left in event/. Against every
# supervisor; s6-svlisten must give the same answers.

load helper

is_up() { local p f; p=$(st_pid "$1"); f=$(st_flags "$1"); [ "${p:-0}" != 0 ] && (( (f & 2) == 0 )); }
is_down() { [ "$(st_pid "$1")" = 0 ]; }
is_ready() { is_up "$1" && (( $(st_flags "$1") & 8 )); }

setup() {
    keel_setup
    # ctl LETTERS DIR...: a program that sends letters to the supervisors, as svc would.
    printf '#!/bin/sh\nl=$1; shift\nfor d; do printf %%s "$l" > "$d/supervise/control"; done\n' > "$T/ctl"
    chmod 755 "$T/ctl"
}




# services N: makes and supervises N service dirs per supervisor (down), names in $dirs.
services() {
    local sv n d
    dirs=()
    for sv in $(supervisors); do
        for n in $(seq "$1"); do
            d=$T/$(basename "$sv")$n
            make_service "$d"
            touch "$d/down"
            start_sv "$d" "$sv"
            dirs+=("$d")
        done
    done
}

@test "svlisten: shell form, DIRs ended by an empty argument" {
    services 2
    run svlisten -u -t 5000 "${dirs[@]}" "" "$T/ctl" u "${dirs[@]}"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    for d in "${dirs[@]}"; do is_up "$d"; no_listener "$d"; done
    run svlisten -D -t 5000 "${dirs[@]}" "" "$T/ctl" d "${dirs[@]}"
    [ "$status" -eq 0 ]
    for d in "${dirs[@]}"; do is_down "$d"; no_listener "$d"; stop_sv "$d"; done
}

@test "svlisten: execlineb's block form, and leading spaces by hand" {
    need_cmd execlineb
    services 1
    run execlineb -Pc "svlisten -u -t 5000 { ${dirs[*]} } $T/ctl u ${dirs[*]}"
    [ "$status" -eq 0 ]
    for d in "${dirs[@]}"; do is_up "$d"; done
    spaced=()
    for d in "${dirs[@]}"; do spaced+=(" $d"); done
    run svlisten -d -t 5000 "${spaced[@]}" "" "$T/ctl" d "${dirs[@]}"
    [ "$status" -eq 0 ]
    for d in "${dirs[@]}"; do is_down "$d"; no_listener "$d"; stop_sv "$d"; done
}

@test "svlisten: an empty block execs PROG at once" {
    run svlisten "" sh -c 'echo ran; exit 7'
    [ "$status" -eq 7 ]
    [ "$output" = ran ]
    need_cmd execlineb
    run execlineb -Pc 'svlisten -d { } echo ran'
    [ "$status" -eq 0 ]
    [ "$output" = ran ]
    expect_fail 127 "svlisten: fatal: unable to exec no-such-program-keel: No such file or directory" svlisten "" no-such-program-keel
    printf '#!/bin/sh\n' > "$T/noexec"
    expect_fail 126 "svlisten: fatal: unable to exec $T/noexec: Permission denied" svlisten -t 10 "" "$T/noexec"
}

@test "svlisten -a waits for all, -o for one" {
    services 2
    bg all svlisten -u -t 5000 "${dirs[@]}" "" "$T/ctl" u "${dirs[0]}"
    for d in "${dirs[@]}"; do wait_for 5 listening "$d"; done
    wait_for 5 is_up "${dirs[0]}"
    kill -0 "$(cat "$T/all.pid")"
    "$T/ctl" u "${dirs[@]:1}"
    bg_wait all
    [ "$bg_status" -eq 0 ]
    run svlisten -o -d -t 5000 "${dirs[@]}" "" "$T/ctl" d "${dirs[1]}"
    [ "$status" -eq 0 ]
    is_down "${dirs[1]}"
    is_up "${dirs[0]}"
    for d in "${dirs[@]}"; do no_listener "$d"; stop_sv "$d"; done
}

@test "svlisten -U / -R: readiness; -r -o warns and waits for all" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_service "$d" "read x < \"$d/ready\"; echo >&3; exec sleep 100000 3>&-"
        mkfifo "$d/ready"
        echo 3 > "$d/notification-fd"
        touch "$d/down"
        start_sv "$d" "$sv"
        run svlisten -U -t 5000 "$d" "" sh -c '"$1" u "$2"; echo > "$2/ready"' sh "$T/ctl" "$d"
        [ "$status" -eq 0 ]
        is_ready "$d"
        pid=$(st_pid "$d")
        run svlisten -R -t 5000 "$d" "" sh -c 'kill "$1"; echo > "$2/ready"' sh "$pid" "$d"
        [ "$status" -eq 0 ]
        is_ready "$d"
        [ "$(st_pid "$d")" != "$pid" ]
        pid=$(st_pid "$d")
        run --separate-stderr svlisten -o -r -t 5000 "$d" "" kill "$pid"
        [ "$status" -eq 0 ]
        [ "$stderr" = "svlisten: warning: -o is unsupported with -r, using -a instead" ]
        is_up "$d"
        [ "$(st_pid "$d")" != "$pid" ]
        no_listener "$d"
        stop_sv "$d"
    done
}

@test "svlisten: the failure count is the exit code" {
    services 2
    expect_fail ${#dirs[@]} "svlisten: fatal: some services reported permanent failure or their supervisor died" svlisten -u -t 5000 "${dirs[@]}" "" "$T/ctl" x "${dirs[@]}"
    for d in "${dirs[@]}"; do wait_for 5 gone "$(sv_pid "$d")"; no_listener "$d"; done
}

@test "svlisten -t: 99 'timed out', no FIFO left" {
    services 1
    t0=$(now_ms)
    expect_fail 99 "svlisten: fatal: timed out" svlisten -u -t 300 "${dirs[@]}" "" true
    [ $(( $(now_ms) - t0 )) -ge 300 ]
    for d in "${dirs[@]}"; do no_listener "$d"; stop_sv "$d"; done
}

@test "svlisten: SIGTERM, SIGINT and SIGHUP kill it, FIFOs removed first" {
    services 1
    for sig in TERM INT HUP; do
        bg w svlisten -t 10000 -u "${dirs[@]}" "" true
        for d in "${dirs[@]}"; do wait_for 5 listening "$d"; done
        kill -s "$sig" "$(cat "$T/w.pid")"
        bg_wait w
        [ "$bg_status" -eq $(( 128 + $(kill -l "$sig") )) ]
        for d in "${dirs[@]}"; do no_listener "$d"; done
    done
    for d in "${dirs[@]}"; do stop_sv "$d"; done
}

@test "svlisten: PROG reaped while waiting; PROG that cannot be spawned is 111" {
    services 1
    d=${dirs[0]}
    bg w svlisten -t 10000 -u "$d" "" sh -c 'echo $$ > "$1"' sh "$T/child"
    wait_for 5 test -s "$T/child"
    wait_for 5 gone "$(cat "$T/child")"
    "$T/ctl" u "$d"
    bg_wait w
    [ "$bg_status" -eq 0 ]
    expect_fail 111 "svlisten: fatal: unable to spawn no-such-program-keel: No such file or directory" svlisten -d "$d" "" no-such-program-keel
    no_listener "$d"
    for d in "${dirs[@]}"; do stop_sv "$d"; done
}

@test "svlisten: errors before PROG runs: it never runs, no FIFO left" {
    mkdir -p "$T/svc/supervise"
    head -c 35 /dev/zero > "$T/svc/supervise/status"
    expect_fail 111 "svlisten: fatal: unable to subscribe to events for $T/none: No such file or directory" svlisten "$T/svc" "$T/none" "" touch "$T/ran"
    no_listener "$T/svc"
    mkdir "$T/nostatus"
    expect_fail 111 "svlisten: fatal: unable to read status for $T/nostatus: No such file or directory" svlisten "$T/svc" "$T/nostatus" "" touch "$T/ran"
    no_listener "$T/svc"
    no_listener "$T/nostatus"
    [ ! -e "$T/ran" ]
}

@test "svlisten: usage errors exit 100; a missing empty argument is 'unterminated'" {
    expect_usage svlisten
    expect_usage svlisten ""
    expect_usage svlisten "$T" ""
    expect_usage svlisten -x "$T" "" true
    expect_usage svlisten -t abc "$T" "" true
    expect_fail 100 "svlisten: fatal: unterminated servicedir block" svlisten "$T" true
    expect_fail 100 "svlisten: fatal: unterminated servicedir block" svlisten -u "$T" "$T" true
}

# --- against s6 -----------------------------------------------------------------------------

# same_as_s6 SETUP OPTIONS ARGS...: runs SETUP (a shell command), then s6-svlisten OPTIONS
# ARGS; runs SETUP again, then svlisten the same way; both must exit alike.
same_as_s6() {
    local setup=$1 opts=$2 k s; shift 2
    eval "$setup"
    # shellcheck disable=SC2086
    s6-svlisten $opts "$@" 2>/dev/null && s=0 || s=$?
    eval "$setup"
    # shellcheck disable=SC2086
    svlisten $opts "$@" 2>/dev/null && k=0 || k=$?
    [ "$k" = "$s" ] || { echo "svlisten $opts $*: $k, s6-svlisten: $s"; return 1; }
}

@test "s6-svlisten and svlisten: the same answers against every supervisor" {
    need_s6 s6-svlisten
    services 2
    up='"$T/ctl" u "${dirs[@]}"; for d in "${dirs[@]}"; do wait_for 5 is_up "$d"; done'
    down='"$T/ctl" d "${dirs[@]}"; for d in "${dirs[@]}"; do wait_for 5 is_down "$d"; done'
    same_as_s6 "$down" "-u -t 5000" "${dirs[@]}" "" "$T/ctl" u "${dirs[@]}"
    same_as_s6 "$up" "-D -t 5000" "${dirs[@]}" "" "$T/ctl" d "${dirs[@]}"
    same_as_s6 "$up" "-o -d -t 5000" "${dirs[@]}" "" "$T/ctl" d "${dirs[0]}"
    same_as_s6 "$down" "-u -t 300" "${dirs[@]}" "" "$T/ctl" u "${dirs[0]}"
    same_as_s6 "$up" "-t 5000" "${dirs[@]}" "" no-such-program-keel
    same_as_s6 true "-t 5000" "${dirs[@]}" true
    same_as_s6 true "" "${dirs[@]}"
    # (an empty block: 2.11 prints its usage, keel runs PROG as 2.15 does)
    for d in "${dirs[@]}"; do no_listener "$d"; stop_sv "$d"; done
}
