#!/usr/bin/env bats
# init-telinit: asks init-runleveld (on the fixed socket, in a private mount namespace with a
# tmpfs /run: tests/runlevel.bash) to run the runlevel script with its stdio and environment;
# exit codes, signals, stage1's options, 0 and 6 through a fake init-hpr, and errors.

load helper
load runlevel

setup() {
    keel_setup
    need_root
    rl_basedir "$T/base"
    # A fake init-hpr that records its arguments: telinit finds it through KEEL_BINDIR.
    mkdir "$T/fakebin"
    printf '#!/bin/sh\nprintf "%%s\\n" "$@" > "%s/hpr.args"\nexit 7\n' "$T" > "$T/fakebin/init-hpr"
    chmod 755 "$T/fakebin/init-hpr"
}

@test "init-telinit: no runlevel, an empty one, or an unknown option exits 100 with the usage line" {
    expect_usage init-telinit
    expect_usage init-telinit ''
    expect_usage init-telinit -x 3
    expect_usage init-telinit -c
    expect_usage init-telinit -v 1 -c /etc/x
    expect_fail 100 "init-telinit: fatal: runlevel too long" init-telinit "$(printf '%0300d' 0)"
}

@test "init-telinit: runleveld not running exits 111 and says so" {
    # A namespace of our own with an empty /run: no socket at all.
    run --separate-stderr unshare --mount sh -c \
        'mount --make-rprivate / && mount -t tmpfs tmpfs /run || exit 90; exec init-telinit 3'
    [ "$status" = 111 ]
    [ "$stderr" = "init-telinit: fatal: unable to connect to runleveld at $RL_SOCK: No such file or directory" ]
    # A socket nobody listens on any more (runleveld killed, not stopped).
    RL_PRE="sleep 1000 & echo \$! > $T/holder" rl_start "$T/rl2" -c "$T/base"
    track_pid "$(cat "$T/holder")"
    kill -9 "$(rl_pid "$T/rl2")"
    run --separate-stderr nsenter -t "$(cat "$T/holder")" -m -- init-telinit 3
    [ "$status" = 111 ]
    [ "$stderr" = "init-telinit: fatal: unable to connect to runleveld at $RL_SOCK: Connection refused" ]
    [ ! -e "$T/base/args" ]
}

@test "init-telinit: the script runs with telinit's stdin, stdout, stderr, environment and runlevel" {
    rl_start "$T/rl" -c "$T/base"
    FOO='a b' rl_in "$T/rl" init-telinit 2 < <(echo typed) > "$T/out" 2> "$T/err"
    [ "$(cat "$T/out")" = "out 2" ]
    [ "$(cat "$T/err")" = "err 2" ]
    [ "$(cat "$T/base/in")" = typed ]
    [ "$(cat "$T/base/args")" = 2 ]
    grep -qx 'FOO=a b' "$T/base/env"
    grep -qx "KEEL_BINDIR=$KEEL_BINDIR" "$T/base/env"
}

@test "init-telinit: exits with the script's code; a signal gives 128+n and a message" {
    rl_start "$T/rl" -c "$T/base"
    CODE=3 run --separate-stderr rl_in "$T/rl" init-telinit 3 < /dev/null
    [ "$status" = 3 ]
    [ "$output" = "out 3" ]
    [ "$stderr" = "err 3" ]
    CODE=0 run rl_in "$T/rl" init-telinit 3 < /dev/null
    [ "$status" = 0 ]
    RL_EXTRA='kill -TERM $$' run --separate-stderr rl_in "$T/rl" init-telinit 4 < /dev/null
    [ "$status" = 143 ]
    [ "$stderr" = $'err 4\ninit-telinit: fatal: runlevel script killed by signal SIGTERM' ]
    RL_EXTRA='kill -KILL $$' run --separate-stderr rl_in "$T/rl" init-telinit 4 < /dev/null
    [ "$status" = 137 ]
    [ "$stderr" = $'err 4\ninit-telinit: fatal: runlevel script killed by signal SIGKILL' ]
}

@test "init-telinit: stage1's options are accepted and ignored (init 3 as a user)" {
    rl_start "$T/rl" -c "$T/base"
    run rl_in "$T/rl" init-telinit -v 2 -c /etc/x -p /bin -s /run/env -m 0022 -d /dev \
        -D 3 -n -N -C -B -W 3 -- 5 extra < /dev/null
    [ "$status" = 0 ]
    [ "$(cat "$T/base/args")" = 5 ]
    run rl_in "$T/rl" init-telinit -nC -v1 1 < /dev/null
    [ "$status" = 0 ]
    [ "$(cat "$T/base/args")" = 1 ]
}

@test "init-telinit: 0 and 6 change the runlevel, then exec init-hpr -p / -r" {
    rl_start "$T/rl" -c "$T/base"
    KEEL_BINDIR=$T/fakebin run rl_in "$T/rl" init-telinit 0 < /dev/null
    [ "$status" = 7 ]
    [ "$(cat "$T/base/args")" = 0 ]
    [ "$(cat "$T/hpr.args")" = -p ]
    rm "$T/hpr.args"
    KEEL_BINDIR=$T/fakebin run rl_in "$T/rl" init-telinit -c /etc/x 6 < /dev/null
    [ "$status" = 7 ]
    [ "$(cat "$T/base/args")" = 6 ]
    [ "$(cat "$T/hpr.args")" = -r ]
}

@test "init-telinit: a failed change to 0 or 6 exits with its code and does not run init-hpr" {
    rl_start "$T/rl" -c "$T/base"
    CODE=2 KEEL_BINDIR=$T/fakebin run --separate-stderr rl_in "$T/rl" init-telinit 0 < /dev/null
    [ "$status" = 2 ]
    [ "$stderr" = $'err 0\ninit-telinit: fatal: runlevel script exited 2: not powering off' ]
    RL_EXTRA='kill -9 $$' KEEL_BINDIR=$T/fakebin run --separate-stderr rl_in "$T/rl" init-telinit 6 < /dev/null
    [ "$status" = 137 ]
    [ "$stderr" = $'err 6\ninit-telinit: fatal: runlevel script killed by signal SIGKILL' ]
    [ ! -e "$T/hpr.args" ]
    # No init-hpr where KEEL_BINDIR points: 127, as any failed exec.
    KEEL_BINDIR=$T/nothing run -127 --separate-stderr rl_in "$T/rl" init-telinit 6 < /dev/null
    [ "$stderr" = $'err 6\ninit-telinit: fatal: unable to exec '"$T/nothing/init-hpr"': No such file or directory' ]
}

@test "init-telinit: runleveld stopped during the change still answers; killed, it cannot (111)" {
    rl_start "$T/rl" -c "$T/base"
    local pid
    pid=$(rl_pid "$T/rl")
    CODE=4 RL_EXTRA="kill -TERM $pid" run rl_in "$T/rl" init-telinit 3 < /dev/null
    [ "$status" = 4 ]
    rl_stop "$T/rl"
    [ "$rl_status" = 0 ]
    rl_start "$T/rl" -c "$T/base"
    pid=$(rl_pid "$T/rl")
    RL_EXTRA="kill -KILL $pid; sleep 0.5" run --separate-stderr rl_in "$T/rl" init-telinit 3 < /dev/null
    [ "$status" = 111 ]
    [ "$stderr" = $'err 3\ninit-telinit: fatal: runleveld closed the connection without an answer' ]
}

@test "init-telinit: stage1 run by a user (not pid 1) lands here, options and all" {
    rl_start "$T/rl" -c "$T/base"
    run rl_in "$T/rl" stage1 -v 1 -c /etc/x -m 0022 -B -- 4 < /dev/null
    [ "$status" = 0 ]
    [ "$output" = $'out 4\nerr 4' ]
    [ "$(cat "$T/base/args")" = 4 ]
}

@test "init-telinit: 0 with the real init-hpr, no shutdownd in this /run: init-hpr's own error" {
    rl_start "$T/rl" -c "$T/base"
    # In a child PID namespace too: whatever init-hpr did, it could not reach the host.
    run --separate-stderr rl_in "$T/rl" unshare --pid --fork init-telinit 0 < /dev/null
    [ "$(cat "$T/base/args")" = 0 ]
    [ "$status" = 100 ]
    [ "$stderr" = $'err 0\ninit-hpr: fatal: unable to talk to shutdownd: Operation not permitted' ]
}
