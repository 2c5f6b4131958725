#!/usr/bin/env bats
# svunlink: removes a service from a running scanner's scan dir and returns once the
# supervisors of the service and of its logger have exited (the logger after draining its
# input), -X (no wait), -t (gives up, still 0), no FIFO ever left in event/; bad input gives
# s6-svunlink's messages. Every scanner test runs against each scanner (keel's svscan when
# built, s6-svscan when installed), and s6-svunlink must have the same effect.

load helper

TOOL=svunlink

# Scanner helpers (start_scan, stop_scan, sv_of, make_logged, hold_lock, fake_scan, no_fifo,
# both_fail...) are in tests/helper.bash; keel_teardown kills whatever a test left under $T.

# put_in SCANDIR DIR NAME: links DIR into the scan dir by hand and waits for its supervisors.
put_in() {
    ln -s "$2" "$1/$3"
    scan_ctl "$1" a
    wait_for 5 svok "$2"
    [ ! -d "$2/log" ] || wait_for 5 svok "$2/log"
    wait_for 5 is_up "$2"
}

# talker DIR: a logged service that says hello, its logger appending what it reads to
# DIR/logged.
talker() {
    make_service "$1" 'echo hello; exec sleep 100000'
    make_service "$1/log" "exec cat >> '$1/logged'"
}

# --- unlinking -----------------------------------------------------------------------------

@test "svunlink: stops the supervisors of the service and its logger, and waits for both" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        start_scan "$b/scan" "$sc"
        talker "$b/svc"
        put_in "$b/scan" "$b/svc" svc
        wait_for 5 grep -qx hello "$b/svc/logged"
        sv=$(sv_of "$b/scan" "$b/svc")
        lg=$(sv_of "$b/scan" "$b/svc/log")
        svcpid=$(up_pid "$b/svc")
        logpid=$(up_pid "$b/svc/log")
        # While the scanner is stopped, nobody stops the supervisors: svunlink must wait.
        kill -STOP "$(scan_pid "$b/scan")"
        svunlink "$b/scan" svc >"$T/out" 2>&1 &
        pid=$!
        track_pid $pid
        wait_for 5 eval "[ ! -L '$b/scan/svc' ]"
        [ -n "$(find "$b/svc/event" -name 'ftrig1*')" ]
        [ -n "$(find "$b/svc/log/event" -name 'ftrig1*')" ]
        run gone $pid
        [ "$status" -eq 1 ]
        kill -CONT "$(scan_pid "$b/scan")"
        wait $pid
        [ ! -s "$T/out" ]
        # both supervisors sent their last event (x): the service and the logger are gone
        gone "$svcpid"
        gone "$logpid"
        wait_for 5 gone "$sv"
        wait_for 5 gone "$lg"
        no_fifo "$b/svc"
        no_fifo "$b/svc/log"
        # the logger got SIGHUP, not SIGTERM: it read its input to the end
        [ "$(cat "$b/svc/logged")" = hello ]
        # it can come back
        svlink "$b/scan" "$b/svc"
        svok "$b/svc"
        # s6-svunlink does the same against this scanner
        if command -v s6-svunlink >/dev/null; then
            talker "$b/s6"
            put_in "$b/scan" "$b/s6" s6
            sv=$(sv_of "$b/scan" "$b/s6")
            svcpid=$(up_pid "$b/s6")
            s6-svunlink "$b/scan" s6
            [ ! -L "$b/scan/s6" ]
            gone "$svcpid"
            wait_for 5 gone "$sv"
        fi
        stop_scan "$b/scan"
        wait_for 10 nothing_under "$b"
    done
}

@test "svunlink -X: returns at once; the supervisors exit all the same" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        start_scan "$b/scan" "$sc"
        for tool in svunlink s6-svunlink; do
            command -v "$tool" >/dev/null || continue
            d=$b/$tool
            make_logged "$d"
            put_in "$b/scan" "$d" "$tool"
            sv=$(sv_of "$b/scan" "$d")
            lg=$(sv_of "$b/scan" "$d/log")
            kill -STOP "$(scan_pid "$b/scan")"
            run --separate-stderr timeout 5 "$tool" -X "$b/scan" "$tool"
            [ "$status" -eq 0 ]
            [ -z "$output$stderr" ]
            [ ! -L "$b/scan/$tool" ]
            no_fifo "$d"
            kill -CONT "$(scan_pid "$b/scan")"
            wait_for 5 gone "$sv"
            wait_for 5 gone "$lg"
        done
        stop_scan "$b/scan"
        wait_for 10 nothing_under "$b"
    done
}

@test "svunlink -t: gives up after the timeout, still exits 0, leaves no FIFO" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        start_scan "$b/scan" "$sc"
        for tool in svunlink s6-svunlink; do
            command -v "$tool" >/dev/null || continue
            d=$b/$tool
            make_logged "$d"
            put_in "$b/scan" "$d" "$tool"
            sv=$(sv_of "$b/scan" "$d")
            kill -STOP "$(scan_pid "$b/scan")"
            start=$(now_ms)
            run --separate-stderr timeout 5 "$tool" -t 300 "$b/scan" "$tool"
            [ "$status" -eq 0 ]
            [ -z "$output$stderr" ]
            [ $(( $(now_ms) - start )) -ge 300 ]
            [ ! -L "$b/scan/$tool" ]
            kill -CONT "$(scan_pid "$b/scan")"
            wait_for 5 gone "$sv"
        done
        # (s6-svunlink 2.11 leaves its FIFOs behind)
        no_fifo "$b/svunlink"
        no_fifo "$b/svunlink/log"
        stop_scan "$b/scan"
        wait_for 10 nothing_under "$b"
    done
}

@test "svunlink: SIGTERM while waiting removes the FIFOs" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        start_scan "$b/scan" "$sc"
        make_logged "$b/svc"
        put_in "$b/scan" "$b/svc" svc
        kill -STOP "$(scan_pid "$b/scan")"
        svunlink "$b/scan" svc 2>"$T/err" &
        pid=$!
        track_pid $pid
        wait_for 5 eval "[ ! -L '$b/scan/svc' ]"
        kill -TERM $pid
        wait $pid && code=0 || code=$?
        [ "$code" -eq 143 ]
        [ ! -s "$T/err" ]
        no_fifo "$b/svc"
        no_fifo "$b/svc/log"
        kill -CONT "$(scan_pid "$b/scan")"
        stop_scan "$b/scan"
        wait_for 10 nothing_under "$b"
    done
}

# --- odd scan dirs -------------------------------------------------------------------------

@test "svunlink: a name that is not there: 0, as with s6" {
    s=$T/scan
    fake_scan "$s"
    for tool in svunlink s6-svunlink; do
        command -v "$tool" >/dev/null || continue
        run --separate-stderr "$tool" -t 1000 "$s" nothing
        [ "$status" -eq 0 ]
        [ -z "$output$stderr" ]
    done
    # the scanner was asked to rescan and kill what is gone
    run timeout 5 dd bs=64 count=1 status=none <&4
    [[ "$output" == an* ]]
}

@test "svunlink: a directory instead of a symlink: 111 (s6-svunlink ignores it)" {
    s=$T/scan
    fake_scan "$s"
    make_service "$s/real"
    expect_fail 111 "svunlink: fatal: unable to unlink $s/real: Is a directory" svunlink "$s" real
    [ -d "$s/real" ]
    if command -v s6-svunlink >/dev/null; then
        run --separate-stderr s6-svunlink -t 200 "$s" real
        [ "$status" -eq 0 ]
    fi
}

@test "svunlink: no scanner listening: a warning, exit 0, no wait" {
    s=$T/scan
    mkdir -p "$s"
    # a supervised service (a lock holder): without a scanner, nothing would stop it
    make_service "$T/svc"
    mkdir -p "$T/svc/event"
    hold_lock "$T/svc/supervise/lock"
    ln -s "$T/svc" "$s/svc"
    expect_fail 0 "svunlink: warning: unable to control $s: No such file or directory" \
        timeout 5 svunlink "$s" svc
    [ ! -L "$s/svc" ]
    no_fifo "$T/svc"
    mkdir "$s/.s6-svscan"
    mkfifo "$s/.s6-svscan/control"
    ln -s "$T/svc" "$s/svc"
    expect_fail 0 "svunlink: warning: unable to control $s: supervisor not listening" \
        timeout 5 svunlink "$s" svc
    [ ! -L "$s/svc" ]
    no_fifo "$T/svc"
    # s6-svunlink says nothing (and would wait forever without -t)
    if command -v s6-svunlink >/dev/null; then
        ln -s "$T/svc" "$s/svc"
        run --separate-stderr s6-svunlink -t 200 "$s" svc
        [ "$status" -eq 0 ]
        [ -z "$stderr" ]
        [ ! -L "$s/svc" ]
    fi
}

@test "svunlink: bad service dirs behind the name" {
    s=$T/scan
    fake_scan "$s"
    make_service "$T/logfile"
    touch "$T/logfile/log"
    ln -s "$T/logfile" "$s/logfile"
    both_fail 111 "unable to prepare unlinking of service logfile in scandir $s: Not a directory" \
        "$s" logfile
    [ -L "$s/logfile" ]
    # a logger supervised without its service: s6 refuses the pair
    make_logged "$T/half"
    hold_lock "$T/half/log/supervise/lock"
    ln -s "$T/half" "$s/half"
    both_fail 111 "unable to prepare unlinking of service half in scandir $s: Invalid argument" \
        "$s" half
    [ -L "$s/half" ]
    # a file, not a service dir
    touch "$s/file"
    both_fail 111 "unable to prepare unlinking of service file in scandir $s: Not a directory" \
        "$s" file
    # -X does not look: it only unlinks
    for tool in svunlink s6-svunlink; do
        command -v "$tool" >/dev/null || continue
        ln -sfn "$T/logfile" "$s/logfile"
        run --separate-stderr "$tool" -X "$s" logfile
        [ "$status" -eq 0 ]
        [ -z "$stderr" ]
        [ ! -L "$s/logfile" ]
    done
}

# --- bad input -----------------------------------------------------------------------------

@test "svunlink: usage errors" {
    expect_usage svunlink
    expect_usage svunlink "$T"
    expect_usage svunlink -t "$T" svc
    expect_usage svunlink -t 1x "$T" svc
    expect_usage svunlink -z "$T" svc
    # s6-svunlink ignores extra operands; keel refuses them
    expect_usage svunlink "$T" svc other
}

@test "svunlink: bad names" {
    both_fail 100 "invalid service name" "$T" ""
    both_fail 100 "invalid service name" "$T" .hidden
    both_fail 100 "invalid service name" "$T" /abs
    # a '/' inside: s6-svunlink would remove a file inside a service dir; keel refuses
    mkdir -p "$T/svc"
    touch "$T/svc/file"
    expect_fail 100 "svunlink: fatal: invalid service name" svunlink "$T" svc/file
    [ -e "$T/svc/file" ]
    expect_fail 100 "svunlink: fatal: invalid scandir" svunlink "" svc
}

@test "svunlink: overlong names" {
    long=$(printf 'x%.0s' $(seq 1 5000))
    both_fail 111 "unable to prepare unlinking of service $long in scandir $T: File name too long" \
        "$T" "$long"
}
