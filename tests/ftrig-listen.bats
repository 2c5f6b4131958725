#!/usr/bin/env bats
# ftrig-listen: fifodir/regexp pairs in a block ("" or execlineb's { }), then PROG; waits for
# every pair (-a) or one (-o); 99 on timeout; no FIFO left on any exit. The same answers as
# s6-ftrig-listen.

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

setup() {
    keel_setup
    mkfifodir "$T/a"
    mkfifodir "$T/b"
}

@test "ftrig-listen: every pair must match (-a), silently" {
    run ftrig-listen -t 5000 "$T/a" x "$T/b" 'y+z' "" \
        sh -c 'ftrig-notify "$1" x; ftrig-notify "$2" y; ftrig-notify "$2" z' sh "$T/a" "$T/b"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    no_listener "$T/a"
    no_listener "$T/b"
    # one of the two is not enough
    expect_fail 99 "ftrig-listen: fatal: timed out" ftrig-listen -a -t 300 "$T/a" x "$T/b" y "" ftrig-notify "$T/a" x
    no_listener "$T/a"
    no_listener "$T/b"
}

@test "ftrig-listen -o: one pair is enough" {
    run ftrig-listen -o -t 5000 "$T/a" x "$T/b" y "" ftrig-notify "$T/b" y
    [ "$status" -eq 0 ]
    no_listener "$T/a"
    no_listener "$T/b"
}

@test "ftrig-listen: the same fifodir twice, with two regexps" {
    run ftrig-listen -t 5000 "$T/a" x "$T/a" y "" ftrig-notify "$T/a" yx
    [ "$status" -eq 0 ]
    no_listener "$T/a"
}

@test "ftrig-listen: execlineb's block form, and leading spaces by hand" {
    run ftrig-listen -t 5000 " $T/a" " x" "" ftrig-notify "$T/a" x
    [ "$status" -eq 0 ]
    need_cmd execlineb
    run execlineb -Pc "ftrig-listen -t 5000 { $T/a x $T/b y } sh -c \"ftrig-notify $T/a x; ftrig-notify $T/b y\""
    [ "$status" -eq 0 ]
    no_listener "$T/a"
    no_listener "$T/b"
}

@test "ftrig-listen: PROG runs once every subscription is made, and is reaped" {
    run ftrig-listen -t 5000 "$T/a" x "$T/b" y "" \
        sh -c 'ls "$1" "$2" > "$3"; ftrig-notify "$1" x; ftrig-notify "$2" y; exit 4' sh "$T/a" "$T/b" "$T/seen"
    [ "$status" -eq 0 ]
    [ "$(grep -c '^ftrig1:@' "$T/seen")" = 2 ]
    bg w ftrig-listen -t 10000 "$T/a" x "" sh -c 'echo $$ > "$1"' sh "$T/child"
    wait_for 5 test -s "$T/child"
    wait_for 5 gone "$(cat "$T/child")"
    ftrig-notify "$T/a" x
    bg_wait w
    [ "$bg_status" -eq 0 ]
}

@test "ftrig-listen: SIGTERM, SIGINT and SIGHUP kill it, every FIFO removed first" {
    for sig in TERM INT HUP; do
        bg w ftrig-listen -t 10000 "$T/a" x "$T/b" y "" true
        wait_for 5 listening "$T/a"
        wait_for 5 listening "$T/b"
        kill -s "$sig" "$(cat "$T/w.pid")"
        bg_wait w
        [ "$bg_status" -eq $(( 128 + $(kill -l "$sig") )) ]
        no_listener "$T/a"
        no_listener "$T/b"
    done
}

@test "ftrig-listen: errors exit 111; a failed second subscription removes the first FIFO" {
    expect_fail 111 "ftrig-listen: fatal: unable to subscribe to $T/none with regexp y: No such file or directory" ftrig-listen "$T/a" x "$T/none" y "" touch "$T/ran"
    expect_fail 111 "ftrig-listen: fatal: unable to subscribe to $T/b with regexp (: Invalid argument" ftrig-listen "$T/a" x "$T/b" '(' "" touch "$T/ran"
    [ ! -e "$T/ran" ]
    no_listener "$T/a"
    expect_fail 111 "ftrig-listen: fatal: unable to spawn no-such-program-keel: No such file or directory" ftrig-listen "$T/a" x "" no-such-program-keel
    no_listener "$T/a"
}

@test "ftrig-listen: usage errors exit 100; a missing empty argument is 'unterminated'" {
    expect_usage ftrig-listen
    expect_usage ftrig-listen "" true
    expect_usage ftrig-listen "$T/a" "" true
    expect_usage ftrig-listen "$T/a" x "$T/b" "" true
    expect_usage ftrig-listen "$T/a" x ""
    expect_usage ftrig-listen -x "$T/a" x "" true
    expect_usage ftrig-listen -t x "$T/a" x "" true
    expect_fail 100 "ftrig-listen: fatal: unterminated fifodir+regex block" ftrig-listen "$T/a" x true
    expect_fail 100 "ftrig-listen: fatal: unterminated fifodir+regex block" ftrig-listen "$T/a" x "$T/b" y true
}

@test "ftrig-listen and s6-ftrig-listen: the same answers (timeout: s6 exits 1)" {
    need_s6 s6-ftrig-listen
    touch "$T/file"
    for args in "$T/a x $T/b y '' sh -c 'ftrig-notify $T/a x; s6-ftrig-notify $T/b y'" \
        "-o $T/a x $T/b y '' ftrig-notify $T/b y" "$T/a x '' no-such-program-keel" \
        "$T/a x $T/none y '' true" "$T/file x '' true" "$T/a '(' '' true" "$T/a x $T/b y z true" \
        "'' true" "$T/a '' true" "-t x $T/a x '' true"; do
        eval "set -- $args"
        run --separate-stderr s6-ftrig-listen -t 2000 "$@"; s6_status=$status; s6_err=${stderr#s6-}
        run --separate-stderr ftrig-listen -t 2000 "$@"
        [ "$status" -eq "$s6_status" ] || { echo "$args: keel $status, s6 $s6_status"; false; }
        case $s6_err in *usage:*) ;; *) [ "$stderr" = "$s6_err" ];; esac
    done
    no_listener "$T/a"
    no_listener "$T/b"
}
