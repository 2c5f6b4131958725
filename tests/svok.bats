#!/usr/bin/env bats
# svok: 0 while a supervisor holds DIR/supervise/lock, 1 otherwise, against every supervisor;
# s6-svok gives the same answers.

load helper



# same_as_s6 DIR: s6-svok exits as svok does.
same_as_s6() {
    command -v s6-svok >/dev/null || return 0
    local k s
    svok "$1" && k=0 || k=$?
    s6-svok "$1" && s=0 || s=$?
    [ "$k" = "$s" ] || { echo "svok $1: $k, s6-svok: $s"; return 1; }
}

@test "svok: 0 while supervised, 1 once the supervisor is gone" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        run svok "$d"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        same_as_s6 "$d"
        stop_sv "$d"
        run svok "$d"
        [ "$status" -eq 1 ]
        [ -z "$output" ]
        same_as_s6 "$d"
    done
}

@test "svok: a lock held by anybody counts; a lock file nobody holds does not" {
    mkdir -p "$T/svc/supervise"
    : > "$T/svc/supervise/lock"
    run svok "$T/svc"
    [ "$status" -eq 1 ]
    same_as_s6 "$T/svc"
    setlock "$T/svc/supervise/lock" sleep 100000 </dev/null >/dev/null 2>&1 3>&- &
    track_pid $!
    disown $!
    wait_for 5 svok "$T/svc"
    same_as_s6 "$T/svc"
}

@test "svok: no service dir, no supervise/, no lock file: 1" {
    run svok "$T/none"
    [ "$status" -eq 1 ]
    same_as_s6 "$T/none"
    mkdir "$T/svc"
    run svok "$T/svc"
    [ "$status" -eq 1 ]
    mkdir "$T/svc/supervise"
    run svok "$T/svc"
    [ "$status" -eq 1 ]
    same_as_s6 "$T/svc"
}

@test "svok: a broken path is 111" {
    touch "$T/file"
    expect_fail 111 "svok: fatal: unable to check $T/file: Not a directory" svok "$T/file"
    mkdir "$T/svc"
    touch "$T/svc/supervise"
    expect_fail 111 "svok: fatal: unable to check $T/svc: Not a directory" svok "$T/svc"
    need_s6 s6-svok
    run --separate-stderr s6-svok "$T/svc"
    [ "$status" -eq 111 ]
    [ "$stderr" = "s6-svok: fatal: unable to check $T/svc: Not a directory" ]
}

@test "svok: usage" {
    expect_usage svok
    expect_usage svok -x "$T"
    run svok -- "$T/none"
    [ "$status" -eq 1 ]
}

@test "svok: names with spaces and newlines" {
    d="$T/my
svc"
    mkdir -p "$d/supervise"
    setlock "$d/supervise/lock" sleep 100000 </dev/null >/dev/null 2>&1 3>&- &
    track_pid $!
    disown $!
    wait_for 5 svok "$d"
}
