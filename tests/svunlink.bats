#!/usr/bin/env bats
# svunlink: removes a service from a running scanner's scan dir and returns once the
# supervisors of the service and of its logger have exited (the logger after draining its
# input), -X (no wait), -t (gives up, still 0), no FIFO ever left in event/; bad input gives
# s6-svunlink's messages. Every scanner test runs against each scanner (keel's svscan when
# built, s6-svscan when installed), and s6-svunlink must have the same effect.

load helper

TOOL=svunlink

# --- local helpers (the same in tests/svlink.bats) -----------------------------------------

setup() {
    keel_setup
    # Every process a test starts (scanner, supervisors, services) carries this mark, so that
    # teardown finds them all even if the test failed half-way.
    export KEEL_SV_TEST=$T
}

marked() { grep -lzx "KEEL_SV_TEST=$T" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3; }

teardown() {
    local round p
    # Freeze first, so that no scanner or supervisor can start anything while we kill.
    for round in 1 2; do
        for p in $(marked); do kill -STOP "$p" 2>/dev/null || true; done
        for p in $(marked); do kill -9 "$p" 2>/dev/null || true; done
    done
    keel_teardown
}

st_pid() { od -An -tu8 -j24 -N8 --endian=big "$1/supervise/status" 2>/dev/null | tr -d ' '; }
st_flags() { od -An -tu1 -j34 -N1 "$1/supervise/status" 2>/dev/null | tr -d ' '; }
is_up() { local p f; p=$(st_pid "$1"); f=$(st_flags "$1"); [ "${p:-0}" != 0 ] && (( (f & 2) == 0 )); }

# The scanners: keel's svscan when built, and s6-svscan when installed.
scanners() {
    [ -x "$KEEL_BIN/svscan" ] && echo "$KEEL_BIN/svscan"
    command -v s6-svscan 2>/dev/null || true
}

# dead PID: the process has exited (gone, or a zombie nobody reaped yet).
dead() { [ ! -d "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# reads_control PID SCANDIR: the scanner has its control FIFO open.
reads_control() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q -- " -> $2/.s6-svscan/control\$"; }

# start_scan SCANNER SCANDIR: runs SCANNER on SCANDIR (pid in SCANDIR.pid, output in
# SCANDIR.log) and waits until it listens on its control FIFO.
start_scan() {
    local sc=$1 dir=$2 pid
    mkdir -p "$dir"
    "$sc" "$dir" </dev/null >>"$dir.log" 2>&1 3>&- &
    pid=$!
    track_pid "$pid"
    echo "$pid" > "$dir.pid"
    wait_for 5 reads_control "$pid" "$dir"
}
scan_pid() { cat "$1.pid"; }

# sv_of SCANDIR DIR: the pid of the scanner's child that supervises DIR (its working dir).
sv_of() {
    local k
    for k in $(ps -o pid= --ppid "$(scan_pid "$1")"); do
        [ "$(readlink "/proc/$k/cwd")" = "$2" ] && { echo "$k"; return 0; }
    done
    return 1
}

# stop_scan SCANDIR: tells the scanner to stop the tree (t), and waits until it, its
# supervisors and every service they ran have exited.
stop_scan() {
    local dir=$1 pid kids k s p
    pid=$(scan_pid "$dir")
    kill -CONT "$pid"
    kids=$(ps -o pid= --ppid "$pid" || true)
    timeout 5 sh -c 'printf t > "$1/.s6-svscan/control"' sh "$dir" &&
        wait_for 10 dead "$pid" || {
        echo "the scanner on $dir did not stop; its output:"; cat "$dir.log"; false
    } >&2
    for k in $kids; do wait_for 10 dead "$k"; done
    for s in $(find "$T" -path '*/supervise/status'); do
        p=$(st_pid "${s%/supervise/status}")
        [ "${p:-0}" = 0 ] || wait_for 10 dead "$p"
    done
}

# logged DIR: a service dir whose logger drains its input.
logged() {
    make_service "$1"
    make_service "$1/log" 'exec cat >/dev/null'
}

# no_fifo DIR: nobody is subscribed to DIR/event any more.
no_fifo() { [ -z "$(find "$1/event" -name 'ftrig1*' 2>/dev/null)" ]; }

# hold_lock FILE: a process holds the POSIX lock on FILE (as a running scanner or supervisor
# would) until the test ends.
hold_lock() {
    mkdir -p "$(dirname "$1")"
    setlock "$1" sleep 100000 </dev/null >/dev/null 2>&1 3>&- &
    track_pid $!
    wait_for 5 grep -q " $! " /proc/locks
}

# both CODE 'MESSAGE' ARGS...: the tool under test ($TOOL), then its s6 twin when installed,
# exit CODE and print "PROG: fatal: MESSAGE".
both() {
    local code=$1 msg=$2; shift 2
    expect_fail "$code" "$TOOL: fatal: $msg" "$TOOL" "$@"
    if command -v "s6-$TOOL" >/dev/null; then
        expect_fail "$code" "s6-$TOOL: fatal: $msg" "s6-$TOOL" "$@"
    fi
}

# put_in SCANDIR DIR NAME: links DIR into the scan dir by hand and waits for its supervisors.
put_in() {
    ln -s "$2" "$1/$3"
    timeout 5 sh -c 'printf a > "$1/.s6-svscan/control"' sh "$1"
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

# fake_scan DIR: a scan dir with no scanner, but a lock holder and a control FIFO that the
# test keeps open on fd 4, so that writing to it succeeds.
fake_scan() {
    mkdir -p "$1/.s6-svscan"
    hold_lock "$1/.s6-svscan/lock"
    mkfifo "$1/.s6-svscan/control"
    exec 4<>"$1/.s6-svscan/control"
}

# --- unlinking -----------------------------------------------------------------------------

@test "svunlink: stops the supervisors of the service and its logger, and waits for both" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        start_scan "$sc" "$b/scan"
        talker "$b/svc"
        put_in "$b/scan" "$b/svc" svc
        wait_for 5 grep -qx hello "$b/svc/logged"
        sv=$(sv_of "$b/scan" "$b/svc")
        lg=$(sv_of "$b/scan" "$b/svc/log")
        svcpid=$(st_pid "$b/svc")
        logpid=$(st_pid "$b/svc/log")
        # While the scanner is stopped, nobody stops the supervisors: svunlink must wait.
        kill -STOP "$(scan_pid "$b/scan")"
        svunlink "$b/scan" svc >"$T/out" 2>&1 &
        pid=$!
        track_pid $pid
        wait_for 5 eval "[ ! -L '$b/scan/svc' ]"
        [ -n "$(find "$b/svc/event" -name 'ftrig1*')" ]
        [ -n "$(find "$b/svc/log/event" -name 'ftrig1*')" ]
        run dead $pid
        [ "$status" -eq 1 ]
        kill -CONT "$(scan_pid "$b/scan")"
        wait $pid
        [ ! -s "$T/out" ]
        # both supervisors sent their last event (x): the service and the logger are gone
        dead "$svcpid"
        dead "$logpid"
        wait_for 5 dead "$sv"
        wait_for 5 dead "$lg"
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
            svcpid=$(st_pid "$b/s6")
            s6-svunlink "$b/scan" s6
            [ ! -L "$b/scan/s6" ]
            dead "$svcpid"
            wait_for 5 dead "$sv"
        fi
        stop_scan "$b/scan"
    done
}

@test "svunlink -X: returns at once; the supervisors exit all the same" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        start_scan "$sc" "$b/scan"
        for tool in svunlink s6-svunlink; do
            command -v "$tool" >/dev/null || continue
            d=$b/$tool
            logged "$d"
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
            wait_for 5 dead "$sv"
            wait_for 5 dead "$lg"
        done
        stop_scan "$b/scan"
    done
}

@test "svunlink -t: gives up after the timeout, still exits 0, leaves no FIFO" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        start_scan "$sc" "$b/scan"
        for tool in svunlink s6-svunlink; do
            command -v "$tool" >/dev/null || continue
            d=$b/$tool
            logged "$d"
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
            wait_for 5 dead "$sv"
        done
        # (s6-svunlink 2.11 leaves its FIFOs behind)
        no_fifo "$b/svunlink"
        no_fifo "$b/svunlink/log"
        stop_scan "$b/scan"
    done
}

@test "svunlink: SIGTERM while waiting removes the FIFOs" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        start_scan "$sc" "$b/scan"
        logged "$b/svc"
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
        stop_scan "$b/scan"
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
    both 111 "unable to prepare unlinking of service logfile in scandir $s: Not a directory" \
        "$s" logfile
    [ -L "$s/logfile" ]
    # a logger supervised without its service: s6 refuses the pair
    logged "$T/half"
    hold_lock "$T/half/log/supervise/lock"
    ln -s "$T/half" "$s/half"
    both 111 "unable to prepare unlinking of service half in scandir $s: Invalid argument" \
        "$s" half
    [ -L "$s/half" ]
    # a file, not a service dir
    touch "$s/file"
    both 111 "unable to prepare unlinking of service file in scandir $s: Not a directory" \
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
    both 100 "invalid service name" "$T" ""
    both 100 "invalid service name" "$T" .hidden
    both 100 "invalid service name" "$T" /abs
    # a '/' inside: s6-svunlink would remove a file inside a service dir; keel refuses
    mkdir -p "$T/svc"
    touch "$T/svc/file"
    expect_fail 100 "svunlink: fatal: invalid service name" svunlink "$T" svc/file
    [ -e "$T/svc/file" ]
    expect_fail 100 "svunlink: fatal: invalid scandir" svunlink "" svc
}

@test "svunlink: overlong names" {
    long=$(printf 'x%.0s' $(seq 1 5000))
    both 111 "unable to prepare unlinking of service $long in scandir $T: File name too long" \
        "$T" "$long"
}
