#!/usr/bin/env bats
# ftrig-listen1: subscribe, then spawn PROG (reaped, its exit ignored), then wait for the ERE
# as ftrig-wait does; 99 on timeout, 111 if PROG cannot be spawned; no FIFO left on any exit.
# The same answers as s6-ftrig-listen1.

load helper

listeners() { find "$1" -name 'ftrig1:@*' 2>/dev/null | wc -l; }
listening() { [ "$(listeners "$1")" -ge "${2:-1}" ]; }
no_listener() { [ -z "$(ls -A "$1")" ]; }

bg() {
    local name=$1; shift
    perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die "exec $ARGV[0]: $!\n"' "$@" \
        >"$T/$name.out" 2>"$T/$name.err" &
    echo $! > "$T/$name.pid"
    track_pid $!
}
bg_wait() { wait "$(cat "$T/$1.pid")" && bg_status=0 || bg_status=$?; }

@test "ftrig-listen1: PROG's events are caught; the last byte of the match is printed" {
    mkfifodir "$T/f"
    run ftrig-listen1 -t 5000 "$T/f" 'b+' ftrig-notify "$T/f" abbbc
    [ "$status" -eq 0 ]
    [ "$output" = b ]
    no_listener "$T/f"
}

@test "ftrig-listen1: PROG runs once subscribed; its exit status is ignored; it is reaped" {
    mkfifodir "$T/f"
    run ftrig-listen1 -t 5000 "$T/f" x sh -c 'ls "$1" > "$2"; ftrig-notify "$1" x; exit 5' sh "$T/f" "$T/seen"
    [ "$status" -eq 0 ]
    [ "$output" = x ]
    grep -q '^ftrig1:@' "$T/seen"
    bg w ftrig-listen1 -t 10000 "$T/f" x sh -c 'echo $$ > "$1"' sh "$T/child"
    wait_for 5 test -s "$T/child"
    wait_for 5 gone "$(cat "$T/child")" # a zombie would still answer kill -0
    ftrig-notify "$T/f" x
    bg_wait w
    [ "$bg_status" -eq 0 ]
}

@test "ftrig-listen1 -t: 99 'timed out', FIFO removed" {
    mkfifodir "$T/f"
    t0=$(now_ms)
    expect_fail 99 "ftrig-listen1: fatal: timed out" ftrig-listen1 -t 300 "$T/f" a ftrig-notify "$T/f" b
    [ $(( $(now_ms) - t0 )) -ge 300 ]
    no_listener "$T/f"
}

@test "ftrig-listen1: SIGTERM, SIGINT and SIGHUP kill it, FIFO removed first; PROG lives on" {
    mkfifodir "$T/f"
    for sig in TERM INT HUP; do
        rm -f "$T/child"
        bg w ftrig-listen1 -t 10000 "$T/f" a sh -c 'echo $$ > "$1"; exec sleep 100000' sh "$T/child"
        wait_for 5 test -s "$T/child"
        track_pid "$(cat "$T/child")"
        kill -s "$sig" "$(cat "$T/w.pid")"
        bg_wait w
        [ "$bg_status" -eq $(( 128 + $(kill -l "$sig") )) ]
        no_listener "$T/f"
        kill "$(cat "$T/child")"
    done
}

@test "ftrig-listen1: errors exit 111, PROG never runs or is not found; no FIFO left" {
    mkfifodir "$T/f"
    expect_fail 111 "ftrig-listen1: fatal: unable to spawn no-such-program-keel: No such file or directory" ftrig-listen1 "$T/f" a no-such-program-keel
    no_listener "$T/f"
    printf '#!/bin/sh\n' > "$T/noexec"
    expect_fail 111 "ftrig-listen1: fatal: unable to spawn $T/noexec: Permission denied" ftrig-listen1 "$T/f" a "$T/noexec"
    no_listener "$T/f"
    expect_fail 111 "ftrig-listen1: fatal: unable to subscribe to $T/none with regexp a: No such file or directory" ftrig-listen1 "$T/none" a touch "$T/ran"
    expect_fail 111 "ftrig-listen1: fatal: unable to subscribe to $T/f with regexp (: Invalid argument" ftrig-listen1 "$T/f" '(' touch "$T/ran"
    [ ! -e "$T/ran" ]
    no_listener "$T/f"
}

@test "ftrig-listen1: usage errors exit 100" {
    mkfifodir "$T/f"
    expect_usage ftrig-listen1
    expect_usage ftrig-listen1 "$T/f" a
    expect_usage ftrig-listen1 -o "$T/f" a true
    expect_usage ftrig-listen1 -t x "$T/f" a true
}

@test "ftrig-listen1 and s6-ftrig-listen1: the same answers (timeout: s6 exits 1)" {
    need_s6 s6-ftrig-listen1
    mkfifodir "$T/f"
    touch "$T/file"
    for args in "$T/f a ftrig-notify $T/f xay" "$T/f x? s6-ftrig-notify $T/f abc" \
        "$T/f a no-such-program-keel" "$T/none a true" "$T/file a true" "$T/f ( true" \
        "-t x $T/f a true" "$T/f a"; do
        # shellcheck disable=SC2086
        run --separate-stderr s6-ftrig-listen1 -t 2000 $args; s6_status=$status
        s6_err=${stderr#s6-}; s6_out=$(printf %s "$output" | od -c)
        # shellcheck disable=SC2086
        run --separate-stderr ftrig-listen1 -t 2000 $args
        [ "$status" -eq "$s6_status" ]
        [ "$(printf %s "$output" | od -c)" = "$s6_out" ]
        case $s6_err in *usage:*) ;; *) [ "$stderr" = "$s6_err" ];; esac
    done
    no_listener "$T/f"
}
