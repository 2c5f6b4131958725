#!/usr/bin/env bats
# svperms: shows and sets who may read status, control and subscribe, on dirs made by every
# supervisor and by hand; s6-svperms (2.11 has it) prints the same.

load helper



# A service dir as a supervisor leaves it: supervise/ 0700, its control FIFO 0600, event/ 03730.
make_dirs() {
    mkdir -p "$1"
    mkdir -m 0700 "$1/supervise"
    mkfifo -m 0600 "$1/supervise/control"
    mkdir -m 0700 "$1/event"
    chmod 03730 "$1/event"
}

# modes DIR: the modes and groups of supervise/, control and event/.
modes() { stat -c '%a %g' "$1/supervise" "$1/supervise/control" "$1/event" | tr '\n' ' '; }

# same_as_s6 ARGS... DIR: s6-svperms says the same (status, stdout, stderr modulo "s6-").
same_as_s6() {
    command -v s6-svperms >/dev/null || return 0
    run --separate-stderr s6-svperms "$@"
    local s6status=$status s6out=$output s6err=$stderr
    run --separate-stderr svperms "$@"
    [ "$status" = "$s6status" ] && [ "$output" = "$s6out" ] && [ "${stderr//svperms:/s6-svperms:}" = "${s6err//: : /: }" ] ||
        { echo "svperms $*: $status [$output] [$stderr]"; echo "s6: $s6status [$s6out] [$s6err]"; return 1; }
}

@test "svperms: the defaults of every supervisor: owner, owner, group of its egid" {
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        run svperms "$d"
        [ "$status" -eq 0 ]
        [ "$output" = "$d status: owner
$d control: owner
$d events: group $(id -gn)" ]
        same_as_s6 "$d"
        stop_sv "$d"
    done
}

@test "svperms: each change option, its modes, and what -v prints" {
    make_dirs "$T/svc"
    d=$T/svc
    g0=$(id -g)
    run svperms -v -g daemon "$d"
    [ "$status" -eq 0 ]
    [ "$output" = "$d status: group daemon
$d control: owner
$d events: group $(id -gn)" ]
    [ "$(modes "$d")" = "710 $(getent group daemon | cut -d: -f3) 600 $g0 3730 $g0 " ]
    run svperms -v -G :5 "$d"
    [ "${lines[0]}" = "$d status: group $(getent group 5 | cut -d: -f1)" ]
    [ "${lines[1]}" = "$d control: group $(getent group 5 | cut -d: -f1)" ]
    [ "$(modes "$d")" = "710 5 620 5 3730 $g0 " ]
    run svperms -v -o "$d"
    [ "${lines[0]}" = "$d status: public" ]
    [ "${lines[1]}" = "$d control: owner" ]
    [ "$(modes "$d")" = "711 $g0 600 $g0 3730 $g0 " ]
    run svperms -v -O :7 -e "$d"
    [ "${lines[0]}" = "$d status: public" ]
    [ "${lines[1]}" = "$d control: group $(getent group 7 | cut -d: -f1)" ]
    [ "${lines[2]}" = "$d events: public" ]
    [ "$(modes "$d")" = "711 $g0 620 7 1733 $g0 " ]
    run svperms -u -E :5 "$d"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    [ "$(modes "$d")" = "700 $g0 600 $g0 3730 5 " ]
    run svperms "$d"
    [ "${lines[2]}" = "$d events: group $(getent group 5 | cut -d: -f1)" ]
    # the last of -e / -E wins, and so does the last of -u -g -G -o -O
    svperms -E :5 -e -G :5 -u "$d"
    [ "$(modes "$d")" = "700 $g0 600 $g0 1733 $g0 " ]
    # -e alone leaves supervise/ as it is
    chmod 0710 "$d/supervise"
    svperms -E :7 "$d"
    [ "$(modes "$d")" = "710 $g0 600 $g0 3730 7 " ]
}

@test "svperms: the same output and modes as s6-svperms" {
    need_s6 s6-svperms
    make_dirs "$T/a"
    make_dirs "$T/b"
    for args in "" "-v -g daemon" "-v -G :5" "-v -o" "-v -O daemon -e" "-v -u -E :7" "-e" "-v"; do
        s6-svperms $args "$T/a" > "$T/s6.out"
        svperms $args "$T/b" > "$T/keel.out"
        [ "$(sed "s|$T/a|DIR|" "$T/s6.out")" = "$(sed "s|$T/b|DIR|" "$T/keel.out")" ]
        [ "$(modes "$T/a")" = "$(modes "$T/b")" ]
    done
    same_as_s6 "$T/a" "$T/b"
}

@test "svperms: public status lets anybody run svstat; owner only does not" {
    need_root
    for sv in $(supervisors); do
        d=$T/$(basename "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        expect_fail 111 "svstat: fatal: unable to check $d: Permission denied" setuidgid nobody svstat -u "$d"
        svperms -o "$d"
        run setuidgid nobody svstat -u "$d"
        [ "$status" -eq 0 ]
        [ "$output" = true ]
        # but control stays with the owner
        expect_fail 111 "svc: warning: unable to control $d: Permission denied" setuidgid nobody svc -d "$d"
        svperms -u "$d"
        stop_sv "$d"
    done
}

@test "svperms: wrong modes and missing files are warnings, and exit 1" {
    make_dirs "$T/svc"
    d=$T/svc
    chmod 0777 "$d/supervise"
    expect_fail 1 "svperms: warning: $d/supervise has incorrect permissions: 777" svperms "$d"
    [ "$output" = "$d events: group $(id -gn)" ]
    chmod 0701 "$d/supervise"
    expect_fail 1 "svperms: warning: $d/supervise has incorrect permissions: 701" svperms "$d"
    chmod 0700 "$d/supervise"
    chmod 0640 "$d/supervise/control"
    expect_fail 1 "svperms: warning: $d/supervise/control has incorrect permissions: 640" svperms "$d"
    [ "${lines[0]}" = "$d status: owner" ]
    chmod 0600 "$d/supervise/control"
    chmod 00755 "$d/event"
    expect_fail 1 "svperms: warning: $d/event has incorrect permissions: 755" svperms "$d"
    same_as_s6 "$d"
    rm -r "$d/event"
    touch "$d/event"
    expect_fail 1 "svperms: warning: $d/event is not a directory" svperms "$d"
    same_as_s6 "$d"
    rm "$d/supervise/control"
    touch "$d/supervise/control"
    run --separate-stderr svperms "$d"
    [ "$status" -eq 1 ]
    [ "${stderr_lines[0]}" = "svperms: warning: $d/supervise/control is not a named pipe" ]
    run --separate-stderr svperms "$T/none"
    [ "$status" -eq 1 ]
    [ -z "$output" ]
    [ "${stderr_lines[0]}" = "svperms: warning: unable to stat $T/none/supervise: No such file or directory" ]
    [ "${stderr_lines[1]}" = "svperms: warning: unable to stat $T/none/event: No such file or directory" ]
    same_as_s6 "$T/none"
    # one bad DIR among good ones: all are shown
    make_dirs "$T/ok"
    run --separate-stderr svperms "$T/none" "$T/ok"
    [ "$status" -eq 1 ]
    [ "${#lines[@]}" -eq 3 ]
}

@test "svperms: a change that cannot be made is fatal (111)" {
    expect_fail 111 "svperms: fatal: unable to stat $T/none/supervise: No such file or directory" svperms -u "$T/none"
    mkdir -p "$T/svc/supervise"
    expect_fail 111 "svperms: fatal: unable to chown $T/svc/supervise/control: No such file or directory" svperms -G :5 "$T/svc"
    expect_fail 111 "svperms: fatal: unable to chown $T/svc/event: No such file or directory" svperms -E :5 "$T/svc"
}

@test "svperms: groups by name or :gid; bad groups" {
    make_dirs "$T/svc"
    expect_fail 100 "svperms: fatal: unable to find entry for nosuchgroup in group database" svperms -g nosuchgroup "$T/svc"
    expect_usage svperms -g :x "$T/svc"
    expect_usage svperms -E : "$T/svc"
    expect_usage svperms -O :-1 "$T/svc"
    # a gid without a name is shown as its number
    svperms -G :54321 "$T/svc"
    run svperms "$T/svc"
    [ "${lines[0]}" = "$T/svc status: group 54321" ]
    [ "${lines[1]}" = "$T/svc control: group 54321" ]
    same_as_s6 "$T/svc"
}

@test "svperms: usage" {
    expect_usage svperms
    expect_usage svperms -v
    expect_usage svperms -x "$T"
    expect_usage svperms -g
}
