#!/usr/bin/env bats
# Fault injection: full and read-only file systems. Each test mounts fresh tmpfs file systems
# in a private mount namespace of its own (fault_ns), never a file system of the host.
# svlog -b under ENOSPC stops reading (the producer blocks) and loses, repeats or reorders no
# line; supervise with a full or read-only supervise/ keeps supervising and never leaves a
# partial status file.

load helper

# numbered FROM TO: the producer's lines (87 bytes each).
numbered() { seq -f 'line %06g 0123456789012345678901234567890123456789012345678901234567890123456789' "$1" "$2"; }

# start_logger DIR SCRIPT...: svlog -b in the namespace, reading $T/fifo, which the test's
# shell then holds open for writing on fd 5.
start_logger() {
    mkfifo "$T/fifo"
    fault_bg "$T/svlog" nsenter -t "$(cat "$T/ns.pid")" -m -- sh -c 'exec svlog -b -- "$@" <"$0"' "$T/fifo" "$@"
    exec 5>"$T/fifo"
}

@test "ENOSPC: svlog -b warns, blocks its producer, and logs every line once, in order, when space is freed" {
    need_root
    fault_ns
    fault_tmpfs "$T/m" size=8m
    start_logger n1000 s1000000 "$T/m/log"
    local pid
    pid=$(cat "$T/svlog.pid")
    numbered 1 1000 >&5
    first_in() { fault_in grep -q 'line 001000 ' "$T/m/log/current"; }
    wait_for 5 first_in
    fault_fill "$T/m"
    # 3.5 MB more: far beyond svlog's buffers and the pipe, so the producer must wait.
    numbered 1001 40000 >&5 &
    local producer=$!
    track_pid "$producer"
    wait_for 5 grep -qF "svlog: warning: unable to write to $T/m/log/current: No space left on device" "$T/svlog.log" || { cat "$T/svlog.log"; false; }
    # Backpressure: a while later the producer is still blocked, svlog still runs.
    sleep 1
    kill -0 "$producer"
    kill -0 "$pid"
    # Space again: it resumes by itself.
    fault_in rm "$T/m/filler"
    wait_for 20 gone "$producer"
    exec 5>&-
    wait_for 10 gone "$pid"
    numbered 1 40000 > "$T/expected"
    fault_in sh -c "$FAULT_LINES" sh "$T/m/log" > "$T/got"
    fault_same "$T/got" "$T/expected"
}

@test "ENOSPC at rotation: no inode for a new current, svlog warns, waits, and rotates when one is freed" {
    need_root
    fault_ns
    fault_tmpfs "$T/m" size=8m,nr_inodes=32
    start_logger n1000 s100000 "$T/m/log"
    local pid
    pid=$(cat "$T/svlog.pid")
    numbered 1 500 >&5
    first_in() { fault_in grep -q 'line 000500 ' "$T/m/log/current"; }
    wait_for 5 first_in
    # Every inode taken: the data still fits, but the next current cannot be created.
    fault_in sh -c 'i=0; while touch "$1/i$i" 2>/dev/null; do i=$((i + 1)); done' sh "$T/m"
    numbered 501 30000 >&5 &
    local producer=$!
    track_pid "$producer"
    wait_for 5 grep -F "svlog: warning: unable to" "$T/svlog.log"
    grep -F "svlog: warning: unable to" "$T/svlog.log" | grep -qF ': No space left on device'
    sleep 1
    kill -0 "$producer"
    kill -0 "$pid"
    fault_in sh -c 'rm "$1"/i*' sh "$T/m"
    wait_for 20 gone "$producer"
    exec 5>&-
    wait_for 10 gone "$pid"
    numbered 1 30000 > "$T/expected"
    fault_in sh -c "$FAULT_LINES" sh "$T/m/log" > "$T/got"
    fault_same "$T/got" "$T/expected"
    # It did rotate: archives exist.
    [ "$(fault_in sh -c 'ls "$1"/@*.s | wc -l' sh "$T/m/log")" -ge 2 ]
}
