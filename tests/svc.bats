#!/usr/bin/env bats
# svc: letters in one write to supervise/control, multi-DIR exit codes, and -w waits done in
# this process (no FIFO left behind), against every supervisor; s6-svc must agree.

load helper

# --- local helpers (the same in the other svc/svstat/svok/svdt tests) -----------------------

is_up() { local p f; p=$(st_pid "$1"); f=$(st_flags "$1"); [ "${p:-0}" != 0 ] && (( (f & 2) == 0 )); }
is_down() { [ "$(st_pid "$1")" = 0 ]; }
is_ready() { is_up "$1" && (( $(st_flags "$1") & 8 )); }
is_paused() { (( $(st_flags "$1") & 1 )); }
wants_up() { (( $(st_flags "$1") & 4 )); }


sv_name() { basename "$1"; }

# no_listener DIR: nobody is subscribed to DIR/event any more (no FIFO left behind).
no_listener() { [ -z "$(ls -A "$1/event")" ]; }
# listening DIR: somebody is subscribed to DIR/event.
listening() { ls "$1/event" | grep -q '^ftrig1:@'; }

# A service dir that is not supervised (any more): supervise/ with a FIFO nobody reads.
make_unsupervised() {
    mkdir -p "$1/supervise" "$1/event"
    mkfifo "$1/supervise/control"
}

# --- sending letters ------------------------------------------------------------------------

@test "svc -d / -u / -D / -U against every supervisor; s6-svc reads the same way" {
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        run svc -d "$d"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        wait_for 5 is_down "$d"
        ! wants_up "$d"
        svc -u "$d"
        wait_for 5 is_up "$d"
        svc -D "$d"
        wait_for 5 is_down "$d"
        [ -e "$d/down" ]
        svc -U "$d"
        wait_for 5 is_up "$d"
        [ ! -e "$d/down" ]
        # the letters go in command-line order, in one write: paused, then down
        svc -p -O "$d"
        wait_for 5 eval "is_paused '$d' && ! wants_up '$d'"
        svc -c "$d"
        wait_for 5 eval "! is_paused '$d'"
        need_s6 s6-svc
        s6-svc -d "$d"
        wait_for 5 is_down "$d"
        stop_sv "$d"
    done
}

@test "svc -s SIG sends the letter of SIG; -t / -k kill the service" {
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d"
        touch "$d/down"
        start_sv "$d" "$sv"
        svc -o "$d"
        wait_for 5 is_up "$d"
        svc -s sigterm "$d"
        wait_for 5 is_down "$d"
        run svstat -o signal "$d"
        [ "$output" = SIGTERM ]
        svc -o "$d"
        wait_for 5 is_up "$d"
        svc -s 9 "$d"
        wait_for 5 is_down "$d"
        [ "$(svstat -o signal "$d")" = SIGKILL ]
        svc -o "$d"
        wait_for 5 is_up "$d"
        svc -s USR1 "$d"
        wait_for 5 is_down "$d"
        [ "$(svstat -o signal "$d")" = SIGUSR1 ]
        svc -o "$d"
        wait_for 5 is_up "$d"
        svc -k "$d"
        wait_for 5 is_down "$d"
        [ "$(svstat -o signal "$d")" = SIGKILL ]
        stop_sv "$d"
    done
}

@test "svc -s: unknown signals and signals that are not for users" {
    mkdir "$T/svc"
    expect_fail 100 "svc: fatal: invalid signal: FOO" svc -s FOO "$T/svc"
    expect_fail 100 "svc: fatal: invalid signal: 99" svc -s 99 "$T/svc"
    expect_fail 100 "svc: fatal: PIPE is not in the list of user-available signals" svc -s PIPE "$T/svc"
    expect_fail 100 "svc: fatal: SIGCHLD is not in the list of user-available signals" svc -s SIGCHLD "$T/svc"
    expect_fail 100 "svc: fatal: 17 is not in the list of user-available signals" svc -s 17 "$T/svc"
    expect_usage svc -s
}

@test "svc: 62 letters at most" {
    make_unsupervised "$T/svc"
    l62=$(printf 'O%.0s' $(seq 62))
    expect_fail 102 "svc: warning: unable to control $T/svc: supervisor not listening" svc "-$l62" "$T/svc"
    expect_fail 100 "svc: fatal: too many commands" svc "-${l62}O" "$T/svc"
    expect_fail 100 "svc: fatal: too many commands" svc "-$l62" -s TERM "$T/svc"
    need_s6 s6-svc
    run --separate-stderr s6-svc "-${l62}O" "$T/svc"
    [ "$status" -eq 100 ]
    [ "$stderr" = "s6-svc: fatal: too many commands" ]
}

@test "svc: the letters reach the supervisor in one write" {
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        pid=$(st_pid "$d")
        # down then up in one command: the service is restarted
        svc -du "$d"
        wait_for 5 eval "is_up '$d' && [ \"\$(st_pid '$d')\" != $pid ]"
        stop_sv "$d"
    done
}

@test "svc: usage errors" {
    expect_usage svc
    expect_usage svc -d
    expect_usage svc -Z "$T"
    expect_usage svc -wx "$T"
    expect_usage svc -wuu "$T"
    expect_usage svc -w "" "$T"
    expect_usage svc -T x -wu "$T"
    expect_usage svc -T -1 -wu "$T"
    expect_usage svc -l -T
    expect_fail 100 "svc: fatal: invalid service path" svc -u ""
    expect_fail 100 "svc: fatal: invalid service path" svc -u "$T" ""
}

# --- exit codes -----------------------------------------------------------------------------

@test "svc: not supervised 102, broken supervise/ 1, other errors 111" {
    mkdir "$T/nosv"
    expect_fail 102 "svc: warning: unable to control $T/nosv: supervisor not listening" svc -u "$T/nosv"
    make_unsupervised "$T/dead"
    expect_fail 102 "svc: warning: unable to control $T/dead: supervisor not listening" svc -u "$T/dead"
    mkdir "$T/broken"
    touch "$T/broken/supervise"
    expect_fail 1 "svc: warning: something is wrong with the $T/broken/supervise directory: Not a directory" svc -u "$T/broken"
    mkdir -p "$T/nofifo/supervise"
    expect_fail 1 "svc: warning: something is wrong with the $T/nofifo/supervise directory: No such file or directory" svc -u "$T/nofifo"
    expect_fail 111 "svc: warning: unable to control $T/none: No such file or directory" svc -u "$T/none"
    touch "$T/file"
    expect_fail 111 "svc: warning: unable to control $T/file: Not a directory" svc -u "$T/file"
    # no letter at all: only whether somebody listens
    expect_fail 102 "svc: warning: unable to control $T/nosv: supervisor not listening" svc "$T/nosv"
}

@test "svc: several DIRs: every one is tried, the last error wins" {
    mkdir "$T/nosv" "$T/broken"
    touch "$T/broken/supervise"
    run --separate-stderr svc -u "$T/nosv" "$T/broken"
    [ "$status" -eq 1 ]
    [ "${#stderr_lines[@]}" -eq 2 ]
    run --separate-stderr svc -u "$T/broken" "$T/nosv"
    [ "$status" -eq 102 ]
    run --separate-stderr svc -u "$T/broken" "$T/none" "$T/nosv"
    [ "$status" -eq 102 ]
    [ "${stderr_lines[1]}" = "svc: warning: unable to control $T/none: No such file or directory" ]
    run --separate-stderr svc -u "$T/nosv" "$T/none"
    [ "$status" -eq 111 ]
    # the supervised ones among them get the letters anyway
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
    done
    set -- $(for sv in $(supervisors); do echo "$T/$(sv_name "$sv")"; done)
    run svc -d "$T/nosv" "$@" "$T/broken"
    [ "$status" -eq 1 ]
    for d in "$@"; do wait_for 5 is_down "$d"; done
    run svc -u "$@"
    [ "$status" -eq 0 ]
    for d in "$@"; do wait_for 5 is_up "$d"; stop_sv "$d"; done
}

@test "svc: exit codes and messages next to s6-svc's (2.11: one DIR, 'not listening' is 100)" {
    need_s6 s6-svc
    mkdir "$T/nosv" "$T/broken"
    touch "$T/broken/supervise" "$T/file"
    for d in "$T/none" "$T/file" "$T/broken"; do
        run --separate-stderr s6-svc -u "$d"
        s6status=$status s6err=$stderr
        run --separate-stderr svc -u "$d"
        # 2.11 dies where 2.15 (and keel) warn and go on to the next DIR
        [ "${s6err/fatal/warning}" = "s6-$stderr" ]
        if [ "$d" = "$T/broken" ]; then
            [ "$s6status" -eq 100 ] && [ "$status" -eq 1 ] # 2.11: 100; 2.15: 1
        else
            [ "$status" -eq "$s6status" ]
        fi
    done
    run --separate-stderr s6-svc -u "$T/nosv"
    [ "$status" -eq 100 ] # 2.15 and keel: 102
    [ "$stderr" = "s6-svc: fatal: : unable to control $T/nosv: supervisor not listening" ]
}

# --- waiting --------------------------------------------------------------------------------

@test "svc -wu / -wd / -wD with letters, and an already reached goal without" {
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        run svc -wu "$d"
        [ "$status" -eq 0 ]
        run svc -d -wd "$d"
        [ "$status" -eq 0 ]
        is_down "$d"
        run svc -wd -T 1000 "$d"
        [ "$status" -eq 0 ]
        run svc -u -wu "$d"
        [ "$status" -eq 0 ]
        is_up "$d"
        run svc -dwD "$d"
        [ "$status" -eq 0 ]
        is_down "$d"
        no_listener "$d"
        stop_sv "$d"
    done
}

@test "svc -wU / -wR wait for readiness; without notification-fd they warn and use -wu / -wr" {
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d" 'sleep 0.2; echo >&3; exec sleep 100000 3>&-'
        echo 3 > "$d/notification-fd"
        touch "$d/down"
        start_sv "$d" "$sv"
        run svc -u -wU "$d"
        [ "$status" -eq 0 ]
        is_ready "$d"
        pid=$(st_pid "$d")
        run svc -r -wR -T 5000 "$d"
        [ "$status" -eq 0 ]
        is_ready "$d"
        [ "$(st_pid "$d")" != "$pid" ]
        stop_sv "$d"
        e=$T/$(sv_name "$sv")-nonotif
        make_service "$e"
        touch "$e/down"
        start_sv "$e" "$sv"
        expect_fail 0 "svc: warning: $e/notification-fd not present - ignoring request for readiness notification" svc -u -wU "$e"
        is_up "$e"
        ! is_ready "$e"
        no_listener "$e"
        stop_sv "$e"
    done
}

@test "svc -r -wr restarts and waits for the new run; -wr alone waits for a restart" {
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        pid=$(st_pid "$d")
        run svc -r -wr -T 5000 "$d"
        [ "$status" -eq 0 ]
        is_up "$d"
        [ "$(st_pid "$d")" != "$pid" ]
        pid=$(st_pid "$d")
        # without letters: it waits for somebody else's restart
        svc -wr -T 5000 "$d" 3>&- &
        waiter=$!
        track_pid $waiter
        wait_for 5 listening "$d"
        kill "$pid"
        wait "$waiter"
        is_up "$d"
        [ "$(st_pid "$d")" != "$pid" ]
        no_listener "$d"
        stop_sv "$d"
    done
}

@test "svc -wr: down and up arriving in one read still end the wait" {
    # The waiter is stopped while the service goes down and up again, so it reads "dDu" at
    # once: the first phase ends at "d" and the second must go on with "Du" (it used to hang).
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        pid=$(st_pid "$d")
        svc -wr -T 8000 "$d" 3>&- &
        waiter=$!
        track_pid $waiter
        wait_for 5 listening "$d"
        kill -STOP "$waiter"
        printf r > "$d/supervise/control"
        wait_for 5 is_up_again "$d" "$pid"
        kill -CONT "$waiter"
        wait "$waiter"
        no_listener "$d"
        stop_sv "$d"
    done
}
is_up_again() { is_up "$1" && [ "$(st_pid "$1")" != "$2" ]; }

@test "svc -w told to stop (TERM, INT, HUP) removes its FIFO and dies of the signal" {
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        for sig in TERM INT HUP; do
            svc -wd -T 8000 "$d" 3>&- &
            waiter=$!
            track_pid $waiter
            wait_for 5 listening "$d"
            kill -"$sig" "$waiter"
            status=0
            wait "$waiter" || status=$?
            [ "$status" -eq $((128 + $(kill -l "$sig"))) ]
            no_listener "$d"
        done
        stop_sv "$d"
    done
}

@test "svc -w -T: timeout is 99, and no FIFO is left in event/" {
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        t0=$(now_ms)
        expect_fail 99 "svc: fatal: timed out" svc -wd -T 300 "$d"
        [ $(( $(now_ms) - t0 )) -ge 300 ]
        no_listener "$d"
        # O wants it down but sends no signal: it does not go down in time
        expect_fail 99 "svc: fatal: timed out" svc -O -wD -T 200 "$d"
        no_listener "$d"
        # -T 0 and -T without -w mean no timeout
        run svc -T 100 -d "$d"
        [ "$status" -eq 0 ]
        run svc -T 0 -u -wu "$d"
        [ "$status" -eq 0 ]
        stop_sv "$d"
    done
}

@test "svc -w on several DIRs waits for all of them" {
    set --
    for sv in $(supervisors); do
        for n in 1 2; do
            d=$T/$(sv_name "$sv")$n
            make_service "$d" 'sleep 0.1; exec sleep 100000'
            touch "$d/down"
            start_sv "$d" "$sv"
            set -- "$@" "$d"
        done
    done
    run svc -u -wu -T 5000 "$@"
    [ "$status" -eq 0 ]
    for d in "$@"; do is_up "$d"; done
    run svc -d -wD -T 5000 "$@"
    [ "$status" -eq 0 ]
    for d in "$@"; do is_down "$d"; no_listener "$d"; stop_sv "$d"; done
}

@test "svc -w: a permanent failure (finish exits 125) counts 1" {
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d" 'exit 1'
        echo 3 > "$d/notification-fd"
        printf '#!/bin/sh\nexit 125\n' > "$d/finish"
        chmod 755 "$d/finish"
        touch "$d/down"
        start_sv "$d" "$sv"
        expect_fail 1 "svc: fatal: some services reported permanent failure or their supervisor died" svc -u -wU -T 5000 "$d"
        no_listener "$d"
        stop_sv "$d"
    done
}

@test "svc -w: the supervisor exiting counts as a failure" {
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d"
        touch "$d/down"
        start_sv "$d" "$sv"
        # waits for up, but the supervisor exits (x) while the service is down
        run --separate-stderr svc -x -wu -T 5000 "$d"
        [ "$status" -eq 1 ]
        [ "$stderr" = "svc: fatal: some services reported permanent failure or their supervisor died" ]
        wait_for 5 gone "$(sv_pid "$d")"
        no_listener "$d"
    done
}

@test "svc -w: errors before the wait" {
    mkdir "$T/nosv"
    expect_fail 111 "svc: fatal: unable to read status for $T/nosv: No such file or directory" svc -u -wu "$T/nosv"
    [ -d "$T/nosv/event" ] # made, as s6-svlisten does, so one may subscribe early
    no_listener "$T/nosv"
    expect_fail 111 "svc: fatal: unable to subscribe to events for $T/none: No such file or directory" svc -wu "$T/none"
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        stop_sv "$d"
        # status is there but no supervisor reads the letters: no waiting for a timeout
        expect_fail 102 "svc: warning: unable to control $d: supervisor not listening" svc -u -wu "$d"
        no_listener "$d"
        # a DIR that cannot be watched stops everything before any letter is sent
        expect_fail 111 "svc: fatal: unable to subscribe to events for $T/none: No such file or directory" svc -u -wu "$d" "$T/none"
        no_listener "$d"
    done
}

@test "svc -w: damaged status files are 111 with a clear message; the 2.13 layout is read" {
    put_hex() { local h; h=$(printf '%s' "${*:2}" | tr -d ' '); perl -e 'print pack("H*", $ARGV[0])' "$h" > "$1"; }
    d=$T/svc
    mkdir -p "$d/supervise"
    now=400000006b0bc70c00000000
    put_hex "$d/supervise/status" "$now $now 0000000000000000"
    expect_fail 111 "svc: fatal: unable to read status for $d: status file is truncated" svc -wu "$d"
    no_listener "$d"
    : > "$d/supervise/status"
    expect_fail 111 "svc: fatal: unable to read status for $d: status file is truncated" svc -wd "$d"
    head -c 100 /dev/zero > "$d/supervise/status"
    expect_fail 111 "svc: fatal: unable to read status for $d: status file is too long" svc -wd -T 100 "$d"
    put_hex "$d/supervise/status" "400000006b0bc70cffffffff $now 0000000000000000 0000 08"
    expect_fail 111 "svc: fatal: unable to read status for $d: status file holds an invalid timestamp" svc -wd "$d"
    no_listener "$d"
    # 43 bytes: pid 1000, pgid 1000, up and ready
    put_hex "$d/supervise/status" "$now $now 00000000000003e8 00000000000003e8 0000 0c"
    run svc -wU -T 1000 "$d" # (no notification-fd: -wu, with a warning)
    [ "$status" -eq 0 ]
    run svc -wd -T 100 "$d"
    [ "$status" -eq 99 ]
    no_listener "$d"
}

# --- against s6 -----------------------------------------------------------------------------

@test "s6-svc and svc: the same -w answers against every supervisor" {
    need_s6 s6-svc
    # settled CHECK DIR: the status file shows the state the -w answer was about. keel's
    # supervise writes its status before it sends the event, so at once; s6-supervise 2.11
    # sometimes sends "d" first, so for it the check waits a little.
    settled() { if [ "$sv" = "$KEEL_BIN/supervise" ]; then "$@"; else wait_for 5 "$@"; fi; }
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        for tool in s6-svc svc; do
            run $tool -d -wd -T 5000 "$d"
            [ "$status" -eq 0 ]
            settled is_down "$d"
            run $tool -u -wu -T 5000 "$d"
            [ "$status" -eq 0 ]
            settled is_up "$d"
            pid=$(st_pid "$d")
            run $tool -r -wr -T 5000 "$d"
            [ "$status" -eq 0 ]
            settled is_up "$d"
            [ "$(st_pid "$d")" != "$pid" ]
            run $tool -wu -T 5000 "$d"
            [ "$status" -eq 0 ]
            run $tool -wd -T 200 "$d"
            [ "$status" -eq 99 ]
            run $tool -d -wD -T 5000 "$d"
            [ "$status" -eq 0 ]
            settled is_down "$d"
            # the goal is checked first: already down, so -u does not matter
            run $tool -u -wd -T 5000 "$d"
            [ "$status" -eq 0 ]
            wait_for 5 is_up "$d"
            run $tool -d -wD -T 5000 "$d"
            [ "$status" -eq 0 ]
            run $tool -O -wu -T 200 "$d"
            [ "$status" -eq 99 ]
            no_listener "$d"
        done
        stop_sv "$d"
    done
}
