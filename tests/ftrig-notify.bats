#!/usr/bin/env bats
# ftrig-notify: every listener gets the whole message in one write; dead listeners are removed;
# keel's notifier reaches s6's listeners and the other way round.

load helper

listeners() { find "$1" -name 'ftrig1:@*' 2>/dev/null | wc -l; }
listening() { [ "$(listeners "$1")" -ge "${2:-1}" ]; }

# listen DIR FILE: a listener made by hand (as record_events does for event/), appending what
# it receives to FILE.
listen() {
    local name
    name="ftrig1:@$(printf '%024x' "$RANDOM$RANDOM$RANDOM"):$(printf '%06d' $((RANDOM % 1000000)))"
    mkfifo -m 0600 "$1/$name"
    : > "$2"
    ( exec 3<>"$1/$name"; exec cat <&3 >>"$2" ) &
    track_pid $!
}
has() { [ "$(cat "$1")" = "$2" ]; }

@test "ftrig-notify: every listener receives the message" {
    mkfifodir "$T/f"
    listen "$T/f" "$T/one"
    listen "$T/f" "$T/two"
    run ftrig-notify "$T/f" hello
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    wait_for 5 has "$T/one" hello
    wait_for 5 has "$T/two" hello
    ftrig-notify "$T/f" ' world'
    wait_for 5 has "$T/one" "hello world"
}

@test "ftrig-notify: the message arrives whole, in one write per listener" {
    mkfifodir "$T/f"
    mkfifo "$T/f/ftrig1:@400000006b0bc72638c0f639:onewri"
    exec 4<>"$T/f/ftrig1:@400000006b0bc72638c0f639:onewri"
    ftrig-notify "$T/f" abcdefgh
    run perl -e 'sysread(STDIN, $b, 100); print length($b), " $b"' <&4
    [ "$output" = "8 abcdefgh" ]
    need_cmd strace
    # LeakSanitizer cannot run under ptrace; the leak check is not what this test is about.
    ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=write -o "$T/trace" ftrig-notify "$T/f" abcdefgh
    exec 4<&-
    [ "$(grep -c '^[0-9]* *write(' "$T/trace")" = 1 ]
    grep -q 'write([0-9]*, "abcdefgh", 8) *= 8' "$T/trace"
}

@test "ftrig-notify: FIFOs without a reader are removed; other entries are not" {
    mkfifodir "$T/f"
    mkfifo "$T/f/ftrig1:@400000006b0bc72638c0f639:deadli" "$T/f/other"
    listen "$T/f" "$T/live"
    run ftrig-notify "$T/f" x
    [ "$status" -eq 0 ]
    [ ! -e "$T/f/ftrig1:@400000006b0bc72638c0f639:deadli" ]
    [ -p "$T/f/other" ]
    wait_for 5 has "$T/live" x
}

@test "ftrig-notify: an empty message, nobody listening, '--'" {
    mkfifodir "$T/f"
    run ftrig-notify "$T/f" ""
    [ "$status" -eq 0 ]
    run ftrig-notify -- "$T/f" x
    [ "$status" -eq 0 ]
}

@test "ftrig-notify: errors exit 111" {
    expect_fail 111 "ftrig-notify: fatal: unable to notify $T/none: No such file or directory" ftrig-notify "$T/none" x
    touch "$T/file"
    expect_fail 111 "ftrig-notify: fatal: unable to notify $T/file: Not a directory" ftrig-notify "$T/file" x
    need_root
    mkdir -m 0300 "$T/unreadable"
    expect_fail 111 "ftrig-notify: fatal: unable to notify $T/unreadable: Permission denied" setuidgid nobody ftrig-notify "$T/unreadable" x
}

@test "ftrig-notify: usage errors exit 100" {
    mkfifodir "$T/f"
    expect_usage ftrig-notify
    expect_usage ftrig-notify "$T/f"
    expect_usage ftrig-notify "$T/f" a b
    expect_usage ftrig-notify -x "$T/f" a
}

@test "ftrig-notify reaches s6-ftrig-wait; s6-ftrig-notify reaches ftrig-wait" {
    need_s6 s6-ftrig-wait
    mkfifodir "$T/f"
    s6-ftrig-wait -t 5000 "$T/f" 'b.d' > "$T/s6.out" &
    s6=$!
    track_pid $s6
    ftrig-wait -t 5000 "$T/f" 'b.d' > "$T/keel.out" &
    keel=$!
    track_pid $keel
    wait_for 5 listening "$T/f" 2
    s6-ftrig-notify "$T/f" ab
    ftrig-notify "$T/f" cde
    wait "$s6"
    wait "$keel"
    [ "$(cat "$T/s6.out")" = d ]
    [ "$(cat "$T/keel.out")" = d ]
    [ -z "$(ls -A "$T/f")" ]
}

@test "ftrig-notify and s6-ftrig-notify: the same errors" {
    need_s6 s6-ftrig-notify
    touch "$T/file"
    for d in "$T/none" "$T/file"; do
        run --separate-stderr s6-ftrig-notify "$d" x; s6_status=$status; s6_err=${stderr#s6-}
        run --separate-stderr ftrig-notify "$d" x
        [ "$status" -eq "$s6_status" ]
        [ "$stderr" = "$s6_err" ]
    done
}
