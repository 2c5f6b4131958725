#!/usr/bin/env bats
# halt-final: reboot(2). Run only inside a child PID namespace (tests/final.bash), where the
# kernel kills the namespace's init instead: its parent (unshare, then timeout, which pass the
# signal on) sees SIGINT for halt and power-off, SIGHUP for reboot.

load helper
load final

@test "-p as pid 1: the namespace's parent sees SIGINT" {
    run in_ns_sh 'exec halt-final -p'
    [ "$status" -eq 130 ]
    [ -z "$output" ]
}

@test "-h as pid 1: SIGINT; -n changes nothing visible here" {
    run in_ns_sh 'exec halt-final -h'
    [ "$status" -eq 130 ]
    run in_ns_sh 'exec halt-final -nh'
    [ "$status" -eq 130 ]
    [ -z "$output" ]
}

@test "-r as pid 1: SIGHUP" {
    run in_ns_sh 'exec halt-final -r'
    [ "$status" -eq 129 ]
    [ -z "$output" ]
}

@test "called by any process of the namespace, it takes pid 1 down, caller included" {
    run --separate-stderr in_ns_sh 'halt-final -n -r; echo "returned $?"'
    [ "$status" -eq 129 ]
    [ -z "$output" ]
    [ -z "$stderr" ]
    # The kernel kills pid 1 at once and ends the caller with status 0 (no error message);
    # the caller's parent, killed with the rest of the namespace, may or may not see that.
    run --separate-stderr in_ns_sh 'sh -c "halt-final -p; echo returned \$?"; echo "pid 1 goes on"'
    [ "$status" -eq 130 ]
    [ -z "$output" ] || [ "$output" = "returned 0" ]
    [ -z "$stderr" ]
}

@test "the last of -h, -p, -r wins" {
    run in_ns_sh 'exec halt-final -r -p'
    [ "$status" -eq 130 ]
    run in_ns_sh 'exec halt-final -ph -r'
    [ "$status" -eq 129 ]
}

@test "without CAP_SYS_BOOT: 111 and the reboot() error" {
    need_cmd setpriv
    expect_fail 111 "halt-final: fatal: unable to reboot(): Operation not permitted" \
        in_ns setpriv --bounding-set=-sys_boot halt-final -p
}

@test "none of -h, -p, -r: 100" {
    expect_fail 100 "halt-final: fatal: one of the -h, -p or -r options must be given" \
        in_ns halt-final
    expect_fail 100 "halt-final: fatal: one of the -h, -p or -r options must be given" \
        in_ns halt-final -n
}

@test "bad options: 100 and the usage line" {
    for args in "-x" "-f -p" "-p extra" "-r -- now"; do
        # shellcheck disable=SC2086
        expect_fail 100 "halt-final: usage: $(usage_of halt-final)" in_ns halt-final $args
    done
}
