#!/usr/bin/env bats
# svdt-clear: empties supervise/death_tally at once, supervised or not; the supervisor goes on
# appending to it.

load helper

is_up() { [ "$(st_pid "$1")" != 0 ] && [ -n "$(st_pid "$1")" ]; }
tally_records() { [ "$(( $(stat -c %s "$1/supervise/death_tally") / 14 ))" = "$2" ]; }


@test "svdt-clear: the tally is empty afterwards, and grows again from there" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        svc -k "$d"
        wait_for 5 tally_records "$d" 1
        run svdt-clear "$d"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        [ -f "$d/supervise/death_tally" ]
        [ ! -s "$d/supervise/death_tally" ]
        [ -z "$(svdt "$d")" ]
        [ ! -e "$d/supervise/death_tally.new" ]
        wait_for 5 is_up "$d"
        svc -d "$d"
        wait_for 5 tally_records "$d" 1
        [[ "$(svdt "$d")" =~ ^@[0-9a-f]{24}\ signal\ SIGTERM$ ]]
        stop_sv "$d"
    done
}

@test "svdt-clear: not supervised, or no tally yet: an empty tally is made" {
    mkdir -p "$T/svc/supervise"
    printf '0123456789abcd' > "$T/svc/supervise/death_tally"
    svdt-clear "$T/svc"
    [ ! -s "$T/svc/supervise/death_tally" ]
    rm "$T/svc/supervise/death_tally"
    svdt-clear "$T/svc"
    [ -f "$T/svc/supervise/death_tally" ]
    [ ! -s "$T/svc/supervise/death_tally" ]
    need_s6 s6-svdt-clear
    printf '0123456789abcd' > "$T/svc/supervise/death_tally"
    s6-svdt-clear "$T/svc"
    [ ! -s "$T/svc/supervise/death_tally" ]
}

@test "svdt-clear: errors" {
    expect_fail 111 "svdt-clear: fatal: unable to clear death tally for service $T/none: No such file or directory" svdt-clear "$T/none"
    mkdir "$T/svc"
    expect_fail 111 "svdt-clear: fatal: unable to clear death tally for service $T/svc: No such file or directory" svdt-clear "$T/svc"
    touch "$T/svc/supervise"
    expect_fail 111 "svdt-clear: fatal: unable to clear death tally for service $T/svc: Not a directory" svdt-clear "$T/svc"
    need_s6 s6-svdt-clear
    run --separate-stderr s6-svdt-clear "$T/svc"
    [ "$status" -eq 111 ]
    [ "$stderr" = "s6-svdt-clear: fatal: unable to clear death tally for service $T/svc: Not a directory" ]
}

@test "svdt-clear: usage" {
    expect_usage svdt-clear
    expect_usage svdt-clear -x "$T"
}
