#!/usr/bin/env bats
# init-runleveld: the socket it makes, the requests it serves (with init-telinit and a raw
# python client), every kind of bad client it must survive without leaking descriptors,
# timeouts, SIGTERM, and bad usage. Runs in private mount namespaces (tests/runlevel.bash).

load helper
load runlevel

setup() {
    keel_setup
    need_root
    rl_basedir "$T/base"
}

@test "init-runleveld: bad usage exits 100 with the usage line" {
    expect_usage init-runleveld
    expect_usage init-runleveld -x "$T/s"
    expect_usage init-runleveld "$T/s" extra
    expect_usage init-runleveld -t abc "$T/s"
    expect_usage init-runleveld -t -1 "$T/s"
    expect_usage init-runleveld -d x "$T/s"
    expect_fail 100 "init-runleveld: fatal: notification fd must be 3 or more" \
        init-runleveld -d 1 "$T/s"
    expect_fail 100 "init-runleveld: fatal: invalid notification fd: Bad file descriptor" \
        init-runleveld -d 99 "$T/s"
    expect_fail 100 "init-runleveld: fatal: basedir must be an absolute path" \
        init-runleveld -c rel "$T/s"
    [ ! -e "$T/s" ]
}

@test "init-runleveld: a path that is not a socket is left alone (111)" {
    echo keep > "$T/s"
    expect_fail 111 "init-runleveld: fatal: $T/s exists and is not a socket" init-runleveld "$T/s"
    [ "$(cat "$T/s")" = keep ]
    expect_fail 111 "init-runleveld: fatal: unable to listen on $T/nodir/s: No such file or directory" \
        init-runleveld "$T/nodir/s"
}

@test "init-runleveld: socket mode 0700, readiness newline on notif, SIGTERM exits 0 and removes the socket" {
    RL_PRE="sleep 1000 & echo \$! > $T/holder" rl_start "$T/rl" -c "$T/base"
    track_pid "$(cat "$T/holder")"
    run rl_in "$T/rl" stat -c '%F %a %U' "$RL_SOCK"
    [ "$output" = "socket 700 root" ]
    [ "$(stat -c %s "$T/rl.ready")" = 1 ]
    # The notification descriptor was closed after the newline.
    [ ! -e "/proc/$(rl_pid "$T/rl")/fd/3" ]
    rl_stop "$T/rl"
    [ "$rl_status" = 0 ]
    [ ! -s "$T/rl.log" ]
    # The namespace lives on in the holder: the socket is gone from it.
    run nsenter -t "$(cat "$T/holder")" -m -- ls -A "$RL_DIR"
    [ "$status" = 0 ]
    [ "$output" = "" ]
}

@test "init-runleveld: a stale socket is replaced, the umask does not widen the mode" {
    RL_PRE="umask 0; python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind(\"$RL_SOCK\")'; \
stat -c %F $RL_SOCK > $T/stale" rl_start "$T/rl" -c "$T/base"
    [ "$(cat "$T/stale")" = socket ]
    run rl_in "$T/rl" stat -c %a "$RL_SOCK"
    [ "$output" = 700 ]
    run --separate-stderr rl_client "$T/rl" good
    [ "$output" = $'out 3\n00000000' ]
}

@test "init-runleveld: runs BASEDIR/scripts/runlevel RL with the client's fds and environment, answers the wait status" {
    rl_start "$T/rl" -c "$T/base"
    run --separate-stderr rl_in "$T/rl" env -i CODE=3 A="x y" "$KEEL_BIN/init-telinit" 5 <<< "in-data"
    [ "$status" = 3 ]
    [ "$output" = "out 5" ]
    [ "$stderr" = "err 5" ]
    [ "$(cat "$T/base/args")" = 5 ]
    [ "$(cat "$T/base/in")" = in-data ]
    grep -qx 'A=x y' "$T/base/env"
    grep -qx 'CODE=3' "$T/base/env"
    ! grep -q '^KEEL_BINDIR=' "$T/base/env"
    # The raw answer: 4 bytes, big-endian wait status (exit 0 here), after the script's output
    # on the client's own stdout.
    B=2 run --separate-stderr rl_client "$T/rl" good
    [ "$output" = $'out 3\n00000000' ]
    [ "$stderr" = "err 3" ]
    [ "$(cat "$T/base/args")" = 3 ]
    grep -qx 'B=2' "$T/base/env"
    # Exit 3 is the wait status 0x0300; SIGKILL is 9.
    CODE=3 run --separate-stderr rl_client "$T/rl" good
    [ "$output" = $'out 3\n00000300' ]
    RL_EXTRA='kill -9 $$' run --separate-stderr rl_client "$T/rl" good
    [ "$output" = $'out 3\n00000009' ]
    [ ! -s "$T/rl.log" ]
}

@test "init-runleveld: a missing script is answered 127 and logged" {
    rl_start "$T/rl" -c "$T/nothing"
    run -127 --separate-stderr rl_in "$T/rl" init-telinit 3 < /dev/null
    [ "$stderr" = "" ]
    rl_logged "$T/rl" "init-runleveld: warning: unable to spawn $T/nothing/scripts/runlevel: No such file or directory"
}

# Every bad client gets dropped with its own warning; the next good client is served.
bad_client() {
    run rl_client "$T/rl" "$1"
    [ "$output" = closed ] || { echo "$1: $output"; return 1; }
    wait_for 5 rl_logged "$T/rl" "init-runleveld: warning: dropping client: $2"
    run rl_in "$T/rl" init-telinit 3 < /dev/null
    [ "$status" = 0 ] || { echo "after $1: telinit $status"; return 1; }
    : > "$T/rl.log"
}

@test "init-runleveld: survives garbage clients and serves the next one" {
    rl_start "$T/rl" -c "$T/base"
    local fds='client did not pass exactly three descriptors'
    bad_client random "$fds"
    bad_client nofds "$fds"
    bad_client twofds "$fds"
    bad_client extrafds "$fds"
    bad_client short 'client closed the connection before its request was complete'
    bad_client huge 'client request exceeds the size limits'
    bad_client hugeenv 'client request exceeds the size limits'
    bad_client nonul 'malformed client request'
    bad_client innernul 'malformed client request'
    bad_client emptyrl 'malformed client request'
    bad_client badenv 'malformed client request'
    bad_client envnonul 'malformed client request'
    kill -0 "$(rl_pid "$T/rl")"
}

# One descriptor more than before: the client's connection.
connected() { [ "$(fd_count "$1")" -gt "$2" ]; }

@test "init-runleveld: a client that sends nothing is dropped after 10 s; the next one waits its turn" {
    rl_start "$T/rl" -c "$T/base"
    local pid n
    pid=$(rl_pid "$T/rl")
    n=$(fd_count "$pid")
    rl_client "$T/rl" idle > "$T/idle.out" &
    track_pid $!
    wait_for 5 connected "$pid" "$n"
    run rl_in "$T/rl" init-telinit 4 < /dev/null
    [ "$status" = 0 ]
    [ "$(cat "$T/base/args")" = 4 ]
    rl_logged "$T/rl" "init-runleveld: warning: dropping client: client too slow to send its request"
}

@test "init-runleveld: no descriptor leaks after many clients, good and bad" {
    rl_start "$T/rl" -c "$T/base"
    local pid before i
    pid=$(rl_pid "$T/rl")
    before=$(fd_count "$pid")
    for i in $(seq 8); do
        rl_in "$T/rl" init-telinit 2 < /dev/null > /dev/null 2>&1
        CODE=1 rl_in "$T/rl" init-telinit 2 < /dev/null > /dev/null 2>&1 || true
        for m in random extrafds short badenv; do rl_client "$T/rl" "$m" > /dev/null; done
    done
    [ "$(fd_count "$pid")" = "$before" ]
    [ "$(grep -c 'dropping client' "$T/rl.log")" = 32 ]
    # No zombie scripts left either.
    [ -z "$(pgrep -P "$pid")" ]
}

@test "init-runleveld: -t kills a script that runs too long (SIGTERM, then SIGKILL)" {
    rl_start "$T/rl" -c "$T/base" -t 300
    RL_EXTRA='sleep 99.5' run --separate-stderr rl_in "$T/rl" init-telinit 3 < /dev/null
    [ "$status" = 143 ]
    [ "$stderr" = $'err 3\ninit-telinit: fatal: runlevel script killed by signal SIGTERM' ]
    rl_logged "$T/rl" "init-runleveld: warning: $T/base/scripts/runlevel 3 timed out after 300 ms: killing it"
    # Its whole process group goes: the sleep is gone too.
    ! pgrep -f 'sleep 99.5' | grep -q .
    RL_EXTRA="trap '' TERM; sleep 99.5 & wait" run rl_in "$T/rl" init-telinit 3 < /dev/null
    [ "$status" = 137 ]
}
