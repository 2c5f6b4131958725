#!/usr/bin/env bats
# svdt: one line per death_tally record, oldest first, against every supervisor; s6-svdt
# prints the same; hand-made tallies (bad sizes, bad stamps, nameless signals).

load helper

is_up() { [ "$(st_pid "$1")" != 0 ] && [ -n "$(st_pid "$1")" ]; }
tally_records() { [ "$(( $(stat -c %s "$1/supervise/death_tally") / 14 ))" = "$2" ]; }


put_hex() { local h; h=$(printf '%s' "${*:2}" | tr -d ' '); perl -e 'print pack("H*", $ARGV[0])' "$h" > "$1"; }

# A service that dies three ways: exit 3, SIGTERM, SIGKILL. Started once each (down file).
three_deaths() {
    local d=$1 sv=$2
    make_service "$d" '[ -e ./code ] && exit "$(cat ./code)"; exec sleep 100000'
    touch "$d/down"
    echo 3 > "$d/code"
    start_sv "$d" "$sv"
    svc -o "$d"
    wait_for 5 tally_records "$d" 1
    rm "$d/code"
    svc -o "$d"
    wait_for 5 is_up "$d"
    svc -d "$d"
    wait_for 5 tally_records "$d" 2
    svc -o "$d"
    wait_for 5 is_up "$d"
    svc -k "$d"
    wait_for 5 tally_records "$d" 3
}

@test "svdt: exit codes and signal names, oldest first; -s numbers; s6-svdt agrees" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        three_deaths "$d" "$sv"
        run svdt "$d"
        [ "$status" -eq 0 ]
        [ "${#lines[@]}" -eq 3 ]
        [[ "${lines[0]}" =~ ^@[0-9a-f]{24}\ exitcode\ 3$ ]]
        [[ "${lines[1]}" =~ ^@[0-9a-f]{24}\ signal\ SIGTERM$ ]]
        [[ "${lines[2]}" =~ ^@[0-9a-f]{24}\ signal\ SIGKILL$ ]]
        # the record's stamp is the stamp of the down status written at that death
        [ "${lines[2]%% *}" = "$(svstat -o updownsince "$d")" ]
        run svdt -s "$d"
        [[ "${lines[1]}" =~ \ signal\ 15$ ]]
        [[ "${lines[2]}" =~ \ signal\ 9$ ]]
        [[ "${lines[0]}" =~ \ exitcode\ 3$ ]]
        run svdt -s -S "$d"
        [[ "${lines[2]}" =~ \ signal\ SIGKILL$ ]]
        if command -v s6-svdt >/dev/null; then
            [ "$(svdt "$d")" = "$(s6-svdt "$d")" ]
            [ "$(svdt -s "$d")" = "$(s6-svdt -s "$d")" ]
            [ "$(svdt -n 2 "$d")" = "$(s6-svdt -n 2 "$d")" ]
        fi
        stop_sv "$d"
    done
}

@test "svdt -n: only the latest records; 0 prints nothing; big values are clamped" {
    mkdir -p "$T/svc/supervise"
    put_hex "$T/svc/supervise/death_tally" \
        "400000006b0bc70c3576a3f7 0100" "400000006b0bc70d3576a3f7 8f0f" "400000006b0bc70e3576a3f7 8909"
    run svdt -n 2 "$T/svc"
    [ "$status" -eq 0 ]
    [ "$output" = "@400000006b0bc70d3576a3f7 signal SIGTERM
@400000006b0bc70e3576a3f7 signal SIGKILL" ]
    run svdt -n 1 -s "$T/svc"
    [ "$output" = "@400000006b0bc70e3576a3f7 signal 9" ]
    run svdt -n 0 "$T/svc"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    run svdt -n 99999999 "$T/svc"
    [ "${#lines[@]}" -eq 3 ]
    [ "${lines[0]}" = "@400000006b0bc70c3576a3f7 exitcode 1" ]
    need_s6 s6-svdt
    [ "$(svdt "$T/svc")" = "$(s6-svdt "$T/svc")" ]
}

@test "svdt: a signal without a name shows as SIG and its number" {
    mkdir -p "$T/svc/supervise"
    put_hex "$T/svc/supervise/death_tally" "400000006b0bc70c3576a3f7 a828"
    [ "$(svdt "$T/svc")" = "@400000006b0bc70c3576a3f7 signal SIG40" ]
    [ "$(svdt -s "$T/svc")" = "@400000006b0bc70c3576a3f7 signal 40" ]
}

@test "svdt: no tally, or a tally of a bad size, is empty (and left as it is)" {
    mkdir -p "$T/svc/supervise"
    run svdt "$T/svc"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    [ ! -e "$T/svc/supervise/death_tally" ]
    printf 'abcdefghijklmnopqrstu' > "$T/svc/supervise/death_tally"
    run svdt "$T/svc"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    [ "$(cat "$T/svc/supervise/death_tally")" = abcdefghijklmnopqrstu ]
}

@test "svdt: errors" {
    expect_fail 111 "svdt: fatal: unable to read death tally for service $T/none: No such file or directory" svdt "$T/none"
    mkdir "$T/svc"
    expect_fail 111 "svdt: fatal: unable to read death tally for service $T/svc: No such file or directory" svdt "$T/svc"
    mkdir "$T/svc/supervise"
    put_hex "$T/svc/supervise/death_tally" "400000006b0bc70cffffffff 0100"
    expect_fail 111 "svdt: fatal: unable to read death tally for service $T/svc: invalid timestamp in a record" svdt "$T/svc"
    need_s6 s6-svdt
    run --separate-stderr s6-svdt "$T/none"
    [ "$status" -eq 111 ]
    [ "$stderr" = "s6-svdt: fatal: unable to read death tally for service $T/none: No such file or directory" ]
}

@test "svdt: usage" {
    expect_usage svdt
    expect_usage svdt -n x "$T"
    expect_usage svdt -n -1 "$T"
    expect_usage svdt -n
    expect_usage svdt -x "$T"
}
