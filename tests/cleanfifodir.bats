#!/usr/bin/env bats
# cleanfifodir: removes the 39-character ftrig1:@ FIFOs nobody reads; leaves live listeners
# and every other entry alone.

load helper

dead=ftrig1:@400000006b0bc72638c0f639:8Zmr0f

@test "cleanfifodir: dead listener FIFOs go, live ones and other entries stay" {
    mkfifodir "$T/f"
    mkfifo "$T/f/$dead" "$T/f/ftrig1:@400000006b0bc72638c0f639:AAAAAA"
    # not listener names: too short, too long, hidden, another prefix
    mkfifo "$T/f/ftrig1:@400000006b0bc72638c0f639:8Zmr0" "$T/f/${dead}0123456789" \
        "$T/f/.$dead" "$T/f/ftrig1xx400000006b0bc72638c0f639:8Zmr0Y" "$T/f/other"
    touch "$T/f/ftrig1:@400000006b0bc72638c0f639:file00"
    ftrig-wait -t 10000 "$T/f" never &
    track_pid $!
    wait_for 5 sh -c 'ls "$1" | grep -v -e "$2" -e AAAAAA | grep -q "^ftrig1:@.\{31\}$"' sh "$T/f" "$dead"
    live=$(ls "$T/f" | grep -v -e "$dead" -e AAAAAA -e file00 | grep '^ftrig1:@.\{31\}$')
    run cleanfifodir "$T/f"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    [ ! -e "$T/f/$dead" ]
    [ ! -e "$T/f/ftrig1:@400000006b0bc72638c0f639:AAAAAA" ]
    [ -p "$T/f/$live" ]
    for n in "ftrig1:@400000006b0bc72638c0f639:8Zmr0" "${dead}0123456789" ".$dead" \
        "ftrig1xx400000006b0bc72638c0f639:8Zmr0Y" other; do
        [ -p "$T/f/$n" ]
    done
    [ -f "$T/f/ftrig1:@400000006b0bc72638c0f639:file00" ]
    # the live listener still gets its events
    ftrig-notify "$T/f" never
    wait_for 5 sh -c '[ ! -e "$1" ]' sh "$T/f/$live"
}

@test "cleanfifodir: an empty fifodir, and '--'" {
    mkfifodir "$T/f"
    run cleanfifodir -- "$T/f"
    [ "$status" -eq 0 ]
    [ -z "$(ls -A "$T/f")" ]
}

@test "cleanfifodir: errors exit 111" {
    expect_fail 111 "cleanfifodir: fatal: unable to clean up fifodir at $T/none: No such file or directory" cleanfifodir "$T/none"
    touch "$T/file"
    expect_fail 111 "cleanfifodir: fatal: unable to clean up fifodir at $T/file: Not a directory" cleanfifodir "$T/file"
}

@test "cleanfifodir: usage errors exit 100" {
    mkfifodir "$T/f"
    expect_usage cleanfifodir
    expect_usage cleanfifodir -x
    expect_usage cleanfifodir "$T/f" "$T/f"
}

@test "cleanfifodir and s6-cleanfifodir: same errors; s6 2.11 misses 39-character names" {
    need_s6 s6-cleanfifodir
    touch "$T/file"
    for d in "$T/none" "$T/file"; do
        run --separate-stderr s6-cleanfifodir "$d"; s6_status=$status; s6_err=${stderr#s6-}
        run --separate-stderr cleanfifodir "$d"
        [ "$status" -eq "$s6_status" ]
        [ "$stderr" = "$s6_err" ]
    done
    mkfifodir "$T/f"
    mkfifo "$T/f/$dead"
    s6-cleanfifodir "$T/f"
    # s6 2.11's cleaner looks for 49-character names: it keeps what keel removes
    if [ -p "$T/f/$dead" ]; then
        cleanfifodir "$T/f"
    fi
    [ ! -e "$T/f/$dead" ]
}
