#!/usr/bin/env bats
# tai64nlocal: a line longer than 25 bytes that starts with a valid TAI64N label gets the label
# replaced by the time (local, or UTC with -g); everything else passes through byte for byte.

load helper

# label UNIX-SECONDS-OF-TAI [NANO]: the external form of 2^62 + s (seconds of TAI since 1970).
label() { printf '@%016x%08x' $(( 0x4000000000000000 + $1 )) "${2:-0}"; }

@test "tai64nlocal -g: a known stamp" {
    run tai64nlocal -g <<< '@400000006500000000000000 rest'
    [ "$status" -eq 0 ]
    [ "$output" = '2023-09-12 06:06:19.000000000 rest' ]
    # nanoseconds, and only the label is replaced: the separator and the rest are kept
    run tai64nlocal -g <<< "$(label 1694498816 123456789)	tab  and  spaces "
    [ "$output" = '2023-09-12 06:06:19.123456789	tab  and  spaces ' ]
}

@test "tai64nlocal: today's label is Unix time + 37" {
    now=$(date +%s)
    run tai64nlocal -g <<< "$(label $(( now + 37 ))) x"
    [ "$output" = "$(date -u -d "@$now" '+%Y-%m-%d %H:%M:%S').000000000 x" ]
}

@test "tai64nlocal: tai64n | tai64nlocal gives the current time" {
    out=$(echo hello | tai64n | tai64nlocal -g)
    [[ $out =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}\ hello$ ]]
    d=$(( $(date +%s) - $(date -u -d "${out:0:19}" +%s) ))
    [ "$d" -ge 0 ] && [ "$d" -le 3 ]
    out=$(echo hello | tai64n | TZ=XYZ-9 tai64nlocal)
    d=$(( $(date +%s) - $(TZ=XYZ-9 date -d "${out:0:19}" +%s) ))
    [ "$d" -ge 0 ] && [ "$d" -le 3 ]
    [ "${out:30}" = hello ]
}

@test "tai64nlocal: local time follows TZ; -g ignores it" {
    in='@400000006500000000000000 rest'
    [ "$(TZ=UTC tai64nlocal <<< "$in")" = '2023-09-12 06:06:19.000000000 rest' ]
    [ "$(TZ=UTC0 tai64nlocal <<< "$in")" = '2023-09-12 06:06:19.000000000 rest' ]
    [ "$(TZ=XYZ-9 tai64nlocal <<< "$in")" = '2023-09-12 15:06:19.000000000 rest' ]
    [ "$(TZ=ABC+7 tai64nlocal <<< "$in")" = '2023-09-11 23:06:19.000000000 rest' ]
    [ "$(TZ=XYZ-9 tai64nlocal -g <<< "$in")" = '2023-09-12 06:06:19.000000000 rest' ]
}

@test "tai64nlocal: time zones from the tz database, with summer time" {
    [ -f /usr/share/zoneinfo/America/New_York ] || skip "no tz database"
    [ "$(TZ=America/New_York tai64nlocal <<< '@400000006500000000000000 rest')" = \
        '2023-09-12 02:06:19.000000000 rest' ]
    # 2023-01-15 12:00:00 UTC: winter, UTC-5
    [ "$(TZ=America/New_York tai64nlocal <<< "$(label $(( 1673784000 + 37 ))) w")" = \
        '2023-01-15 07:00:00.000000000 w' ]
    [ "$(TZ=Asia/Tokyo tai64nlocal <<< "$(label $(( 1673784000 + 37 ))) w")" = \
        '2023-01-15 21:00:00.000000000 w' ]
}

@test "tai64nlocal: leap seconds around 2017-01-01" {
    # 2017-01-01 00:00:00 UTC is Unix 1483228800 and TAI - UTC = 37 from then on
    for i in -2 -1 0 1 2; do label $(( 1483228837 + i )) 5; echo " $i"; done > "$T/in"
    run tai64nlocal -g < "$T/in"
    [ "${lines[0]}" = '2016-12-31 23:59:59.000000005 -2' ]
    [ "${lines[1]}" = '2016-12-31 23:59:60.000000005 -1' ]
    [ "${lines[2]}" = '2017-01-01 00:00:00.000000005 0' ]
    [ "${lines[3]}" = '2017-01-01 00:00:01.000000005 1' ]
    [ "${lines[4]}" = '2017-01-01 00:00:02.000000005 2' ]
    # the leap second in a zone east of UTC
    run env TZ=XYZ-9 tai64nlocal < "$T/in"
    [ "${lines[1]}" = '2017-01-01 08:59:60.000000005 -1' ]
    [ "${lines[2]}" = '2017-01-01 09:00:00.000000005 0' ]
}

@test "tai64nlocal: the first leap second (1972-06-30) and one from the middle (1998-12-31)" {
    # 1972-07-01 is Unix 78796800; TAI - UTC was 10 before, 11 after
    for s in 78796809 78796810 78796811; do label $s; echo; done > "$T/in"
    # 1999-01-01 is Unix 915148800; TAI - UTC was 31 before, 32 after
    for s in 915148830 915148831 915148832; do label $s; echo; done >> "$T/in"
    run tai64nlocal -g < "$T/in"
    [ "${lines[0]}" = '1972-06-30 23:59:59.000000000' ]
    [ "${lines[1]}" = '1972-06-30 23:59:60.000000000' ]
    [ "${lines[2]}" = '1972-07-01 00:00:00.000000000' ]
    [ "${lines[3]}" = '1998-12-31 23:59:59.000000000' ]
    [ "${lines[4]}" = '1998-12-31 23:59:60.000000000' ]
    [ "${lines[5]}" = '1999-01-01 00:00:00.000000000' ]
}

@test "tai64nlocal: the Unix epoch is the first time converted" {
    printf '%s x\n' "$(label 9)" "$(label 10)" "$(label 0)" '@3fffffffffffffff00000000' > "$T/in"
    run tai64nlocal -g < "$T/in"
    [ "${lines[0]}" = "$(label 9) x" ]
    [ "${lines[1]}" = '1970-01-01 00:00:00.000000000 x' ]
    [ "${lines[2]}" = "$(label 0) x" ]
    [ "${lines[3]}" = '@3fffffffffffffff00000000 x' ]
}

@test "tai64nlocal: a right/ time zone places the leap seconds itself" {
    [ -f /usr/share/zoneinfo/right/UTC ] || skip "no right/ zones in the tz database"
    for i in -2 -1 0; do label $(( 1483228837 + i )); echo " $i"; done > "$T/in"
    for g in "" -g; do
        run env TZ=right/UTC tai64nlocal $g < "$T/in"
        [ "${lines[0]}" = '2016-12-31 23:59:59.000000000 -2' ]
        [ "${lines[1]}" = '2016-12-31 23:59:60.000000000 -1' ]
        [ "${lines[2]}" = '2017-01-01 00:00:00.000000000 0' ]
    done
    run env TZ=right/Asia/Tokyo tai64nlocal < "$T/in"
    [ "${lines[1]}" = '2017-01-01 08:59:60.000000000 -1' ]
    [ "$(TZ=right/UTC tai64nlocal <<< '@400000006500000000000000 rest')" = \
        '2023-09-12 06:06:19.000000000 rest' ]
}

@test "tai64nlocal: labels too far in the future pass through" {
    printf '%s x\n' @400000010000000000000000 @4100000000000000000000ff @8000000000000000000000ff \
        @ffffffffffffffff00000000 > "$T/in"
    run tai64nlocal -g < "$T/in"
    [ "${lines[0]}" = '2106-02-07 06:27:39.000000000 x' ]
    [ "${lines[1]}" = '@4100000000000000000000ff x' ]
    [ "${lines[2]}" = '@8000000000000000000000ff x' ]
    [ "${lines[3]}" = '@ffffffffffffffff00000000 x' ]
}

@test "tai64nlocal: lines of 25 bytes or less are not converted" {
    printf '@400000006500000000000000\n@40000000650000000000000\nshort\n\n@\n' > "$T/in"
    run tai64nlocal -g < "$T/in"
    # a label and its newline make 26 bytes: converted
    [ "${lines[0]}" = '2023-09-12 06:06:19.000000000' ]
    [ "${lines[1]}" = '@40000000650000000000000' ]
    [ "$(tai64nlocal -g < "$T/in" | tail -n +2)" = "$(tail -n +2 "$T/in")" ]
    # a label alone without a newline is 25 bytes: kept as it is
    [ "$(printf '@400000006500000000000000' | tai64nlocal -g)" = '@400000006500000000000000' ]
}

@test "tai64nlocal: an unterminated last line is converted, and no newline is added" {
    printf 'a\n@400000006500000000000000 end' > "$T/in"
    tai64nlocal -g < "$T/in" > "$T/out"
    printf 'a\n2023-09-12 06:06:19.000000000 end' | cmp - "$T/out"
    printf 'no newline' | tai64nlocal | cmp - <(printf 'no newline')
}

@test "tai64nlocal: invalid labels pass through unchanged" {
    {
        echo '@4000000065000000000000ag bad hex'
        echo '@40000000650000000000000 too short label'
        echo '#400000006500000000000000 no at'
        echo ' @400000006500000000000000 leading space'
        echo '@40000000650000003b9aca00 nanoseconds = 10^9'
        echo '@400000006500000000000000@400000006500000000000000'
        echo 'plain line'
    } > "$T/in"
    run tai64nlocal -g < "$T/in"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = '@4000000065000000000000ag bad hex' ]
    [ "${lines[1]}" = '@40000000650000000000000 too short label' ]
    [ "${lines[2]}" = '#400000006500000000000000 no at' ]
    [ "${lines[3]}" = ' @400000006500000000000000 leading space' ]
    [ "${lines[4]}" = '@40000000650000003b9aca00 nanoseconds = 10^9' ]
    # only the first label of a line is converted
    [ "${lines[5]}" = '2023-09-12 06:06:19.000000000@400000006500000000000000' ]
    [ "${lines[6]}" = 'plain line' ]
}

@test "tai64nlocal: upper-case hex digits are accepted" {
    run tai64nlocal -g <<< '@40000000650000003B9AC9FF max'
    [ "$output" = '2023-09-12 06:06:19.999999999 max' ]
    run tai64nlocal -g <<< '@400000006500000000000aBc mixed'
    [ "$output" = '2023-09-12 06:06:19.000002748 mixed' ]
}

@test "tai64nlocal: binary bytes and NULs pass through" {
    printf '@400000006500000000000000 \0\377x\n\0@400000006500000000000000 y\n' > "$T/in"
    tai64nlocal -g < "$T/in" > "$T/out"
    printf '2023-09-12 06:06:19.000000000 \0\377x\n\0@400000006500000000000000 y\n' | cmp - "$T/out"
}

@test "tai64nlocal: lines of 1 MiB, with and without a label" {
    big=$(head -c 1048576 /dev/zero | tr '\0' z)
    {
        echo "@400000006500000000000000 $big"
        echo "$big"
        printf '%s' "@400000006500000000000000$big"
    } > "$T/in"
    tai64nlocal -g < "$T/in" > "$T/out"
    [ "$(awk '{ print length($0) }' "$T/out" | tr '\n' ' ')" = "1048606 1048576 1048605 " ]
    [ "$(tail -c 1 "$T/out")" = z ]
    [ "$(cut -c1-29 "$T/out" | head -c 29)" = '2023-09-12 06:06:19.000000000' ]
    [ "$(tail -n 1 "$T/out" | cut -c1-30)" = '2023-09-12 06:06:19.000000000z' ]
}

@test "tai64nlocal: many short lines, labels across read boundaries" {
    # line lengths vary, so labels straddle every 64 KiB read of the file
    awk 'BEGIN { for (i = 0; i < 40000; i++) { s = ""; for (j = 0; j < i % 23; j++) s = s "x";
                 printf "@4000000065000000%08x %s\n", i, s } }' > "$T/in"
    tai64nlocal -g < "$T/in" > "$T/out"
    [ "$(grep -c '^2023-09-12 06:06:19\.[0-9]\{9\} x*$' "$T/out")" -eq 40000 ]
    [ "$(sed -n '40000p' "$T/out")" = '2023-09-12 06:06:19.000039999 xx' ]
    # the same through a pipe, in small chunks
    dd if="$T/in" bs=7 status=none | tai64nlocal -g | cmp - "$T/out"
}

@test "tai64nlocal: a label split across writes, and prompt output on a pipe" {
    mkfifo "$T/fifo"
    tai64nlocal -g < "$T/fifo" > "$T/out" 3>&- &
    pid=$!
    track_pid "$pid"
    exec 5> "$T/fifo"
    echo '@400000006500000000000000 one' >&5
    wait_for 5 grep -q '^2023-09-12 06:06:19.000000000 one$' "$T/out"
    printf '@4000000065000000' >&5
    # once it waits for more input, it has read the half label (and written nothing)
    wait_for 2 grep -q pipe_read "/proc/$pid/wchan" || true
    [ "$(wc -l < "$T/out")" -eq 1 ]
    printf '00000001 two\n' >&5
    wait_for 5 grep -q '^2023-09-12 06:06:19.000000001 two$' "$T/out"
    exec 5>&-
    wait "$pid"
}

@test "tai64nlocal: I/O errors exit 111" {
    expect_fail 111 'tai64nlocal: fatal: unable to write to stdout: No space left on device' \
        sh -c 'echo x | tai64nlocal > /dev/full'
    expect_fail 111 'tai64nlocal: fatal: unable to read from stdin: Is a directory' \
        sh -c 'tai64nlocal < /'
}

@test "tai64nlocal: usage errors exit 100" {
    expect_usage tai64nlocal -x
    expect_usage tai64nlocal file
    expect_usage tai64nlocal -g file
    expect_usage tai64nlocal -- file
    run tai64nlocal -g -- < /dev/null
    [ "$status" -eq 0 ]
}

# Fixed input for the s6 comparisons: leap seconds, bounds, short and invalid lines.
fixture() {
    for s in 1483228834 1483228835 1483228836 1483228837 78796810 9 10 1694498816; do
        label "$s" 123; echo " line $s"
    done
    printf '%s x\n' @400000010000000000000000 @8000000000000000000000ff @40000000650000000000ABCD
    printf '@400000006500000000000000\n@40000000650000000000000\nshort\n\n@\n'
    echo '@4000000065000000000000ag bad'
    printf '@400000006500000000000000 unterminated'
}

@test "tai64nlocal: same output as s6-tai64nlocal, in several time zones" {
    need_s6 s6-tai64nlocal
    fixture > "$T/in"
    zones="UTC XYZ-9 ABC+7"
    [ -f /usr/share/zoneinfo/Europe/Paris ] && zones="$zones Europe/Paris America/New_York"
    # zones whose time_t counts leap seconds: both tools detect them
    [ -f /usr/share/zoneinfo/right/UTC ] && zones="$zones right/UTC right/Asia/Tokyo"
    for z in $zones; do
        for g in "" -g; do
            # shellcheck disable=SC2086
            TZ=$z s6-tai64nlocal $g < "$T/in" > "$T/s6"
            # shellcheck disable=SC2086
            TZ=$z tai64nlocal $g < "$T/in" > "$T/keel"
            cmp "$T/s6" "$T/keel"
        done
    done
}

@test "tai64nlocal: same output as s6-tai64nlocal on tai64n output" {
    need_s6 s6-tai64nlocal
    { seq 500; head -c 1048576 /dev/zero | tr '\0' q; } | tai64n > "$T/in"
    cmp <(TZ=XYZ-9 s6-tai64nlocal < "$T/in") <(TZ=XYZ-9 tai64nlocal < "$T/in")
    cmp <(s6-tai64nlocal -g < "$T/in") <(tai64nlocal -g < "$T/in")
}

@test "tai64nlocal: same exit codes as s6-tai64nlocal on errors" {
    need_s6 s6-tai64nlocal
    for tool in s6-tai64nlocal tai64nlocal; do
        run sh -c "echo x | $tool > /dev/full"
        [ "$status" -eq 111 ]
        run sh -c "$tool < /"
        [ "$status" -eq 111 ]
        run --separate-stderr "$tool" -x
        [ "$status" -eq 100 ]
        [ "${stderr#s6-}" = 'tai64nlocal: usage: tai64nlocal [ -g ]' ] || [[ $stderr == s6-* ]]
    done
}
