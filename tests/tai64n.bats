#!/usr/bin/env bats
# tai64n: every line gets "@" + 24 lowercase hex digits + " "; lines of any length, unterminated
# last line, prompt output on a pipe, errors.

load helper

stamp_re='^@[0-9a-f]{24} '

# Unix seconds of an external TAI64N stamp (the label minus 2^62 and 37 leap-adjusting seconds).
unix_of() { echo $(( 0x${1:1:16} - 0x4000000000000000 - 37 )); }

@test "tai64n: each line is prefixed with a stamp and one space" {
    printf 'one\ntwo words\n\n  lead\n' > "$T/in"
    run tai64n < "$T/in"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 4 ]
    for l in "${lines[@]}"; do [[ $l =~ $stamp_re ]]; done
    [ "$(tai64n < "$T/in" | cut -c27-)" = "$(cat "$T/in")" ]
    [ "$(tai64n < "$T/in" | awk '{ print length($0) }' | tr '\n' ' ')" = "29 35 26 32 " ]
}

@test "tai64n: the stamp is now, within a second of date +%s" {
    before=$(date +%s)
    out=$(echo x | tai64n)
    after=$(date +%s)
    [[ $out =~ $stamp_re ]]
    s=$(unix_of "$out")
    [ "$s" -ge "$before" ] && [ "$s" -le "$after" ]
    # nanoseconds are below 10^9
    [ $(( 0x${out:17:8} )) -lt 1000000000 ]
}

@test "tai64n: stamps never decrease over many lines" {
    seq 200000 > "$T/in"
    tai64n < "$T/in" > "$T/out"
    [ "$(wc -l < "$T/out")" -eq 200000 ]
    cut -c27- "$T/out" | cmp - "$T/in"
    cut -c1-25 "$T/out" | LC_ALL=C sort -c
    ! grep -Evq "$stamp_re" "$T/out"
}

@test "tai64n: an unterminated last line is stamped and gets a newline" {
    run --separate-stderr bash -c 'printf "a\nlast" | tai64n | od -An -c | tr -s " \n" " "'
    [ "$status" -eq 0 ]
    [[ $output == *" l a s t \n " ]]
    [ "$(printf 'a\nlast' | tai64n | wc -l)" -eq 2 ]
    [ "$(printf 'a\nlast' | tai64n | cut -c27-)" = "$(printf 'a\nlast')" ]
}

@test "tai64n: empty input gives empty output" {
    run tai64n < /dev/null
    [ "$status" -eq 0 ]
    [ -z "$output" ]
}

@test "tai64n: lines of 1 MiB are neither split nor lost" {
    for c in a b c; do head -c 1048576 /dev/zero | tr '\0' "$c"; echo; done > "$T/in"
    echo short >> "$T/in"
    tai64n < "$T/in" > "$T/out"
    [ "$(awk '{ print length($0) }' "$T/out" | tr '\n' ' ')" = "1048602 1048602 1048602 31 " ]
    cut -c27- "$T/out" | cmp - "$T/in"
}

@test "tai64n: a line shows up before the writer closes the pipe" {
    mkfifo "$T/fifo"
    tai64n < "$T/fifo" > "$T/out" 3>&- &
    pid=$!
    track_pid "$pid"
    exec 5> "$T/fifo"
    echo first >&5
    wait_for 5 grep -q ' first$' "$T/out"
    printf 'second' >&5
    wait_for 5 grep -q ' second$' "$T/out"
    exec 5>&-
    wait "$pid"
    [ "$(cut -c27- "$T/out")" = "$(printf 'first\nsecond')" ]
}

@test "tai64n: a write error exits 111" {
    expect_fail 111 'tai64n: fatal: unable to write to stdout: No space left on device' \
        sh -c 'echo x | tai64n > /dev/full'
}

@test "tai64n: a read error exits 111" {
    expect_fail 111 'tai64n: fatal: unable to read from stdin: Is a directory' \
        sh -c 'tai64n < /'
}

@test "tai64n: arguments are a usage error" {
    expect_usage tai64n x
    expect_usage tai64n -g
    expect_usage tai64n -- x
    run tai64n -- < /dev/null
    [ "$status" -eq 0 ]
}

@test "tai64n: same output as s6-tai64n, stamps aside" {
    need_s6 s6-tai64n
    { seq 1000; printf '\n\n  spaces \t\n'; head -c 1048576 /dev/zero | tr '\0' b; echo
      printf 'no newline'; } > "$T/in"
    s6-tai64n < "$T/in" > "$T/s6"
    tai64n < "$T/in" > "$T/keel"
    diff <(awk '{ print length($0) }' "$T/s6") <(awk '{ print length($0) }' "$T/keel")
    diff <(cut -c26- "$T/s6") <(cut -c26- "$T/keel")
    ! grep -Evq "$stamp_re" "$T/s6"
    # both stamp with the same clock: the first stamps are at most a second apart
    a=$(unix_of "$(head -c 25 "$T/s6")")
    b=$(unix_of "$(head -c 25 "$T/keel")")
    [ $(( b - a )) -le 1 ] && [ $(( b - a )) -ge 0 ]
    cmp <(s6-tai64n < /dev/null) <(tai64n < /dev/null)
}

@test "tai64n: same exit codes as s6-tai64n on errors" {
    need_s6 s6-tai64n
    for tool in s6-tai64n tai64n; do
        run sh -c "echo x | $tool > /dev/full"
        [ "$status" -eq 111 ]
        run sh -c "$tool < /"
        [ "$status" -eq 111 ]
    done
}
