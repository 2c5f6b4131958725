#!/usr/bin/env bats
# background-watch: follow a self-backgrounding daemon through its pidfile, as a subreaper.

load helper

# $T/daemon PIDFILE [CODE]: a forking "daemon". The background child traps TERM (exit 3),
# logs HUP and USR1 to $T/log, and exits CODE when a line is written to $T/release; the
# parent writes the child's pid to PIDFILE and exits 0.
setup() {
    keel_setup
    mkfifo "$T/release"
    cat > "$T/daemon" <<EOF
#!/bin/sh
CODE=\${2:-0} sh -c 'trap "exit 3" TERM; trap "echo hup >> $T/log" HUP; trap "echo usr1 >> $T/log" USR1
       [ -e /proc/self/fd/5 ] && echo leaked > $T/leak
       until read x <> $T/release; do :; done; exit \$CODE' </dev/null >/dev/null 2>&1 &
echo \$! > "\$1"
exit 0
EOF
    chmod 755 "$T/daemon"
}

# watch ARGS...: run background-watch ARGS in the background; $BW is its pid.
watch() {
    background-watch "$@" 3>&- &
    BW=$!
    track_pid "$BW"
}

# daemon_up PIDFILE: the daemon's pid is in PIDFILE and background-watch adopted it.
daemon_up() {
    [ -s "$1" ] || return 1
    DAEMON=$(cat "$1")
    [ "$(ps -o ppid= -p "$DAEMON" | tr -d ' ')" = "$BW" ]
}

# finish: background-watch's exit code, in $code.
finish() {
    code=0
    wait "$BW" || code=$?
}

@test "background-watch adopts the daemon and forwards SIGTERM to it" {
    watch "$T/pid" "$T/daemon" "$T/pid" 2>"$T/err"
    wait_for 5 daemon_up "$T/pid"
    track_pid "$DAEMON"
    kill -0 "$BW"
    kill -TERM "$BW"
    finish
    [ "$code" -eq 3 ]
    [ ! -s "$T/err" ]
    ! kill -0 "$DAEMON" 2>/dev/null
}

@test "background-watch exits with the daemon's exit code" {
    watch "$T/pid" "$T/daemon" "$T/pid" 7
    wait_for 5 daemon_up "$T/pid"
    track_pid "$DAEMON"
    echo go > "$T/release"
    finish
    [ "$code" -eq 7 ]
}

@test "background-watch: a daemon killed by a signal gives 128+signal" {
    watch "$T/pid" "$T/daemon" "$T/pid"
    wait_for 5 daemon_up "$T/pid"
    track_pid "$DAEMON"
    kill -KILL "$DAEMON"
    finish
    [ "$code" -eq 137 ]
}

@test "background-watch forwards every catchable signal to the daemon" {
    watch "$T/pid" "$T/daemon" "$T/pid"
    wait_for 5 daemon_up "$T/pid"
    track_pid "$DAEMON"
    kill -HUP "$BW"
    wait_for 5 grep -qx hup "$T/log"
    kill -USR1 "$BW"
    wait_for 5 grep -qx usr1 "$T/log"
    kill -0 "$BW"
    kill -TERM "$BW"
    finish
    [ "$code" -eq 3 ]
}

@test "background-watch: a daemon that died before the pidfile was read is still reaped" {
    need_cmd perl
    # The parent must leave its dead child unreaped (a shell may reap it at any time): perl
    # forks the child, waits until it is a zombie, then exits 0, handing it over.
    cat > "$T/quick" <<EOF
#!$(command -v perl)
my \$pid = fork() // exit 1;
exit 4 if \$pid == 0;
open(my \$p, ">", "$T/pid") or exit 1; print \$p "\$pid\n"; close(\$p);
while (1) {
    open(my \$f, "<", "/proc/\$pid/stat") or exit 1;
    last if (split / /, <\$f>)[2] eq "Z";
    select(undef, undef, undef, 0.01);
}
exit 0;
EOF
    chmod 755 "$T/quick"
    run background-watch "$T/pid" "$T/quick"
    [ "$status" -eq 4 ]
}

@test "background-watch -d writes a newline on the notification fd, kept from PROG" {
    watch -d 5 "$T/pid" "$T/daemon" "$T/pid" 5>"$T/notif"
    wait_for 5 daemon_up "$T/pid"
    track_pid "$DAEMON"
    wait_for 5 test -s "$T/notif"
    [ "$(od -An -c "$T/notif" | tr -d ' ')" = '\n' ]
    [ ! -e "$T/leak" ]
    kill -TERM "$BW"
    finish
    [ "$code" -eq 3 ]
}

@test "background-watch --notification-fd= and --timeout-ready= long options" {
    watch --notification-fd=5 --timeout-ready=20000 "$T/pid" "$T/daemon" "$T/pid" 5>"$T/notif"
    wait_for 5 daemon_up "$T/pid"
    track_pid "$DAEMON"
    wait_for 5 test -s "$T/notif"
    kill -TERM "$BW"
    finish
    [ "$code" -eq 3 ]
}

@test "background-watch: the notification is not sent when the pidfile is missing" {
    run background-watch -d 5 "$T/pid" true 5>"$T/notif"
    [ "$status" -eq 104 ]
    [ ! -s "$T/notif" ]
}

@test "background-watch -t kills a parent that does not exit in time (137)" {
    start=$(now_ms)
    expect_fail 137 "background-watch: warning: sleep (parent) did not exit before timeout-ready, killing it
background-watch: fatal: sleep (parent) crashed with signal 9" background-watch -t 200 "$T/pid" sleep 1000
    elapsed=$(( $(now_ms) - start ))
    [ "$elapsed" -ge 200 ]
    [ "$elapsed" -lt 5000 ]
}

@test "background-watch: signals go to the parent until it has exited" {
    printf '#!/bin/sh\ntrap "exit 9" USR1\nwhile :; do sleep 0.02; done\n' > "$T/slow"
    chmod 755 "$T/slow"
    watch "$T/pid" "$T/slow" 2>"$T/err"
    wait_for 5 pgrep -P "$BW"
    # the trap must be set before the signal comes: wait for the shell to be in its loop
    wait_for 5 pgrep -f "sleep 0.02"
    kill -USR1 "$BW"
    finish
    [ "$code" -eq 9 ]
    [ "$(cat "$T/err")" = "background-watch: fatal: $T/slow (parent) exited 9" ]
}

@test "background-watch: the parent runs with an empty signal mask" {
    run background-watch "$T/pid" sh -c "grep '^SigBlk' /proc/self/status > '$T/mask'"
    [ "$status" -eq 104 ]
    [ "$(cat "$T/mask")" = "$(printf 'SigBlk:\t0000000000000000')" ]
}

@test "background-watch: a failing parent passes its code on and the pidfile is removed" {
    echo 1234 > "$T/pid"
    expect_fail 5 "background-watch: fatal: sh (parent) exited 5" background-watch "$T/pid" sh -c 'exit 5'
    [ ! -e "$T/pid" ]
    echo 1234 > "$T/pid"
    expect_fail 143 "background-watch: fatal: sh (parent) crashed with signal 15" background-watch "$T/pid" sh -c 'kill $$'
    [ ! -e "$T/pid" ]
}

@test "background-watch: a missing or invalid pidfile exits 104" {
    expect_fail 104 "background-watch: fatal: true (parent) exited but pidfile $T/pid does not exist" background-watch "$T/pid" true
    for bad in "" abc 0 -5 " 12" "12x" 99999999999999999999; do
        printf '%s\n' "$bad" > "$T/pid"
        expect_fail 104 "background-watch: fatal: pidfile $T/pid does not contain a valid pid" background-watch "$T/pid" true
    done
}

@test "background-watch: a pid that is not a descendant cannot be watched (111)" {
    sleep 1000 3>&- &
    track_pid $!
    disown $!
    echo $! > "$T/pid"
    expect_fail 111 "background-watch: fatal: unable to wait for daemon $!: No child processes" background-watch "$T/pid" true
}

@test "background-watch: pidfile names with spaces and newlines" {
    f="$T/my pid
file"
    watch "$f" "$T/daemon" "$f"
    wait_for 5 daemon_up "$f"
    track_pid "$DAEMON"
    kill -TERM "$BW"
    finish
    [ "$code" -eq 3 ]
    expect_fail 104 "background-watch: fatal: true (parent) exited but pidfile $f.none does not exist" background-watch "$f.none" true
}

@test "background-watch: an unreadable pidfile is a system error (111)" {
    mkdir "$T/dir"
    expect_fail 111 "background-watch: fatal: unable to read $T/dir: Is a directory" background-watch "$T/dir" true
    long=$(printf '%05000d' 0)
    expect_fail 111 "background-watch: fatal: unable to open $long: File name too long" background-watch "$long" true
}

@test "background-watch: a bad notification fd" {
    expect_fail 100 "background-watch: fatal: notification-fd cannot be 0, 1 or 2" background-watch -d 1 "$T/pid" true
    expect_fail 100 "background-watch: fatal: notification-fd cannot be 0, 1 or 2" background-watch -d 0 "$T/pid" true
    expect_fail 111 "background-watch: fatal: unable to check notification-fd: Bad file descriptor" background-watch -d 9 "$T/pid" true 9>&-
}

@test "background-watch: usage errors exit 100" {
    expect_usage background-watch
    expect_usage background-watch "$T/pid"
    expect_usage background-watch -x "$T/pid" true
    expect_usage background-watch -t
    expect_usage background-watch -t abc "$T/pid" true
    expect_usage background-watch -t -1 "$T/pid" true
    expect_usage background-watch -d x "$T/pid" true
    expect_usage background-watch --timeout-ready=x "$T/pid" true
}

@test "background-watch: spawn failures exit 127 (not found) and 126 (not executable)" {
    expect_fail 127 "background-watch: fatal: unable to spawn $T/nothere: No such file or directory" background-watch "$T/pid" "$T/nothere"
    expect_fail 127 "background-watch: fatal: unable to spawn no-such-program-keel: No such file or directory" background-watch "$T/pid" no-such-program-keel
    printf '#!/bin/sh\n' > "$T/noexec"
    expect_fail 126 "background-watch: fatal: unable to spawn $T/noexec: Permission denied" background-watch "$T/pid" "$T/noexec"
}

@test "background-watch: '--' ends the options" {
    expect_fail 104 "background-watch: fatal: true (parent) exited but pidfile -t does not exist" background-watch -- -t true
}
