#!/usr/bin/env bats
# svscanctl: the bytes it writes (the same as s6-svscanctl's, in one write), every error case,
# and the effect of each letter on a live scanner: keel's svscan when built, and s6-svscan.

load helper

# Scanner helpers (scanners, start_scan, scan_pid, stop_scan, control_ready, up_pid, is_up,
# nothing_under) are in tests/helper.bash; keel_teardown kills whatever a test left under $T.

not_svok() { ! svok "$1"; }

# tree BASE: BASE/scan with a logged service foo (BASE/svc/foo, linked in), whose run prints a
# line and sleeps; LOGGER is the logger's run body; BASE/scan/.s6-svscan/finish records its
# argument count in BASE/finish.out.
tree() {
    local base=$1 logger=${2:-exec sleep 100000}
    mkdir -p "$base/scan/.s6-svscan" "$base/svc"
    make_service "$base/svc/foo" 'echo foo-out; exec sleep 100000'
    make_service "$base/svc/foo/log" "$logger"
    printf '#!/bin/sh\necho "$#" > "%s/finish.out"\n' "$base" > "$base/scan/.s6-svscan/finish"
    chmod 755 "$base/scan/.s6-svscan/finish"
    ln -s "$base/svc/foo" "$base/scan/foo"
}

# Starts the tree of BASE under SCANNER and waits for foo and its logger to be up.
run_tree() {
    start_scan "$2/scan" "$1"
    wait_for 5 is_up "$2/svc/foo"
    wait_for 5 is_up "$2/svc/foo/log"
}

# --- the bytes -------------------------------------------------------------------------------

# fake_scanner DIR OUT: DIR/.s6-svscan/control is a FIFO whose bytes are appended to OUT.
fake_scanner() {
    mkdir -p "$1/.s6-svscan"
    mkfifo "$1/.s6-svscan/control"
    : > "$2"
    ( exec 4<>"$1/.s6-svscan/control"; exec cat <&4 >>"$2" ) 3>&- &
    track_pid $!
    wait_for 5 control_ready "$1"
}
holds() { [ "$(cat "$1")" = "$2" ]; }

@test "svscanctl writes its letters in command-line order, as s6-svscanctl does" {
    fake_scanner "$T/k" "$T/k.bytes"
    svscanctl -zabhitqnN "$T/k"
    wait_for 5 holds "$T/k.bytes" zabhitqnN
    svscanctl -N -n -a -aa "$T/k"
    wait_for 5 holds "$T/k.bytes" zabhitqnNNnaaa
    svscanctl "$T/k"
    holds "$T/k.bytes" zabhitqnNNnaaa
    need_s6 s6-svscanctl
    fake_scanner "$T/s" "$T/s.bytes"
    s6-svscanctl -zabhitqnN "$T/s"
    s6-svscanctl -N -n -a -aa "$T/s"
    s6-svscanctl "$T/s"
    wait_for 5 holds "$T/s.bytes" zabhitqnNNnaaa
}

@test "svscanctl: all letters in one write" {
    need_cmd strace
    fake_scanner "$T/k" "$T/k.bytes"
    letters=$(printf 'a%.0s' $(seq 64))
    # (no leak check: LeakSanitizer cannot run under ptrace)
    ASAN_OPTIONS=detect_leaks=0 strace -f -s 200 -e trace=write -o "$T/trace" \
        svscanctl -"$letters" "$T/k"
    wait_for 5 holds "$T/k.bytes" "$letters"
    [ "$(grep -c '^[0-9]* *write(' "$T/trace")" = 1 ]
    grep -Eq "write\([0-9]+, \"$letters\", 64\) += 64$" "$T/trace"
}

# --- errors ----------------------------------------------------------------------------------

@test "svscanctl: usage errors, legacy letters included" {
    expect_usage svscanctl
    expect_usage svscanctl -a
    expect_usage svscanctl -x "$T"
    for l in p r s 0 6 7 8; do
        expect_usage svscanctl -"$l" "$T"
        expect_usage svscanctl -a"$l" "$T"
    done
}

@test "svscanctl: at most 64 letters" {
    fake_scanner "$T/k" "$T/k.bytes"
    svscanctl -"$(printf 'z%.0s' $(seq 64))" "$T/k"
    expect_fail 100 "svscanctl: fatal: too many commands" \
        svscanctl -"$(printf 'z%.0s' $(seq 65))" "$T/k"
    expect_fail 100 "svscanctl: fatal: too many commands" \
        svscanctl -"$(printf 'z%.0s' $(seq 64))" -a "$T/k"
}

@test "svscanctl: no scanner listening" {
    mkdir -p "$T/plain" "$T/dead/.s6-svscan"
    mkfifo "$T/dead/.s6-svscan/control"
    expect_fail 100 "svscanctl: fatal: unable to control $T/plain: supervisor not listening" \
        svscanctl -a "$T/plain"
    expect_fail 100 "svscanctl: fatal: unable to control $T/dead: supervisor not listening" \
        svscanctl -a "$T/dead"
}

@test "svscanctl: a broken .s6-svscan exits 100, other failures 111" {
    mkdir -p "$T/nofifo/.s6-svscan" "$T/isdir/.s6-svscan/control" "$T/file"
    touch "$T/file/.s6-svscan"
    wrong="svscanctl: fatal: something is wrong with the"
    expect_fail 100 "$wrong $T/nofifo/.s6-svscan directory: No such file or directory" \
        svscanctl -a "$T/nofifo"
    expect_fail 100 "$wrong $T/isdir/.s6-svscan directory: Is a directory" \
        svscanctl -a "$T/isdir"
    expect_fail 100 "$wrong $T/file/.s6-svscan directory: Not a directory" \
        svscanctl -a "$T/file"
    expect_fail 111 "svscanctl: fatal: unable to control $T/none: No such file or directory" \
        svscanctl -a "$T/none"
    expect_fail 111 "svscanctl: fatal: unable to control : No such file or directory" \
        svscanctl -a ''
    long=$T/$(printf 'x%.0s' $(seq 5000))
    expect_fail 111 "svscanctl: fatal: unable to control $long: File name too long" \
        svscanctl -a "$long"
}

@test "svscanctl: the same exit codes as s6-svscanctl" {
    need_s6 s6-svscanctl
    mkdir -p "$T/plain" "$T/dead/.s6-svscan" "$T/nofifo/.s6-svscan" "$T/file" "$T/sp ace"
    mkfifo "$T/dead/.s6-svscan/control"
    touch "$T/file/.s6-svscan"
    fake_scanner "$T/live" "$T/live.bytes"
    for args in "-a $T/plain" "-a $T/dead" "-a $T/nofifo" "-a $T/file" "-a $T/none" \
                "-a $T/live" "-x $T/live" "-p $T/live" "-8 $T/live" "-a" "" "-b -- $T/live"; do
        run svscanctl $args
        k=$status
        run s6-svscanctl $args
        [ "$k" = "$status" ] || { echo "svscanctl $args: $k, s6-svscanctl: $status"; false; }
    done
    run --separate-stderr s6-svscanctl -a "$T/none"
    [ "s6-$(svscanctl -a "$T/none" 2>&1)" = "$stderr" ]
}

# --- each letter, live -----------------------------------------------------------------------

@test "svscanctl -a: a new service gets a supervisor; -z changes nothing visible" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        mkdir -p "$b/scan" "$b/svc"
        make_service "$b/svc/new"
        start_scan "$b/scan" "$sc"
        ln -s "$b/svc/new" "$b/scan/new"
        svscanctl -a "$b/scan"
        wait_for 5 is_up "$b/svc/new"
        svscanctl -z "$b/scan"
        svscanctl -zz "$b/scan"
        control_ready "$b/scan"
        kill -0 "$(scan_pid "$b/scan")"
        [ ! -s "$b/scan.log" ]
        stop_scan "$b/scan"
        wait_for 5 nothing_under "$b"
    done
}

@test "svscanctl -an / -h: a removed service's supervisor stops, its logger's waits for it" {
    for sc in $(scanners); do
        for cmd in -an -h; do
            b=$T/$(basename "$sc")$cmd
            tree "$b"
            run_tree "$sc" "$b"
            rm "$b/scan/foo"
            svscanctl "$cmd" "$b/scan"
            wait_for 5 not_svok "$b/svc/foo"
            # SIGHUP: the logger's supervisor exits only once its logger has died by itself.
            logger=$(up_pid "$b/svc/foo/log")
            svok "$b/svc/foo/log"
            kill -0 "$logger"
            kill "$logger"
            wait_for 5 not_svok "$b/svc/foo/log"
            control_ready "$b/scan"
            stop_scan "$b/scan"
            wait_for 5 nothing_under "$b"
        done
    done
}

@test "svscanctl -aN: a removed service's logger is stopped too" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        tree "$b"
        run_tree "$sc" "$b"
        logger=$(up_pid "$b/svc/foo/log")
        rm "$b/scan/foo"
        svscanctl -aN "$b/scan"
        wait_for 5 not_svok "$b/svc/foo"
        wait_for 5 not_svok "$b/svc/foo/log"
        wait_for 5 gone "$logger"
        stop_scan "$b/scan"
        wait_for 5 nothing_under "$b"
    done
}

@test "svscanctl -t / -i: services stop, loggers drain, finish runs with no arguments" {
    for sc in $(scanners); do
        for cmd in -t -i; do
            b=$T/$(basename "$sc")$cmd
            tree "$b" "exec cat > $b/logged"
            run_tree "$sc" "$b"
            wait_for 5 grep -q foo-out "$b/logged"
            svscanctl "$cmd" "$b/scan"
            wait_for 10 gone "$(scan_pid "$b/scan")"
            [ "$(cat "$b/finish.out")" = 0 ]
            wait_for 5 nothing_under "$b"
            [ "$(cat "$b/logged")" = foo-out ]
        done
    done
}

@test "svscanctl -q: loggers are stopped too" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        tree "$b"
        run_tree "$sc" "$b"
        logger=$(up_pid "$b/svc/foo/log")
        svscanctl -q "$b/scan"
        wait_for 10 gone "$(scan_pid "$b/scan")"
        [ "$(cat "$b/finish.out")" = 0 ]
        gone "$logger"
        wait_for 5 nothing_under "$b"
    done
}

@test "svscanctl -b: the scanner runs finish at once and leaves its supervisors running" {
    for sc in $(scanners); do
        b=$T/$(basename "$sc")
        tree "$b"
        run_tree "$sc" "$b"
        svscanctl -b "$b/scan"
        wait_for 5 gone "$(scan_pid "$b/scan")"
        [ "$(cat "$b/finish.out")" = 0 ]
        svok "$b/svc/foo"
        svok "$b/svc/foo/log"
        is_up "$b/svc/foo"
        svc -dx "$b/svc/foo" "$b/svc/foo/log"
        wait_for 5 nothing_under "$b"
    done
}
