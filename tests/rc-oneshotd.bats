#!/usr/bin/env bats
# rc-oneshotd: the socket and readiness, the scripts it runs (argv, RC_NAME/RC_OP, the runner's
# own environment, cwd, stdin, process group, signal state), the wait statuses and errors it
# answers, bad clients it survives, parallel requests, descriptors that do not grow, a client
# killed mid-way, SIGTERM, -1. Clients: build/test/unit/oneshotc (tests/unit/oneshotc.cc, over
# lib/rconeshot) and its raw mode for hand-made bytes. Sockets live in $T, not in /run.

load helper

ONESHOTC=$KEEL_ROOT/build/test/unit/oneshotc

setup() {
    keel_setup
    [ -x "$ONESHOTC" ] || {
        echo "missing $ONESHOTC: run make check (or make build/test/unit/oneshotc)" >&2
        return 1
    }
    mkdir -p "$T/os" "$T/run"
}

# oneshot NAME OP WORD...: the compiled script ONESHOTS/NAME/OP, each word NUL-terminated.
oneshot() {
    mkdir -p "$T/os/$1"
    local f=$T/os/$1/$2
    shift 2
    printf '%s\0' "$@" > "$f"
}

# A shell script as a oneshot: sh -c CODE.
shot() { oneshot "$1" "$2" /bin/sh -c "$3"; }

ready() { [ "$(od -An -c "$T/ready" 2>/dev/null | tr -d ' ')" = '\n' ]; }

# os_start [OPTIONS...]: rc-oneshotd -d 3 OPTIONS $T/s $T/os from $T/run, with the environment
# FOO=runner RC_NAME=stale (and PATH), stdout and stderr in $T/log; its pid in $OS_PID.
os_start() {
    (cd "$T/run" && exec env -i PATH="$PATH" FOO=runner RC_NAME=stale \
        "$KEEL_BIN/rc-oneshotd" -d 3 "$@" "$T/s" "$T/os" 3>"$T/ready" >>"$T/log" 2>&1 </dev/null) &
    OS_PID=$!
    track_pid "$OS_PID"
    wait_for 5 ready
}

os_stop() {
    kill -TERM "$OS_PID"
    wait "$OS_PID" && os_status=0 || os_status=$?
}

oc() { run --separate-stderr "$ONESHOTC" "$@"; }

# expect_reply OUTPUT ARGS...: oneshotc ARGS prints exactly OUTPUT and exits 0.
expect_reply() {
    local want=$1; shift
    oc "$@"
    if [ "$status" != 0 ] || [ "$output" != "$want" ]; then
        echo "oneshotc $*: status $status, output '$output', stderr '$stderr'; wanted '$want'" >&2
        return 1
    fi
}

fd_count() { ls "/proc/$OS_PID/fd" | wc -l; }
logged() { grep -qxF "$1" "$T/log"; }

@test "lib rconeshot: finish() on partial, refused, garbled and cut replies; start() checks; run_oneshot deadline" {
    expect_reply ok selftest "$T"
}

@test "rc-oneshotd: bad usage exits 100 with the usage line" {
    expect_usage rc-oneshotd
    expect_usage rc-oneshotd "$T/s"
    expect_usage rc-oneshotd "$T/s" "$T/os" extra
    expect_usage rc-oneshotd -x "$T/s" "$T/os"
    expect_usage rc-oneshotd -d x "$T/s" "$T/os"
    expect_fail 100 "rc-oneshotd: fatal: notification fd must be 3 or more" \
        rc-oneshotd -d 1 "$T/s" "$T/os"
    expect_fail 100 "rc-oneshotd: fatal: invalid notification fd: Bad file descriptor" \
        rc-oneshotd -d 99 "$T/s" "$T/os"
    [ ! -e "$T/s" ]
}

@test "rc-oneshotd: a path that is not a socket is left alone, a missing dir fails (111)" {
    echo keep > "$T/s"
    expect_fail 111 "rc-oneshotd: fatal: $T/s exists and is not a socket" rc-oneshotd "$T/s" "$T/os"
    [ "$(cat "$T/s")" = keep ]
    expect_fail 111 "rc-oneshotd: fatal: unable to listen on $T/nodir/s: No such file or directory" \
        rc-oneshotd "$T/nodir/s" "$T/os"
}

@test "rc-oneshotd: socket 0600 (stale one replaced, umask ignored), readiness, SIGTERM exits 0 and removes it" {
    python3 -c "import socket; socket.socket(socket.AF_UNIX).bind('$T/s')"
    [ "$(stat -c %F "$T/s")" = socket ]
    umask 0
    os_start
    [ "$(stat -c '%F %a' "$T/s")" = "socket 600" ]
    [ ! -e "/proc/$OS_PID/fd/3" ]       # the notification descriptor is closed
    mkdir "$T/os/x"
    expect_reply "exit 0" run "$T/s" u x
    os_stop
    [ "$os_status" = 0 ]
    [ ! -e "$T/s" ]
}

@test "rc-oneshotd: up, down and reload run with RC_NAME, RC_OP, their argv, cwd, stdin /dev/null, own process group" {
    local code='printf "%s|" "$RC_NAME" "$RC_OP" "$0" "$1" "$(pwd)" "$(readlink /proc/self/fd/0)"
read -r _ _ _ _ pg _ < /proc/$$/stat; [ "$pg" = $$ ] && echo own-group; echo err >&2'
    oneshot web up /bin/sh -c "$code" 'arg zero' 'arg  one'
    oneshot web down /bin/sh -c "$code" d1 d2
    oneshot web reload /bin/sh -c "$code" r1 ''
    os_start
    expect_reply "exit 0" run "$T/s" u web
    expect_reply "exit 0" run "$T/s" d web
    expect_reply "exit 0" run "$T/s" r web
    # stdout and stderr are the runner's own (here both $T/log).
    [ "$(cat "$T/log")" = "web|up|arg zero|arg  one|$T/run|/dev/null|own-group
err
web|down|d1|d2|$T/run|/dev/null|own-group
err
web|reload|r1||$T/run|/dev/null|own-group
err" ]
}

@test "rc-oneshotd: exit codes and signals come back as raw wait statuses" {
    shot a up 'exit 3'
    shot a down 'exit 255'
    shot a reload 'kill -KILL $$'
    shot b up 'kill -TERM $$'
    shot b down 'true'
    os_start
    expect_reply "exit 3" run "$T/s" u a
    expect_reply "exit 255" run "$T/s" d a
    expect_reply "signal 9" run "$T/s" r a
    expect_reply "signal 15" run "$T/s" u b
    expect_reply "exit 0" run "$T/s" d b
    # The bytes themselves: "krc1", 'x', the wait status big-endian (exit 3 = 0x0300).
    oc raw "$T/s" 6b726331750000000161
    [ "$output" = "exit 3" ]
    run python3 -c "
import socket; s = socket.socket(socket.AF_UNIX); s.connect('$T/s')
s.sendall(b'krc1r\0\0\0\x01a'); print(s.recv(64).hex(), s.recv(64).hex() or 'eof')"
    [ "$output" = "6b7263317800000009 eof" ]
}

@test "rc-oneshotd: the script sees the runner's environment, never the client's" {
    oneshot e up /usr/bin/env
    os_start
    BAR=client expect_reply "exit 0" run "$T/s" u e
    run sort "$T/log"
    [ "$output" = "FOO=runner
PATH=$PATH
RC_NAME=e
RC_OP=up" ]
}

@test "rc-oneshotd: signal mask empty, ignored signals reset in the script" {
    oneshot sig up /bin/grep -E '^Sig(Blk|Ign)' /proc/self/status
    (trap '' HUP USR1; os_start)
    OS_PID=$(cat "$T/pids" | tail -1)
    expect_reply "exit 0" run "$T/s" u sig
    [ "$(cat "$T/log")" = $'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000' ]
}

@test "rc-oneshotd: no script file or an empty one is success; a missing oneshot or a bad file is an error" {
    mkdir -p "$T/os/bare"
    : > "$T/os/empty-file"
    mkdir "$T/os/empty"
    : > "$T/os/empty/up"
    printf '/bin/true' > "$T/os/nonul-file"; mkdir "$T/os/nonul"; mv "$T/os/nonul-file" "$T/os/nonul/up"
    oneshot noexec up /nonexistent/program
    oneshot noperm up "$T/os/empty-file"
    os_start
    expect_reply "exit 0" run "$T/s" u bare
    expect_reply "exit 0" run "$T/s" d bare
    expect_reply "exit 0" run "$T/s" r bare
    expect_reply "exit 0" run "$T/s" u empty
    expect_reply "error No such file or directory" run "$T/s" u nosuch
    logged "rc-oneshotd: warning: unable to run nosuch up: No such file or directory"
    expect_reply "error Not a directory" run "$T/s" d empty-file
    logged "rc-oneshotd: warning: unable to run empty-file down: Not a directory"
    expect_reply "error Invalid argument" run "$T/s" u nonul
    logged "rc-oneshotd: warning: unable to run nonul up: Invalid argument"
    expect_reply "exit 127" run "$T/s" u noexec
    logged "rc-oneshotd: warning: unable to run noexec up: unable to exec /nonexistent/program: No such file or directory"
    expect_reply "exit 126" run "$T/s" u noperm
    logged "rc-oneshotd: warning: unable to run noperm up: unable to exec $T/os/empty-file: Permission denied"
    [ "$(wc -l < "$T/log")" = 5 ]
}

@test "rc-oneshotd: bad names and garbage are refused, each with a warning, and the next client is served" {
    shot ok up 'exit 7'
    os_start
    local base
    base=$(fd_count)
    # raw HEX [shut], expected reply, expected warning
    bad() {
        oc raw "$T/s" "$1" ${4:-}
        [ "$status" = 0 ] && [ "$output" = "$2" ] || { echo "$1: '$output' ($stderr)"; return 1; }
        wait_for 5 logged "rc-oneshotd: warning: dropping client: $3"
        expect_reply "exit 7" run "$T/s" u ok
        : > "$T/log"
    }
    local m=6b726331 malformed='malformed request' name='invalid oneshot name'
    bad 58524331750000000161 "error Protocol error" "$malformed"           # bad magic
    bad ${m}780000000161 "error Protocol error" "$malformed"               # unknown op
    bad ${m}000000000161 "error Protocol error" "$malformed"               # NUL op
    bad ${m}7500000000 "error Invalid argument" "$name"                    # empty name
    bad ${m}7500001000 "error Invalid argument" "$name"                    # 4096 bytes
    bad ${m}75ffffffff "error Invalid argument" "$name"                    # 4 GiB
    bad ${m}75000000012e "error Invalid argument" "$name"                  # .
    bad ${m}75000000022e2e "error Invalid argument" "$name"                # ..
    bad ${m}7500000003612f62 "error Invalid argument" "$name"              # a/b
    bad ${m}7500000003610062 "error Invalid argument" "$name"              # a NUL b
    bad ${m}75000000 "error Protocol error" 'incomplete request' shut      # short header
    bad ${m}7500000005616263 "error Protocol error" 'incomplete request' shut # short name
    bad "" "error Protocol error" "incomplete request" shut                # nothing at all
    [ "$(fd_count)" = "$base" ]
    # A 4095-byte name is valid (there is no such oneshot).
    oc raw "$T/s" "${m}7500000fff$(printf '61%.0s' $(seq 4095))"
    [ "$output" = "error File name too long" ]
}

@test "rc-oneshotd: a client too slow to send its request is dropped after 10 s" {
    shot ok up 'exit 7'
    os_start
    local base
    base=$(fd_count)
    "$ONESHOTC" raw "$T/s" 6b726331 > "$T/client.out" &
    local client=$!
    track_pid "$client"
    # Meanwhile, others are served.
    expect_reply "exit 7" run "$T/s" u ok
    wait_for 20 logged "rc-oneshotd: warning: dropping client: too slow to send its request"
    wait "$client"
    [ "$(cat "$T/client.out")" = closed ]
    [ "$(fd_count)" = "$base" ]
}

@test "rc-oneshotd: requests run in parallel" {
    # Each script waits until all eight have started: served one at a time, they would
    # never all start, and each would give up with 99.
    local i names=()
    for i in 1 2 3 4 5 6 7 8; do
        shot "p$i" up "touch $T/started.$i
for n in \$(seq 500); do [ \$(ls $T/started.* | wc -l) = 8 ] && exit $i; sleep 0.02; done; exit 99"
        names+=("p$i")
    done
    os_start
    oc par "$T/s" u "${names[@]}" nosuch p1
    [ "$status" = 0 ]
    [ "$output" = "p1 exit 1
p2 exit 2
p3 exit 3
p4 exit 4
p5 exit 5
p6 exit 6
p7 exit 7
p8 exit 8
nosuch error No such file or directory
p1 exit 1" ] || { echo "$output"; false; }
}

@test "rc-oneshotd: no descriptor growth over many requests, good and bad" {
    oneshot t up /bin/true
    mkdir "$T/os/none"
    os_start
    local base
    base=$(fd_count)
    expect_reply "300 runs" many "$T/s" u t 300
    expect_reply "300 runs" many "$T/s" d none 300
    for i in $(seq 20); do
        oc raw "$T/s" 6b72633175000000022f61
        oc run "$T/s" u missing
    done
    expect_reply "exit 0" run "$T/s" u t
    [ "$(fd_count)" = "$base" ]
    kill -0 "$OS_PID"
}

@test "rc-oneshotd: a client killed mid-way: the script runs to its end, the server carries on" {
    shot slow up "touch $T/started; while [ ! -e $T/go ]; do sleep 0.02; done; touch $T/done"
    shot fast up 'exit 5'
    os_start
    local base
    base=$(fd_count)
    "$ONESHOTC" run "$T/s" u slow > "$T/client.out" &
    local client=$!
    track_pid "$client"
    wait_for 10 test -e "$T/started"
    kill -9 "$client"
    wait "$client" || true
    expect_reply "exit 5" run "$T/s" u fast
    touch "$T/go"
    wait_for 10 test -e "$T/done"
    wait_for 10 eval '[ "$(fd_count)" = "$base" ]'
    [ ! -s "$T/client.out" ]
    [ ! -s "$T/log" ]
    expect_reply "exit 5" run "$T/s" u fast
}

@test "rc-oneshotd: SIGTERM exits 0 at once; a running script is left to finish" {
    shot slow up "touch $T/started; while [ ! -e $T/go ]; do sleep 0.02; done; touch $T/done"
    os_start
    "$ONESHOTC" run "$T/s" u slow > "$T/client.out" &
    local client=$!
    track_pid "$client"
    wait_for 10 test -e "$T/started"
    os_stop
    [ "$os_status" = 0 ]
    [ ! -e "$T/s" ]
    wait "$client"
    [ "$(cat "$T/client.out")" = "error Broken pipe" ]
    touch "$T/go"
    wait_for 10 test -e "$T/done"
    [ ! -s "$T/log" ]
}

@test "rc-oneshotd: -1 serves one request, then exits 0" {
    shot a up 'exit 4'
    os_start -1
    expect_reply "exit 4" run "$T/s" u a
    wait "$OS_PID" && st=0 || st=$?
    [ "$st" = 0 ]
    [ ! -e "$T/s" ]
}
