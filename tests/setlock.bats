#!/usr/bin/env bats
# setlock: a POSIX fcntl lock on the whole file, held by the exec'd program's process.

load helper

# held PID [READ|WRITE]: PID holds a granted POSIX lock (of that type) according to /proc/locks.
held() { grep -Eq "^[0-9]+: POSIX +ADVISORY +${2:-(READ|WRITE)} +$1 " /proc/locks; }
# waiting PID: PID is blocked waiting for a POSIX lock.
waiting() { grep -Eq "^[0-9]+: -> POSIX +ADVISORY +(READ|WRITE) +$1 " /proc/locks; }

# hold [OPTIONS] FILE: lock FILE from a background setlock until teardown; $HOLDER is its pid.
hold() {
    setlock "$@" sleep 1000 >/dev/null 2>&1 3>&- &
    HOLDER=$!
    track_pid "$HOLDER"
    disown "$HOLDER" # no "Killed" notice when teardown kills it
    wait_for 5 held "$HOLDER"
}

# hold_until_fifo [OPTIONS] FILE: like hold, released by writing a line to $T/release.
hold_until_fifo() {
    [ -p "$T/release" ] || mkfifo "$T/release"
    setlock "$@" sh -c "read x < '$T/release'" >/dev/null 2>&1 3>&- &
    HOLDER=$!
    track_pid "$HOLDER"
    disown "$HOLDER" # no "Killed" notice when teardown kills it
    wait_for 5 held "$HOLDER"
}

@test "setlock: an exclusive POSIX lock, held by the program it execs" {
    run setlock "$T/lock" sh -c 'grep -E "^[0-9]+: POSIX +ADVISORY +WRITE +$$ " /proc/locks'
    [ "$status" -eq 0 ]
    [ -n "$output" ]
    # the lock ends with the program
    run setlock -n "$T/lock" true
    [ "$status" -eq 0 ]
}

@test "setlock: the lock file is created with mode 0666 minus the umask" {
    (umask 022; setlock "$T/lock" true)
    [ "$(stat -c %a "$T/lock")" = 644 ]
    (umask 077; setlock -r "$T/lock2" true)
    [ "$(stat -c %a "$T/lock2")" = 600 ]
    [ ! -s "$T/lock2" ]
}

@test "setlock -r takes a shared lock, shown as READ" {
    run setlock -r "$T/lock" sh -c 'grep -E "^[0-9]+: POSIX +ADVISORY +READ +$$ " /proc/locks'
    [ "$status" -eq 0 ]
    [ -n "$output" ]
}

@test "setlock: the program's exit code and arguments pass through" {
    run setlock "$T/lock" sh -c 'echo "$1|$2"; exit 7' sh "a b" c
    [ "$status" -eq 7 ]
    [ "$output" = "a b|c" ]
}

@test "setlock -n on a held lock exits 1 at once" {
    hold "$T/lock"
    start=$(now_ms)
    expect_fail 1 "setlock: fatal: unable to lock $T/lock: Device or resource busy" setlock -n "$T/lock" true
    [ $(( $(now_ms) - start )) -lt 2000 ]
    # -t gives way to -n, in either order
    expect_fail 1 "setlock: fatal: unable to lock $T/lock: Device or resource busy" setlock -n -t 100000 "$T/lock" true
    expect_fail 1 "setlock: fatal: unable to lock $T/lock: Device or resource busy" setlock -t 100000 -n "$T/lock" true
}

@test "setlock -t gives up after the timeout" {
    hold "$T/lock"
    start=$(now_ms)
    expect_fail 1 "setlock: fatal: lock $T/lock: timed out" setlock -t 200 "$T/lock" true
    elapsed=$(( $(now_ms) - start ))
    [ "$elapsed" -ge 200 ]
    [ "$elapsed" -lt 5000 ]
}

@test "setlock -t gets a lock released before the timeout" {
    hold_until_fifo "$T/lock"
    setlock -t 20000 "$T/lock" grep -E '^Sig(Blk|Ign)' /proc/self/status > "$T/out" 3>&- &
    waiter=$!
    track_pid "$waiter"
    wait_for 5 waiting "$waiter"
    [ ! -s "$T/out" ]
    echo go > "$T/release"
    wait "$waiter"
    # the timer's SIGALRM handling is gone: nothing blocked, SIGALRM not ignored
    [ "$(sed -n 1p "$T/out")" = "$(printf 'SigBlk:\t0000000000000000')" ]
    ign=$(sed -n '2s/^SigIgn:.//p' "$T/out")
    (( (0x$ign & 0x2000) == 0 ))
}

@test "setlock -N (the default) waits for the holder to exit" {
    for opt in -N "" "-n -N"; do
        rm -f "$T/out"
        hold "$T/lock"
        # shellcheck disable=SC2086
        setlock $opt "$T/lock" sh -c "echo got > '$T/out'" 3>&- &
        waiter=$!
        track_pid "$waiter"
        wait_for 5 waiting "$waiter"
        [ ! -e "$T/out" ]
        kill "$HOLDER"
        wait "$waiter"
        [ "$(cat "$T/out")" = got ]
    done
}

@test "setlock: shared locks coexist, exclusive ones exclude them" {
    hold -r "$T/lock"
    run setlock -r -n "$T/lock" true
    [ "$status" -eq 0 ]
    expect_fail 1 "setlock: fatal: unable to lock $T/lock: Device or resource busy" setlock -n "$T/lock" true
    expect_fail 1 "setlock: fatal: unable to lock $T/lock: Device or resource busy" setlock -w -n "$T/lock" true
    # -w after -r wins
    expect_fail 1 "setlock: fatal: unable to lock $T/lock: Device or resource busy" setlock -r -w -n "$T/lock" true
}

@test "setlock: an exclusive lock excludes shared ones" {
    hold "$T/lock"
    expect_fail 1 "setlock: fatal: unable to lock $T/lock: Device or resource busy" setlock -r -n "$T/lock" true
    # -r after -w wins
    expect_fail 1 "setlock: fatal: lock $T/lock: timed out" setlock -w -r -t 50 "$T/lock" true
}

@test "setlock: the lock descriptor stays open in the program, not close-on-exec" {
    run setlock "$T/lock" sh -c 'for f in /proc/$$/fd/*; do readlink "$f"; done; true'
    [ "$status" -eq 0 ]
    [ "$(grep -cx "$T/lock" <<<"$output")" = 1 ]
}

@test "setlock -d puts the lock on the given descriptor, and only there" {
    run setlock -d 7 "$T/lock" sh -c '
        readlink /proc/$$/fd/7
        for f in /proc/$$/fd/*; do readlink "$f"; done | grep -c "lock\$"
        grep -Ec "^[0-9]+: POSIX +ADVISORY +WRITE +$$ " /proc/locks'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "$T/lock" ]
    [ "${lines[1]}" = 1 ]
    [ "${lines[2]}" = 1 ]
    run setlock -r -d 7 "$T/lock" sh -c 'readlink /proc/$$/fd/7; grep -Ec "^[0-9]+: POSIX +ADVISORY +READ +$$ " /proc/locks'
    [ "${lines[0]}" = "$T/lock" ]
    [ "${lines[1]}" = 1 ]
    # the program sees the lock on fd 7 held by itself from another process's point of view
    setlock -d 7 "$T/lock" sleep 1000 >/dev/null 2>&1 3>&- &
    track_pid $!
    disown $!
    wait_for 5 held $! WRITE
    [ "$(readlink "/proc/$!/fd/7")" = "$T/lock" ]
}

@test "setlock -d onto a standard descriptor; errors still reach the real stderr" {
    run setlock -d 0 "$T/lock" sh -c 'readlink /proc/$$/fd/0'
    [ "$output" = "$T/lock" ]
    hold "$T/lock"
    expect_fail 1 "setlock: fatal: unable to lock $T/lock: Device or resource busy" setlock -n -d 2 "$T/lock" true
    [ ! -s "$T/lock" ]
}

@test "setlock: children of the program do not keep the lock" {
    run setlock -d 9 "$T/lock" sh -c "sleep 1000 >/dev/null 2>&1 3>&- & echo \$!"
    [ "$status" -eq 0 ]
    track_pid "$output"
    # the child still has the descriptor, but the lock died with its owner
    [ "$(readlink "/proc/$output/fd/9")" = "$T/lock" ]
    run setlock -n "$T/lock" true
    [ "$status" -eq 0 ]
}

@test "setlock: file names with spaces and newlines" {
    f="$T/my lock
file"
    hold "$f"
    expect_fail 1 "setlock: fatal: unable to lock $f: Device or resource busy" setlock -n "$f" true
    expect_fail 111 "setlock: fatal: unable to open $f/x for writing: Not a directory" setlock "$f/x" true
}

@test "setlock: a missing directory is a system error (111)" {
    expect_fail 111 "setlock: fatal: unable to open $T/none/lock for writing: No such file or directory" setlock "$T/none/lock" true
    expect_fail 111 "setlock: fatal: unable to create $T/none/lock: No such file or directory" setlock -r "$T/none/lock" true
    mkdir "$T/dir"
    expect_fail 111 "setlock: fatal: unable to open $T/dir for writing: Is a directory" setlock "$T/dir" true
}

@test "setlock: an unreadable or unwritable lock file is a system error (111)" {
    need_root
    need_s6 s6-setuidgid
    : > "$T/lock"
    chmod 000 "$T/lock"
    expect_fail 111 "setlock: fatal: unable to open $T/lock for writing: Permission denied" s6-setuidgid nobody setlock "$T/lock" true
    expect_fail 111 "setlock: fatal: unable to open $T/lock for reading: Permission denied" s6-setuidgid nobody setlock -r "$T/lock" true
}

@test "setlock: an overlong file name fails cleanly" {
    long=$(printf '%05000d' 0)
    expect_fail 111 "setlock: fatal: unable to open $long for writing: File name too long" setlock "$long" true
}

@test "setlock: a bad -d descriptor is a system error (111)" {
    expect_fail 111 "setlock: fatal: unable to move lock descriptor: Bad file descriptor" setlock -d 2147483647 "$T/lock" true
}

@test "setlock: usage errors exit 100" {
    expect_usage setlock
    expect_usage setlock "$T/lock"
    expect_usage setlock -x "$T/lock" true
    expect_usage setlock -t
    expect_usage setlock -t abc "$T/lock" true
    expect_usage setlock -t -5 "$T/lock" true
    expect_usage setlock -d x "$T/lock" true
    expect_usage setlock -d -1 "$T/lock" true
    expect_usage setlock -d 99999999999 "$T/lock" true
}

@test "setlock: exec failures exit 127 (not found) and 126 (not executable)" {
    expect_fail 127 "setlock: fatal: unable to exec $T/nothere: No such file or directory" setlock "$T/lock" "$T/nothere"
    expect_fail 127 "setlock: fatal: unable to exec no-such-program-keel: No such file or directory" setlock "$T/lock" no-such-program-keel
    printf '#!/bin/sh\n' > "$T/noexec"
    expect_fail 126 "setlock: fatal: unable to exec $T/noexec: Permission denied" setlock "$T/lock" "$T/noexec"
}

@test "setlock: '--' ends the options" {
    run setlock -- "$T/lock" echo ok
    [ "$output" = ok ]
    run setlock -n -- "$T/lock" echo ok
    [ "$output" = ok ]
}

@test "setlock and s6-setlock exclude each other" {
    need_s6 s6-setlock
    s6-setlock "$T/lock" sleep 1000 >/dev/null 2>&1 3>&- &
    track_pid $!
    disown $!
    wait_for 5 held $! WRITE
    expect_fail 1 "setlock: fatal: unable to lock $T/lock: Device or resource busy" setlock -n "$T/lock" true
    expect_fail 1 "setlock: fatal: unable to lock $T/lock: Device or resource busy" setlock -r -n "$T/lock" true
    kill $!
    hold "$T/lock2"
    expect_fail 1 "s6-setlock: fatal: unable to lock $T/lock2: Device or resource busy" s6-setlock -n "$T/lock2" true
    expect_fail 1 "s6-setlock: fatal: unable to lock $T/lock2: Device or resource busy" s6-setlock -r -n "$T/lock2" true
}

@test "setlock and s6-setlock share read locks" {
    need_s6 s6-setlock
    hold -r "$T/lock"
    run s6-setlock -r -n "$T/lock" true
    [ "$status" -eq 0 ]
    s6-setlock -r "$T/lock2" sleep 1000 >/dev/null 2>&1 3>&- &
    track_pid $!
    disown $!
    wait_for 5 held $! READ
    run setlock -r -n "$T/lock2" true
    [ "$status" -eq 0 ]
}

@test "setlock: same exit codes and messages as s6-setlock" {
    need_s6 s6-setlock
    hold "$T/held"
    mkdir "$T/dir"
    for args in "-n $T/held true" "-r -n $T/held true" "$T/none/x true" "-r $T/none/x true" \
                "$T/dir true" "$T/free $T/nothere" "$T/free" "-x $T/free true" "-t x $T/free true"; do
        # (not `run`: some cases exit 127 on purpose)
        s6_status=0 keel_status=0
        # shellcheck disable=SC2086
        s6_err=$(s6-setlock $args 2>&1 >/dev/null) || s6_status=$?
        # shellcheck disable=SC2086
        keel_err=$(setlock $args 2>&1 >/dev/null) || keel_status=$?
        [ "$keel_status" -eq "$s6_status" ] || { echo "$args: $keel_status != $s6_status"; false; }
        case $s6_err in
        *usage:*) ;;
        *) [ "$keel_err" = "${s6_err#s6-}" ] || { echo "$args: $keel_err"; false; };;
        esac
    done
    # The timeout: the same exit code; the 2.15 message, where 2.11 says "unable to acquire lock".
    run --separate-stderr s6-setlock -t 50 "$T/held" true
    [ "$status" -eq 1 ]
    run --separate-stderr setlock -t 50 "$T/held" true
    [ "$status" -eq 1 ]
}
