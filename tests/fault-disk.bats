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

# start_sv_ns DIR: supervise on DIR inside the test's namespace (where DIR/supervise is a
# tmpfs), started with only fds 0-2 open; waits for its first status.
start_sv_ns() {
    fault_bg "$1" nsenter -t "$(cat "$T/ns.pid")" -m -- supervise "$1"
    wait_for 5 fault_in sh -c '[ "$(stat -c %s "$1/supervise/status" 2>/dev/null)" = 35 ]' sh "$1"
}
ns_status() { fault_in svstat -o up,pid "$1"; }
ns_size() { fault_in stat -c %s "$1/supervise/status"; }

# child_changed PID OLD: the supervisor PID has a child (its service), and not OLD.
child_changed() { local c; c=$(fault_children "$1") && [ -n "$c" ] && [ "$c" != "$2" ]; }

@test "ENOSPC on state: supervise with a full supervise/ keeps restarting the service, status stays whole, is written again when freed" {
    need_root
    make_service "$T/s"
    fault_ns
    fault_tmpfs "$T/s/supervise" size=64k
    start_sv_ns "$T/s"
    local pid first
    pid=$(cat "$T/s.pid")
    wait_for 5 child_changed "$pid" 0
    first=$(fault_children "$pid")
    wait_for 5 sh -c '[ "$(nsenter -t "$1" -m -- svstat -o up,pid "$2")" = "true $3" ]' sh "$(cat "$T/ns.pid")" "$T/s" "$first"
    fault_fill "$T/s/supervise"
    fault_in svc -k "$T/s"
    wait_for 5 child_changed "$pid" "$first"
    wait_for 5 grep -qF "supervise $T/s: warning: unable to write status file: No space left on device" "$T/s.log"
    # Old or new, never partial: still the first pid, 35 bytes, decodable.
    [ "$(ns_size "$T/s")" = 35 ]
    [ "$(ns_status "$T/s")" = "true $first" ]
    kill -0 "$pid"
    # Space again: the next change is written.
    fault_in rm "$T/s/supervise/filler"
    local second
    second=$(fault_children "$pid")
    fault_in svc -k "$T/s"
    wait_for 5 child_changed "$pid" "$second"
    local third
    third=$(fault_children "$pid")
    wait_for 5 sh -c '[ "$(nsenter -t "$1" -m -- svstat -o up,pid "$2")" = "true $3" ]' sh "$(cat "$T/ns.pid")" "$T/s" "$third"
    [ "$(ns_size "$T/s")" = 35 ]
    fault_in svc -dx "$T/s"
    wait_for 5 gone "$pid"
}

@test "read-only supervise/: supervise warns, keeps the service restarting, obeys svc, writes status again when writable" {
    need_root
    # Not a read-only remount: supervise holds supervise/lock open for writing, so the kernel
    # refuses to remount that file system read-only (EBUSY), and a read-only bind mount on top
    # would not reach the directory descriptor supervise writes through. A supervisor under a
    # uid of its own, with supervise/ made 0500, sees the same refusal (EACCES).
    make_service "$T/s"
    chown -R "$FAULT_UID:$FAULT_UID" "$T/s"
    fault_bg "$T/s" applyuidgid -u "$FAULT_UID" -g "$FAULT_UID" -G "" supervise "$T/s"
    local pid first
    pid=$(cat "$T/s.pid")
    wait_for 5 is_up "$T/s"
    first=$(up_pid "$T/s")
    chmod 0500 "$T/s/supervise"
    svc -k "$T/s"
    wait_for 5 child_changed "$pid" "$first"
    wait_for 5 grep -qF "supervise $T/s: warning: unable to write status file: Permission denied" "$T/s.log"
    [ "$(status_size "$T/s")" = 35 ]
    [ "$(up_pid "$T/s")" = "$first" ]
    # svc still works: down, then up again.
    local second
    second=$(fault_children "$pid")
    svc -d "$T/s"
    wait_for 5 sh -c '[ -z "$(ps -o pid= --ppid "$1")" ]' sh "$pid"
    svc -u "$T/s"
    wait_for 5 child_changed "$pid" "$second"
    kill -0 "$pid"
    # Writable again: the next change is written.
    chmod 0700 "$T/s/supervise"
    local third
    third=$(fault_children "$pid")
    svc -k "$T/s"
    wait_for 5 child_changed "$pid" "$third"
    current() { local c; c=$(fault_children "$pid") && [ "$(up_pid "$T/s")" = "$c" ]; }
    wait_for 5 current
    [ "$(up_pid "$T/s")" != "$third" ]
    [ "$(status_size "$T/s")" = 35 ]
    svc -dx "$T/s"
    wait_for 5 gone "$pid"
}
