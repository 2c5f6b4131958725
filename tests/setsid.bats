#!/usr/bin/env bats
# setsid: -s new session, -b new background process group, -f/-g foreground process group;
# -i fatal, -I warn (default), -q silent; -d ctty or /dev/tty; s6 2.15 long options.
# The exec'd program reports "pid pgid sid tpgid ttou-ignored" from /proc.

load helper

setup() {
    keel_setup
    cat > "$T/ids" <<'EOF'
#!/bin/sh
set -- $(cat /proc/$$/stat)
ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status)
echo "$1 $5 $6 $8 $(( 0x$ign >> 21 & 1 ))"
EOF
    chmod 755 "$T/ids"
    # the session of the test itself
    set -- $(cat /proc/$$/stat)
    my_sid=$6
}

# nocty CMD...: run CMD as a child (not a group leader) in a new session without a terminal.
nocty() { setsid -q sh -c '"$@"; exit $?' sh "$@"; }

# in_pty SCRIPT: run the sh script text in a new session whose controlling terminal is a
# pseudo-terminal (through script(1)); SCRIPT's children are not group leaders.
in_pty() {
    need_cmd script
    printf '#!/bin/sh\n%s\n' "$1" > "$T/pty.sh"
    chmod 755 "$T/pty.sh"
    timeout 10 script -qec "$T/pty.sh" /dev/null < /dev/null > "$T/pty.out" 2>&1
}

need_pty() {
    need_cmd script
    timeout 10 script -qec true /dev/null < /dev/null > /dev/null 2>&1 || skip "no pseudo-terminal"
}

@test "setsid: by default the program leads a new session (pid = pgid = sid)" {
    for opts in "" -s --session "-b -s" "-g -s"; do
        # shellcheck disable=SC2086
        run --separate-stderr setsid $opts "$T/ids"
        [ "$status" -eq 0 ]
        [ -z "$stderr" ]
        read -r pid pgid sid tpgid ttou <<<"$output"
        [ "$pgid" = "$pid" ] && [ "$sid" = "$pid" ] && [ "$sid" != "$my_sid" ]
        [ "$tpgid" = -1 ] # no controlling terminal
    done
}

@test "setsid -b: a new process group in the same session (pgid = pid, sid unchanged)" {
    for opts in -b --background-process-group --process-group "-f -b" "-s --process-group"; do
        # shellcheck disable=SC2086
        run --separate-stderr setsid $opts "$T/ids"
        [ "$status" -eq 0 ]
        [ -z "$stderr" ]
        read -r pid pgid sid tpgid ttou <<<"$output"
        [ "$pgid" = "$pid" ] && [ "$sid" = "$my_sid" ] && [ "$sid" != "$pid" ]
    done
}

@test "setsid -i: a session leader cannot start a session: exit 111" {
    expect_fail 111 "setsid: fatal: unable to setsid: Operation not permitted" setsid setsid -i true
    expect_fail 111 "setsid: fatal: unable to setsid: Operation not permitted" setsid setsid --strict true
    # a process group leader cannot either
    expect_fail 111 "setsid: fatal: unable to setsid: Operation not permitted" setsid -b setsid -i true
}

@test "setsid -i -b: a session leader cannot start a process group: exit 111" {
    expect_fail 111 "setsid: fatal: unable to setpgid: Operation not permitted" setsid setsid -i -b true
}

@test "setsid -I (default): warns and runs the program anyway" {
    for opts in "" -I --no-strict "-q -I" "-i -I"; do
        # shellcheck disable=SC2086
        run --separate-stderr setsid setsid $opts "$T/ids"
        [ "$status" -eq 0 ]
        [ "$stderr" = "setsid: warning: unable to setsid: Operation not permitted" ]
        read -r pid pgid sid tpgid ttou <<<"$output"
        [ "$pgid" = "$pid" ] && [ "$sid" = "$pid" ] # the session the outer setsid made
    done
    run --separate-stderr setsid setsid -b "$T/ids"
    [ "$status" -eq 0 ]
    [ "$stderr" = "setsid: warning: unable to setpgid: Operation not permitted" ]
}

@test "setsid -q: runs the program anyway, silently" {
    for opts in -q --quiet "-i -q" "-I -q"; do
        # shellcheck disable=SC2086
        run --separate-stderr setsid setsid $opts echo ran
        [ "$status" -eq 0 ]
        [ "$output" = ran ]
        [ -z "$stderr" ]
    done
    expect_fail 111 "setsid: fatal: unable to setsid: Operation not permitted" setsid setsid -q -i true
}

@test "setsid -f/-g without a controlling terminal: /dev/tty cannot be opened" {
    for o in -f -g --foreground-process-group --foreground-process-group-grab; do
        expect_fail 111 "setsid: fatal: unable to open /dev/tty: No such device or address" \
            nocty setsid "$o" -i true
    done
    run --separate-stderr nocty setsid -f "$T/ids"
    [ "$status" -eq 0 ]
    [ "$stderr" = "setsid: warning: unable to open /dev/tty: No such device or address" ]
    # the process group was made all the same
    read -r pid pgid sid tpgid ttou <<<"$output"
    [ "$pgid" = "$pid" ] && [ "$sid" != "$pid" ]
    run --separate-stderr nocty setsid -g -q echo ran
    [ "$output" = ran ]
    [ -z "$stderr" ]
}

@test "setsid -d: the terminal is the given descriptor" {
    expect_fail 111 "setsid: fatal: unable to tcsetpgrp: Inappropriate ioctl for device" \
        nocty setsid -g -i -d 0 true < /dev/null
    expect_fail 111 "setsid: fatal: unable to tcsetpgrp: Inappropriate ioctl for device" \
        nocty setsid -g -i --ctty=0 true < /dev/null
    expect_fail 111 "setsid: fatal: unable to tcsetpgrp: Inappropriate ioctl for device" \
        nocty setsid -g -i --ctty 0 true < /dev/null
    expect_fail 111 "setsid: fatal: unable to tcsetpgrp: Bad file descriptor" \
        nocty setsid -f -i -d 9 true 9<&-
    run --separate-stderr nocty setsid -g -d 9 echo ran 9<&-
    [ "$output" = ran ]
    [ "$stderr" = "setsid: warning: unable to tcsetpgrp: Bad file descriptor" ]
    # without -f or -g the terminal is not used
    run --separate-stderr nocty setsid -b -i -d 9 echo ran 9<&-
    [ "$output" = ran ]
    [ -z "$stderr" ]
}

@test "setsid -g: grabs the terminal from the background; SIGTTOU is restored for prog" {
    need_pty
    in_pty "setsid -g -i $T/ids > $T/out 2> $T/err; echo \$? > $T/rc"
    [ "$(cat "$T/rc")" = 0 ]
    [ ! -s "$T/err" ]
    read -r pid pgid sid tpgid ttou < "$T/out"
    [ "$pgid" = "$pid" ] && [ "$tpgid" = "$pid" ] && [ "$sid" != "$pid" ] && [ "$ttou" = 0 ]
    # an ignored SIGTTOU stays ignored
    in_pty "trap '' TTOU; setsid -g -i $T/ids > $T/out 2> $T/err; echo \$? > $T/rc"
    [ "$(cat "$T/rc")" = 0 ]
    read -r pid pgid sid tpgid ttou < "$T/out"
    [ "$tpgid" = "$pid" ] && [ "$ttou" = 1 ]
}

@test "setsid: long options combine like s6 2.15's" {
    need_pty
    in_pty "setsid -i --process-group --foreground --grab $T/ids > $T/out 2> $T/err"
    [ ! -s "$T/err" ]
    read -r pid pgid sid tpgid ttou < "$T/out"
    [ "$pgid" = "$pid" ] && [ "$tpgid" = "$pid" ] && [ "$sid" != "$pid" ]
    # --foreground and --grab do nothing without a process group: a new session
    in_pty "setsid -i --foreground --grab $T/ids > $T/out 2> $T/err"
    [ ! -s "$T/err" ]
    read -r pid pgid sid tpgid ttou < "$T/out"
    [ "$sid" = "$pid" ] && [ "$tpgid" = -1 ]
}

@test "setsid -g does not leave /dev/tty open in the program" {
    need_pty
    in_pty "setsid -g -i sh -c 'ls -l /proc/\$\$/fd' > $T/out 2> $T/err"
    [ ! -s "$T/err" ]
    ! grep -q ' /dev/tty$' "$T/out"
}

@test "setsid -g -d 0: the terminal on fd 0" {
    need_pty
    in_pty "setsid -g -i -d 0 $T/ids > $T/out 2> $T/err"
    [ ! -s "$T/err" ]
    read -r pid pgid sid tpgid ttou < "$T/out"
    [ "$tpgid" = "$pid" ]
}

@test "setsid -f: takes the terminal when SIGTTOU is ignored" {
    need_pty
    in_pty "trap '' TTOU; setsid -f -i $T/ids > $T/out 2> $T/err"
    [ ! -s "$T/err" ]
    read -r pid pgid sid tpgid ttou < "$T/out"
    [ "$pgid" = "$pid" ] && [ "$tpgid" = "$pid" ] && [ "$ttou" = 1 ]
}

@test "setsid -f: stopped by SIGTTOU in the background, as documented" {
    need_pty
    in_pty "setsid -f $T/ids > $T/out & echo \$! > $T/pid; wait" &
    track_pid $!
    wait_for 5 test -s "$T/pid"
    p=$(cat "$T/pid")
    track_pid "$p"
    stopped() { [ "$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)" = T ]; }
    wait_for 5 stopped
    # continued, it asks again and is stopped again
    kill -CONT "$p"
    wait_for 5 stopped
    [ ! -s "$T/out" ]
    kill -9 "$p"
}

@test "setsid: usage errors exit 100" {
    expect_usage setsid
    expect_usage setsid -b
    expect_usage setsid -Z true
    expect_usage setsid -d
    for v in x -1 '' 1.5 ' 1' 99999999999; do
        expect_usage setsid -g -d "$v" true
    done
    expect_usage setsid --ctty=x true
    expect_usage setsid --ctty
    expect_usage setsid --grab=1 true
    expect_usage setsid --bogus true
    expect_usage setsid --sessio true
}

@test "setsid: options end at the first operand or after --" {
    run setsid echo -b -i
    [ "$output" = "-b -i" ]
    run -127 --separate-stderr setsid -- -b
    [ "$stderr" = "setsid: fatal: unable to exec -b: No such file or directory" ]
}

@test "setsid: exec failures exit 127 (not found) and 126 (not executable), even with -q" {
    expect_fail 127 "setsid: fatal: unable to exec $T/nothere: No such file or directory" setsid "$T/nothere"
    expect_fail 127 "setsid: fatal: unable to exec no-such-program-keel: No such file or directory" \
        setsid -q no-such-program-keel
    printf '#!/bin/sh\n' > "$T/noexec"
    expect_fail 126 "setsid: fatal: unable to exec $T/noexec: Permission denied" setsid "$T/noexec"
    d="$T/a dir
with newline"
    mkdir "$d"
    expect_fail 127 "setsid: fatal: unable to exec $d/prog: No such file or directory" setsid -b "$d/prog"
}

# The ids line as relations: "pgid=pid sid=pid", "pgid=pid sid=other".
shape() {
    read -r pid pgid sid _
    echo "pgid=$([ "$pgid" = "$pid" ] && echo pid || echo other)" \
        "sid=$([ "$sid" = "$pid" ] && echo pid || echo other)"
}

@test "setsid: the same sessions and groups as s6-setsid for -s and -b" {
    need_s6 s6-setsid
    for o in "" -s -b; do
        # shellcheck disable=SC2086
        s6=$(s6-setsid $o "$T/ids" | shape)
        # shellcheck disable=SC2086
        keel=$(setsid $o "$T/ids" | shape)
        [ "$s6" = "$keel" ] || { echo "$o: s6 '$s6', keel '$keel'"; false; }
    done
}

@test "setsid: the same errors and exit codes as s6-setsid" {
    need_s6 s6-setsid
    for args in "-i true" "true" "-q true" "-b -i true" "-b true" "-Z true" "-d x true" ""; do
        # shellcheck disable=SC2086
        run --separate-stderr s6-setsid s6-setsid $args; s6_status=$status; s6_err=${stderr//s6-/}
        # shellcheck disable=SC2086
        run --separate-stderr setsid setsid $args
        [ "$status" -eq "$s6_status" ] || { echo "status $status, s6 $s6_status for: $args"; false; }
        case $s6_err in *usage:*) ;; *) [ "$stderr" = "$s6_err" ];; esac
    done
    # s6-setsid 2.11 takes fd 0 as the terminal: the same as keel with -d 0
    run --separate-stderr nocty s6-setsid -f -i true < /dev/null; s6_err=${stderr//s6-/}
    run --separate-stderr nocty setsid -f -i -d 0 true < /dev/null
    [ "$status" -eq 111 ]
    [ "$stderr" = "$s6_err" ]
}
