#!/usr/bin/env bats
# svlink: links a service dir into a running scanner's scan dir and returns once the
# supervisors run (service and logger), with -d -D -P -f -t, relative paths, default names,
# names with spaces; undoes everything on timeout; bad input gives s6-svlink's messages. Every
# scanner test runs against each scanner (keel's svscan when built, s6-svscan when installed),
# and s6-svlink must have the same effect where the spec does not say otherwise.

load helper

TOOL=svlink

# Scanner helpers (start_scan, stop_scan, sv_of, make_logged, hold_lock, fake_scan, no_fifo,
# both_fail...) are in tests/helper.bash; keel_teardown kills whatever a test left under $T.

# --- linking -------------------------------------------------------------------------------

@test "svlink: links the service and returns once its supervisor runs" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        start_scan "$b/scan" "$sc"
        make_service "$b/svc"
        # While the scanner is stopped, nothing can start: svlink must be waiting.
        kill -STOP "$(scan_pid "$b/scan")"
        svlink "$b/scan" "$b/svc" >"$T/out" 2>&1 &
        pid=$!
        track_pid $pid
        wait_for 5 test -L "$b/scan/svc"
        [ -n "$(find "$b/svc/event" -name 'ftrig1*')" ]
        run gone $pid
        [ "$status" -eq 1 ]
        kill -CONT "$(scan_pid "$b/scan")"
        wait $pid
        [ ! -s "$T/out" ]
        # returned once the supervisor holds its lock
        svok "$b/svc"
        [ "$(readlink "$b/scan/svc")" = "$b/svc" ]
        # a private fifodir, owned by our group, and no FIFO of ours left in it
        [ "$(stat -c '%a %g' "$b/svc/event")" = "3730 $(id -g)" ]
        no_fifo "$b/svc"
        wait_for 5 is_up "$b/svc"
        # s6-svlink does the same against this scanner
        if command -v s6-svlink >/dev/null; then
            make_service "$b/s6"
            s6-svlink "$b/scan" "$b/s6"
            svok "$b/s6"
            [ "$(readlink "$b/scan/s6")" = "$b/s6" ]
            [ "$(stat -c '%a %g' "$b/s6/event")" = "3730 $(id -g)" ]
        fi
        stop_scan "$b/scan"
        wait_for 10 nothing_under "$b"
    done
}

@test "svlink: a logged service: waits for the supervisors of both" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        start_scan "$b/scan" "$sc"
        make_logged "$b/svc"
        svlink -t 5000 "$b/scan" "$b/svc"
        svok "$b/svc"
        svok "$b/svc/log"
        sv_of "$b/scan" "$b/svc"
        sv_of "$b/scan" "$b/svc/log"
        [ "$(stat -c %a "$b/svc/log/event")" = 3730 ]
        no_fifo "$b/svc"
        no_fifo "$b/svc/log"
        wait_for 5 is_up "$b/svc"
        wait_for 5 is_up "$b/svc/log"
        stop_scan "$b/scan"
        wait_for 10 nothing_under "$b"
    done
}

@test "svlink: a logger whose supervisor cannot start: 99, the service's supervisor told to exit" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        start_scan "$b/scan" "$sc"
        for tool in svlink s6-svlink; do
            command -v "$tool" >/dev/null || continue
            d=$b/$tool
            make_logged "$d"
            # the logger's supervisor dies at start-up, before its `s` event
            ln -s "$T/nowhere/supervise" "$d/log/supervise"
            expect_fail 99 "$tool: fatal: unable to link servicedir $d into scandir $b/scan with name $tool: Connection timed out" \
                "$tool" -t 1500 "$b/scan" "$d"
            [ ! -L "$b/scan/$tool" ]
            # the service's supervisor got "xd": it stops the service and exits
            wait_for 5 eval "! svok '$d'"
            run sv_of "$b/scan" "$d"
            [ "$status" -eq 1 ]
        done
        stop_scan "$b/scan"
        wait_for 10 nothing_under "$b"
    done
}

@test "svlink -D: the service and its logger start down, and stay so" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        start_scan "$b/scan" "$sc"
        make_logged "$b/svc"
        svlink -D "$b/scan" "$b/svc"
        [ -f "$b/svc/down" ]
        [ -f "$b/svc/log/down" ]
        # the initial status is written before the `s` event
        [ "$(svstat -o up,wantedup,normallyup "$b/svc")" = "false false false" ]
        [ "$(svstat -o up,wantedup,normallyup "$b/svc/log")" = "false false false" ]
        if command -v s6-svlink >/dev/null; then
            make_logged "$b/s6"
            s6-svlink -D "$b/scan" "$b/s6"
            [ -f "$b/s6/down" ]
            [ -f "$b/s6/log/down" ]
            [ "$(svstat -o up,wantedup,normallyup "$b/s6")" = "false false false" ]
        fi
        stop_scan "$b/scan"
        wait_for 10 nothing_under "$b"
    done
}

@test "svlink -d: starts down, then removes the down files (logger's too)" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        start_scan "$b/scan" "$sc"
        make_logged "$b/svc"
        svlink -d "$b/scan" "$b/svc"
        [ ! -e "$b/svc/down" ]
        [ ! -e "$b/svc/log/down" ]
        [ "$(svstat -o up,wantedup,normallyup "$b/svc")" = "false false true" ]
        [ "$(svstat -o up,wantedup,normallyup "$b/svc/log")" = "false false true" ]
        # a pre-existing down file goes too; the last of -d / -D wins
        make_service "$b/two"
        touch "$b/two/down"
        svlink -Dd "$b/scan" "$b/two"
        [ ! -e "$b/two/down" ]
        make_service "$b/three"
        svlink -dD "$b/scan" "$b/three"
        [ -e "$b/three/down" ]
        # s6-svlink 2.11 does the same for the service (it leaves the logger's down file)
        if command -v s6-svlink >/dev/null; then
            make_service "$b/s6"
            s6-svlink -d "$b/scan" "$b/s6"
            [ ! -e "$b/s6/down" ]
            [ "$(svstat -o up,wantedup,normallyup "$b/s6")" = "false false true" ]
        fi
        stop_scan "$b/scan"
        wait_for 10 nothing_under "$b"
    done
}

@test "svlink -P / -f: public or private event dir, enforced only with -f" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        start_scan "$b/scan" "$sc"
        for tool in svlink s6-svlink; do
            command -v "$tool" >/dev/null || continue
            d=$b/$tool
            make_service "$d-public"
            "$tool" -P "$b/scan" "$d-public"
            [ "$(stat -c %a "$d-public/event")" = 1733 ]
            # an existing event dir is left alone...
            make_service "$d-kept"
            mkdir -m 1733 "$d-kept/event"
            "$tool" "$b/scan" "$d-kept"
            [ "$(stat -c %a "$d-kept/event")" = 1733 ]
            # ...unless -f: then it gets the requested mode (and group)
            make_service "$d-forced"
            mkdir -m 1733 "$d-forced/event"
            chgrp nogroup "$d-forced/event" 2>/dev/null || chgrp 65534 "$d-forced/event"
            "$tool" -f "$b/scan" "$d-forced"
            [ "$(stat -c '%a %g' "$d-forced/event")" = "3730 $(id -g)" ]
            make_service "$d-forcedpub"
            mkdir -m 700 "$d-forcedpub/event"
            "$tool" -fP "$b/scan" "$d-forcedpub"
            [ "$(stat -c %a "$d-forcedpub/event")" = 1733 ]
        done
        stop_scan "$b/scan"
        wait_for 10 nothing_under "$b"
    done
}

@test "svlink: relative paths become absolute, NAME defaults to the basename" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        start_scan "$b/scan" "$sc"
        mkdir -p "$b/real"
        ln -s real "$b/alias"
        make_service "$b/real/one"
        make_service "$b/real/two"
        make_service "$b/real/three"
        (cd "$b" && svlink scan ./alias/../real/one)
        [ "$(readlink "$b/scan/one")" = "$b/real/one" ]
        svok "$b/real/one"
        # trailing slashes do not count; the symlink is resolved
        (cd "$b/alias" && svlink ../scan two/)
        [ "$(readlink "$b/scan/two")" = "$b/real/two" ]
        # an absolute path is kept as given
        svlink "$b/scan" "$b/alias/three" third
        [ "$(readlink "$b/scan/third")" = "$b/alias/three" ]
        svok "$b/real/three"
        if command -v s6-svlink >/dev/null; then
            make_service "$b/real/four"
            (cd "$b" && s6-svlink scan ./alias/../real/four/)
            [ "$(readlink "$b/scan/four")" = "$b/real/four" ]
        fi
        stop_scan "$b/scan"
        wait_for 10 nothing_under "$b"
    done
}

@test "svlink: names with spaces, given or taken from the directory" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        start_scan "$b/scan" "$sc"
        make_logged "$b/my svc"
        svlink "$b/scan" "$b/my svc"
        [ "$(readlink "$b/scan/my svc")" = "$b/my svc" ]
        svok "$b/my svc"
        svok "$b/my svc/log"
        make_service "$b/other"
        svlink "$b/scan" "$b/other" " a  b "
        [ "$(readlink "$b/scan/ a  b ")" = "$b/other" ]
        svok "$b/other"
        stop_scan "$b/scan"
        wait_for 10 nothing_under "$b"
    done
}

@test "svlink: a service already supervised: a warning, the link, exit 0" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        start_scan "$b/scan" "$sc"
        make_service "$b/svc"
        svlink "$b/scan" "$b/svc"
        pid=$(sv_of "$b/scan" "$b/svc")
        touch "$b/svc/down"
        expect_fail 0 "svlink: warning: supervisor already running on $b/svc" \
            svlink -d "$b/scan" "$b/svc" again
        [ "$(readlink "$b/scan/again")" = "$b/svc" ]
        # -d still removes the down file; the same supervisor goes on
        [ ! -e "$b/svc/down" ]
        [ "$(sv_of "$b/scan" "$b/svc")" = "$pid" ]
        # the same name again is fine too
        expect_fail 0 "svlink: warning: supervisor already running on $b/svc" \
            svlink "$b/scan" "$b/svc"
        if command -v s6-svlink >/dev/null; then
            expect_fail 0 "s6-svlink: warning: supervisor already running on $b/svc" \
                s6-svlink "$b/scan" "$b/svc"
        fi
        stop_scan "$b/scan"
        wait_for 10 nothing_under "$b"
    done
}

# --- timeouts and undoing ------------------------------------------------------------------

@test "svlink -t: a scanner that does not scan: 99, and nothing is left behind" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        start_scan "$b/scan" "$sc"
        kill -STOP "$(scan_pid "$b/scan")"
        for tool in svlink s6-svlink; do
            command -v "$tool" >/dev/null || continue
            d=$b/$tool
            make_logged "$d"
            start=$(now_ms)
            expect_fail 99 "$tool: fatal: unable to link servicedir $d into scandir $b/scan with name $tool: Connection timed out" \
                "$tool" -d -t 300 "$b/scan" "$d"
            [ $(( $(now_ms) - start )) -ge 300 ]
            [ ! -e "$b/scan/$tool" ]
            [ ! -L "$b/scan/$tool" ]
            [ ! -e "$d/down" ]
            no_fifo "$d"
            no_fifo "$d/log"
        done
        [ ! -e "$b/svlink/log/down" ]
        # Once the scanner goes on, it scans (the links are gone) and starts nothing: by the
        # time a later svlink returns, the earlier scans are done.
        kill -CONT "$(scan_pid "$b/scan")"
        make_service "$b/later"
        svlink -t 5000 "$b/scan" "$b/later"
        run svok "$b/svlink"
        [ "$status" -eq 1 ]
        run sv_of "$b/scan" "$b/svlink"
        [ "$status" -eq 1 ]
        stop_scan "$b/scan"
        wait_for 10 nothing_under "$b"
    done
}

@test "svlink -t: no scanner, but a lock holder and a FIFO someone reads: 99" {
    s=$T/scan
    fake_scan "$s"
    for tool in svlink s6-svlink; do
        command -v "$tool" >/dev/null || continue
        make_service "$T/$tool"
        expect_fail 99 "$tool: fatal: unable to link servicedir $T/$tool into scandir $s with name $tool: Connection timed out" \
            "$tool" -D -t 200 "$s" "$T/$tool"
        [ ! -L "$s/$tool" ]
        [ ! -e "$T/$tool/down" ]
        no_fifo "$T/$tool"
    done
    # what was written: a scan request, and keel's second one after removing the link
    run timeout 5 dd bs=64 count=1 status=none <&4
    exec 4<&-
    [[ "$output" == aa* ]]
}

@test "svlink: SIGTERM while waiting removes the FIFOs" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        start_scan "$b/scan" "$sc"
        kill -STOP "$(scan_pid "$b/scan")"
        make_logged "$b/svc"
        svlink "$b/scan" "$b/svc" 2>"$T/err" &
        pid=$!
        track_pid $pid
        wait_for 5 test -L "$b/scan/svc"
        [ -n "$(find "$b/svc/event" "$b/svc/log/event" -name 'ftrig1*')" ]
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

# --- bad input -----------------------------------------------------------------------------

@test "svlink: usage errors" {
    expect_usage svlink
    expect_usage svlink "$T"
    expect_usage svlink -t "$T" "$T/svc"
    expect_usage svlink -t 1x "$T" "$T/svc"
    expect_usage svlink -t -5 "$T" "$T/svc"
    expect_usage svlink -x "$T" "$T/svc"
    # s6-svlink ignores extra operands; keel refuses them (an unquoted name with spaces...)
    expect_usage svlink "$T" "$T/svc" my name
}

@test "svlink: bad names, empty operands" {
    both_fail 100 "invalid scandir" "" "$T/svc"
    both_fail 100 "invalid servicedir" "$T" ""
    both_fail 100 "invalid name" "$T" "$T/svc" ""
    both_fail 100 "invalid name" "$T" "$T/svc" .hidden
    both_fail 100 "invalid name" "$T" "$T/svc" /abs
    both_fail 100 "invalid name" "$T" .
    both_fail 100 "invalid name" "$T" /
    # a '/' inside: s6-svlink tries to link into a subdirectory; keel refuses the name
    expect_fail 100 "svlink: fatal: invalid name" svlink "$T" "$T/svc" a/b
    [ ! -e "$T/svc" ]
}

@test "svlink: a scan dir without a scanner" {
    make_service "$T/svc"
    both_fail 111 "unable to open $T/nowhere/.s6-svscan/lock: No such file or directory" \
        "$T/nowhere" "$T/svc"
    s=$T/scan
    mkdir -p "$s/.s6-svscan"
    : > "$s/.s6-svscan/lock"
    # s6-svlink exits 1 here; keel's exit codes are 0, 99, 100 and 111 only
    expect_fail 100 "svlink: fatal: svscan not running on $s" svlink "$s" "$T/svc"
    if command -v s6-svlink >/dev/null; then
        expect_fail 1 "s6-svlink: fatal: s6-svscan not running on $s" s6-svlink "$s" "$T/svc"
    fi
    [ ! -e "$T/svc/event" ]
    # a lock holder but no control FIFO, then a FIFO nobody reads: undone, 111
    hold_lock "$s/.s6-svscan/lock"
    both_fail 111 "unable to link servicedir $T/svc into scandir $s with name svc: No such file or directory" \
        -D "$s" "$T/svc"
    mkfifo "$s/.s6-svscan/control"
    both_fail 111 "unable to link servicedir $T/svc into scandir $s with name svc: No such device or address" \
        -D "$s" "$T/svc"
    [ ! -L "$s/svc" ]
    [ ! -e "$T/svc/down" ]
    no_fifo "$T/svc"
}

@test "svlink: bad service dirs" {
    s=$T/scan
    mkdir -p "$s/.s6-svscan"
    hold_lock "$s/.s6-svscan/lock"
    both_fail 111 "unable to stat $T/missing/run: No such file or directory" "$s" "$T/missing"
    mkdir "$T/norun"
    both_fail 111 "unable to stat $T/norun/run: No such file or directory" "$s" "$T/norun"
    make_service "$T/noexec"
    chmod 644 "$T/noexec/run"
    both_fail 100 "$T/noexec/run is not executable" "$s" "$T/noexec"
    make_service "$T/logfile"
    touch "$T/logfile/log"
    both_fail 100 "$T/logfile/log is not a directory" "$s" "$T/logfile"
    make_service "$T/lognorun"
    mkdir "$T/lognorun/log"
    both_fail 111 "unable to stat $T/lognorun/log/run: No such file or directory" "$s" "$T/lognorun"
    make_logged "$T/lognoexec"
    chmod 644 "$T/lognoexec/log/run"
    both_fail 100 "$T/lognoexec/log/run is not executable" "$s" "$T/lognoexec"
    # a logger supervised without its service (or the reverse): s6 refuses the pair
    make_logged "$T/half"
    hold_lock "$T/half/log/supervise/lock"
    run --separate-stderr svlink "$s" "$T/half"
    [ "$status" -eq 111 ]
    [ "$stderr" = "svlink: warning: supervisor already running on $T/half/log
svlink: fatal: unable to link servicedir $T/half into scandir $s with name half: Invalid argument" ]
    if command -v s6-svlink >/dev/null; then
        run --separate-stderr s6-svlink "$s" "$T/half"
        [ "$status" -eq 111 ]
        [ "$stderr" = "s6-svlink: warning: supervisor already running on $T/half/log
s6-svlink: fatal: unable to link servicedir $T/half into scandir $s with name half: Invalid argument" ]
    fi
    # an event "dir" that is not one
    make_service "$T/evfile"
    touch "$T/evfile/event"
    both_fail 111 "unable to link servicedir $T/evfile into scandir $s with name evfile: Not a directory" \
        "$s" "$T/evfile"
}

@test "svlink: NAME already in the scan dir: 111, and the service dir is left alone" {
    s=$T/scan
    mkdir -p "$s/.s6-svscan"
    hold_lock "$s/.s6-svscan/lock"
    make_service "$T/svc"
    ln -s /elsewhere "$s/svc"
    expect_fail 111 "svlink: fatal: unable to link servicedir $T/svc into scandir $s with name svc: File exists" \
        svlink -D "$s" "$T/svc"
    [ ! -e "$T/svc/down" ]
    [ ! -e "$T/svc/event" ]
    [ "$(readlink "$s/svc")" = /elsewhere ]
    # s6-svlink gives the same answer (after making the down file and the event dir)
    if command -v s6-svlink >/dev/null; then
        expect_fail 111 "s6-svlink: fatal: unable to link servicedir $T/svc into scandir $s with name svc: File exists" \
            s6-svlink -D "$s" "$T/svc"
        [ "$(readlink "$s/svc")" = /elsewhere ]
    fi
}

@test "svlink: overlong paths" {
    long=$(printf 'x%.0s' $(seq 1 5000))
    make_service "$T/svc"
    both_fail 111 "unable to open $T/$long/.s6-svscan/lock: File name too long" "$T/$long" "$T/svc"
    s=$T/scan
    mkdir -p "$s/.s6-svscan"
    hold_lock "$s/.s6-svscan/lock"
    both_fail 111 "unable to stat $T/$long/run: File name too long" "$s" "$T/$long"
    expect_fail 111 "svlink: fatal: unable to link servicedir $T/svc into scandir $s with name $long: File name too long" \
        svlink "$s" "$T/svc" "$long"
    [ ! -e "$T/svc/event" ]
}
