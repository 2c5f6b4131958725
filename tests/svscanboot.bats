#!/usr/bin/env bats
# svscanboot: the catch-all logger it writes, the descriptors and command line it hands to
# svscan (through a recording stand-in), and real trees: output through the FIFO into the
# catch-all logdir, readiness, console, owner and modes, odd names. The logger is keel's svlog;
# svscan is keel's when built, else s6-svscan.

load helper

# Scanner helpers (control_ready, up_pid, is_up, is_ready, nothing_under) are in
# tests/helper.bash; keel_teardown kills whatever a test left under $T.

has_line() { grep -qF -- "$2" "$1" 2>/dev/null; }

# A bin directory (with a space and a quote in its name, for the run script's quoting) of
# links to this build (the real svlog among them), plus an svscan that records its arguments in
# $T/svscan.args and then runs the real scanner: keel's, or s6-svscan 2.11, which spells -C
# as -c and has no -L. With "fake", svscan records its arguments and descriptors, and exits.
make_bin() {
    B="$T/keel bin's"
    mkdir -p "$B"
    local f
    for f in "$KEEL_BIN"/*; do [ "${f##*/}" = svscan ] || ln -s "$f" "$B/"; done
    {
        echo '#!/bin/sh'
        echo "printf '%s\n' \"\$@\" > '$T/svscan.args'"
        if [ "${1:-}" = fake ]; then
            echo "exec 9> '$T/svscan.fds'"
            echo 'for f in 0 1 2 3 4 5; do echo "$f $(readlink /proc/$$/fd/$f)" >&9; done'
            echo 'exit 0'
        elif [ -x "$KEEL_BIN/svscan" ]; then
            echo "exec '$KEEL_BIN/svscan' \"\$@\""
        else
            echo 'n=$#'
            echo 'while [ "$n" -gt 0 ]; do'
            echo '    a=$1; shift; n=$((n - 1))'
            echo '    case $a in -C) a=-c ;; -L) shift; n=$((n - 1)); continue ;; esac'
            echo '    set -- "$@" "$a"'
            echo 'done'
            echo "exec $(command -v s6-svscan) \"\$@\""
        fi
    } > "$B/svscan"
    chmod 755 "$B/svscan"
}
need_tree() {
    [ -x "$KEEL_BIN/svscan" ] || need_s6 s6-svscan
    make_bin
}
args_are() { [ "$(cat "$T/svscan.args")" = "$(printf '%s\n' "$@")" ]; }

# fake_boot ARGS...: svscanboot with the recording svscan, in the foreground.
fake_boot() { KEEL_BINDIR=$B svscanboot "$@"; }

# boot ARGS...: svscanboot in the background, its stderr (the console) in $T/console.out;
# waits until the scanner listens on SCANDIR (the last argument).
boot() {
    local scandir=${*: -1}
    KEEL_BINDIR=$B svscanboot "$@" </dev/null >"$T/boot.out" 2>"$T/console.out" 3>&- &
    track_pid $!
    BOOT=$!
    wait_for 5 control_ready "$scandir"
}

# stop SCANDIR: svscanctl -t; the scanner, the catch-all logger and every service go.
stop() {
    svscanctl -t "$1"
    wait_for 10 gone "$BOOT"
    wait_for 5 nothing_under "$T"
}

# The run script svscanboot writes for LOGDIR, logger options and user as given.
expected_run() {
    local logdir=$1 opts=$2 user=${3:-} q="'\\''"
    local b=${B//\'/$q}
    printf '#!/bin/sh\n# The catch-all logger, written by svscanboot.\nexec 1>&2\n'
    printf "exec '%s/redirfd' -rnb 0 fifo " "$b"
    [ -z "$user" ] || printf "'%s/setuidgid' '%s' " "$b" "$user"
    printf "/usr/bin/env -i '%s/svlog' -bpd3 --%s '%s'\n" "$b" "$opts" "${logdir//\'/$q}"
}

# --- the logger directory and svscan's command line ------------------------------------------

@test "svscanboot: writes SCANDIR/s6-svscan-log and execs svscan -X 3 -- SCANDIR" {
    make_bin fake
    fake_boot -D "$T/logs" "$T/scan"
    l=$T/scan/s6-svscan-log
    [ "$(stat -c %a "$l")" = 2755 ]
    [ "$(stat -c %A "$l/fifo")" = prw------- ]
    [ "$(cat "$l/notification-fd")" = 3 ]
    [ "$(stat -c %a "$l/run")" = 755 ]
    [ "$(cat "$l/run")" = "$(expected_run "$T/logs" " 't'")" ]
    sh -n "$l/run"
    [ "$(stat -c %a "$T/logs")" = 2750 ]
    args_are -X 3 -- "$T/scan"
    # stdin /dev/null; stdout and stderr the FIFO; fd 3 the console (here, bats' stderr).
    grep -qx "0 /dev/null" "$T/svscan.fds"
    grep -qx "1 $l/fifo" "$T/svscan.fds"
    grep -qx "2 $l/fifo" "$T/svscan.fds"
    grep -qx "3 $(readlink /proc/self/fd/2)" "$T/svscan.fds"
}

@test "svscanboot: an old s6-svscan-log is replaced; a symlink is removed, not followed" {
    make_bin fake
    mkdir -p "$T/scan/s6-svscan-log/sub" "$T/target"
    touch "$T/scan/s6-svscan-log/sub/junk" "$T/scan/s6-svscan-log/down" "$T/target/keep"
    fake_boot -D "$T/logs" "$T/scan"
    [ "$(ls -A "$T/scan/s6-svscan-log" | tr '\n' ' ')" = "fifo notification-fd run " ]
    rm -rf "$T/scan/s6-svscan-log"
    ln -s "$T/target" "$T/scan/s6-svscan-log"
    fake_boot -D "$T/logs" "$T/scan"
    [ ! -L "$T/scan/s6-svscan-log" ]
    [ -p "$T/scan/s6-svscan-log/fifo" ]
    [ -f "$T/target/keep" ]
}

@test "svscanboot: scandir and catch-all dir parents are created; a relative dir is made absolute" {
    make_bin fake
    (cd "$T" && fake_boot -D rel/logs deep/er/scan)
    [ -d "$T/deep/er/scan/s6-svscan-log" ]
    [ "$(stat -c %a "$T/rel/logs")" = 2750 ]
    [ "$(cat "$T/deep/er/scan/s6-svscan-log/run")" = "$(expected_run "$T/rel/logs" " 't'")" ]
    args_are -X 3 -- deep/er/scan
}

@test "svscanboot -o: logger directives, split at blanks" {
    make_bin fake
    fake_boot -D "$T/logs" -o "  t s4096	n3
!'gzip'  " "$T/scan"
    words=" 't' 's4096' 'n3' '!'\\''gzip'\\'''"
    [ "$(cat "$T/scan/s6-svscan-log/run")" = "$(expected_run "$T/logs" "$words")" ]
    sh -n "$T/scan/s6-svscan-log/run"
    fake_boot -D "$T/logs" -o "" "$T/scan"
    [ "$(cat "$T/scan/s6-svscan-log/run")" = "$(expected_run "$T/logs" "")" ]
}

@test "svscanboot -m: the catch-all dir's mode, in octal" {
    make_bin fake
    fake_boot -D "$T/logs" -m 0700 "$T/scan"
    [ "$(stat -c %a "$T/logs")" = 700 ]
    fake_boot -D "$T/logs" -m 2755 "$T/scan"
    [ "$(stat -c %a "$T/logs")" = 2755 ]
    fake_boot --catchall-directory="$T/logs" --catchall-mode=750 "$T/scan"
    [ "$(stat -c %a "$T/logs")" = 750 ]
}

@test "svscanboot -l: the catch-all dir belongs to the user, whose logger runs through setuidgid" {
    need_root
    make_bin fake
    fake_boot -D "$T/logs" -l nobody "$T/scan"
    [ "$(stat -c %U:%a "$T/logs")" = nobody:2750 ]
    [ "$(cat "$T/scan/s6-svscan-log/run")" = "$(expected_run "$T/logs" " 't'" nobody)" ]
    expect_fail 111 "svscanboot: fatal: unknown user: no-such-user-here" \
        fake_boot -D "$T/logs" -l no-such-user-here "$T/scan"
}

@test "svscanboot -l as a user other than root: a warning, and no setuidgid" {
    need_root
    make_bin fake
    mkdir "$T/nb"
    chown nobody "$T/nb"
    chmod 777 "$T"
    run --separate-stderr setuidgid nobody env KEEL_BINDIR="$B" \
        svscanboot -l root -D "$T/nb/logs" "$T/nb/scan"
    [ "$status" -eq 0 ]
    [ "$stderr" = "svscanboot: warning: ignoring catchall-user option when not root" ]
    [ "$(stat -c %U "$T/nb/logs")" = nobody ]
    [ "$(cat "$T/nb/scan/s6-svscan-log/run")" = "$(expected_run "$T/nb/logs" " 't'")" ]
}

@test "svscanboot -u: the catch-all dir under \$XDG_RUNTIME_DIR" {
    make_bin fake
    XDG_RUNTIME_DIR=$T/xdg fake_boot -u "$T/scan"
    [ "$(stat -c %a "$T/xdg/uncaught-logs")" = 2750 ]
    grep -qF "'$T/xdg/uncaught-logs'" "$T/scan/s6-svscan-log/run"
    XDG_RUNTIME_DIR=$T/xdg fake_boot --user -D mine "$T/scan"
    [ -d "$T/xdg/mine" ]
    grep -qF "'$T/xdg/mine'" "$T/scan/s6-svscan-log/run"
    XDG_RUNTIME_DIR=$T/xdg fake_boot -u -D "$T/abs" "$T/scan"
    [ -d "$T/abs" ]
    grep -qF "'$T/abs'" "$T/scan/s6-svscan-log/run"
    expect_fail 100 "svscanboot: fatal: XDG_RUNTIME_DIR not set" \
        env -u XDG_RUNTIME_DIR KEEL_BINDIR="$B" svscanboot -u "$T/scan"
}

@test "svscanboot -d, -C, -L, -t: passed on to svscan, limits clamped as s6 does" {
    make_bin fake
    fake_boot -D "$T/logs" -d 5 -C 2 -L 5000 -t 0 "$T/scan" 5>/dev/null
    args_are -X 3 -d 5 -C 4 -L 1019 -- "$T/scan"
    fake_boot -D "$T/logs" -d 3 -C 200000 -L 3 -t 500 "$T/scan" 3>/dev/null
    args_are -X 4 -d 3 -C 160000 -L 11 -t 500 -- "$T/scan"
    grep -qx "4 $(readlink /proc/self/fd/2)" "$T/svscan.fds"
    grep -qx "3 /dev/null" "$T/svscan.fds"
    fake_boot --catchall-directory "$T/logs" --notification-fd=4 --services-max=100 \
        --name-max=100 --timeout 7 --catchall-options=T "$T/scan" 4>/dev/null
    args_are -X 3 -d 4 -C 100 -L 100 -t 7 -- "$T/scan"
    [ "$(cat "$T/scan/s6-svscan-log/run")" = "$(expected_run "$T/logs" " 'T'")" ]
}

@test "svscanboot -c: the console is opened on fd 3" {
    make_bin fake
    : > "$T/console"
    fake_boot -D "$T/logs" -c "$T/console" "$T/scan"
    grep -qx "3 $T/console" "$T/svscan.fds"
    fake_boot -D "$T/logs" --console="$T/console" -d 3 "$T/scan" 3>/dev/null
    grep -qx "4 $T/console" "$T/svscan.fds"
    expect_fail 111 "svscanboot: fatal: unable to open $T/none: No such file or directory" \
        fake_boot -D "$T/logs" -c "$T/none" "$T/scan"
}

# --- errors ----------------------------------------------------------------------------------

@test "svscanboot: usage errors" {
    make_bin fake
    expect_usage svscanboot
    expect_usage svscanboot -D "$T/logs"
    expect_usage svscanboot -x "$T/scan"
    expect_fail 100 "svscanboot: fatal: catchall-mode must be an (octal) unsigned integer" \
        svscanboot -m 9 "$T/scan"
    expect_fail 100 "svscanboot: fatal: catchall-mode must be an (octal) unsigned integer" \
        svscanboot -m 17777 "$T/scan"
    expect_fail 100 "svscanboot: fatal: notification-fd must be an unsigned integer" \
        svscanboot -d x "$T/scan"
    expect_fail 100 "svscanboot: fatal: notification-fd must be 3 or greater" \
        svscanboot -d 2 "$T/scan"
    expect_fail 100 "svscanboot: fatal: services-max must be an unsigned integer" \
        svscanboot -C -1 "$T/scan"
    expect_fail 100 "svscanboot: fatal: name-max must be an unsigned integer" \
        svscanboot -L x "$T/scan"
    expect_fail 100 "svscanboot: fatal: timeout must be an unsigned integer" \
        svscanboot -t 1s "$T/scan"
    [ ! -e "$T/scan" ]
}

@test "svscanboot: a closed notification fd, unwritable dirs and a missing svscan" {
    make_bin fake
    expect_fail 111 "svscanboot: fatal: notification-fd sanity check failed: Bad file descriptor" \
        fake_boot -d 9 "$T/scan"
    touch "$T/file"
    expect_fail 111 "svscanboot: fatal: unable to mkdir $T/file/logs: Not a directory" \
        fake_boot -D "$T/file/logs" "$T/scan"
    expect_fail 111 "svscanboot: fatal: unable to mkdir $T/file/scan: Not a directory" \
        fake_boot -D "$T/logs" "$T/file/scan"
    expect_fail 111 "svscanboot: fatal: unable to mkdir $T/file: Not a directory" \
        fake_boot -D "$T/file" "$T/scan"
    expect_fail 111 "svscanboot: fatal: unable to mkdir $T/file: Not a directory" \
        fake_boot -D "$T/logs" "$T/file"
    long=$T/$(printf 'x%.0s' $(seq 5000))
    expect_fail 111 "svscanboot: fatal: unable to mkdir $long: File name too long" \
        fake_boot -D "$long" "$T/scan"
    # The exec failure is told on the console, not into the FIFO.
    mkdir "$T/empty"
    expect_fail 127 "svscanboot: fatal: unable to exec $T/empty/svscan: No such file or directory" \
        env KEEL_BINDIR="$T/empty" svscanboot -D "$T/logs" "$T/scan"
    chmod 644 "$B/svscan"
    expect_fail 126 "svscanboot: fatal: unable to exec $B/svscan: Permission denied" \
        fake_boot -D "$T/logs" "$T/scan"
}

@test "svscanboot: an unwritable catch-all dir for a user exits 111" {
    need_root
    make_bin fake
    chmod 777 "$T"
    mkdir -m 755 "$T/rootonly"
    expect_fail 111 "svscanboot: fatal: unable to mkdir $T/rootonly/logs: Permission denied" \
        setuidgid nobody env KEEL_BINDIR="$B" svscanboot -D "$T/rootonly/logs" "$T/scan"
}

# --- real trees ------------------------------------------------------------------------------

@test "svscanboot: the tree comes up and the services' stderr reaches the catch-all logdir" {
    need_tree
    make_service "$T/scan/foo" \
        'echo "foo: stdin $(readlink /proc/self/fd/0)" >&2; exec sleep 100000'
    boot -D "$T/logs" "$T/scan"
    args_are -X 3 -- "$T/scan"
    wait_for 5 has_line "$T/logs/current" "foo: stdin /dev/null"
    [[ "$(cat "$T/logs/current")" =~ ^@4000[0-9a-f]{20}\ foo:\ stdin\ /dev/null$ ]]
    l=$T/scan/s6-svscan-log
    wait_for 5 is_ready "$l"
    logger=$(up_pid "$l")
    # svscan writes into the FIFO and holds the console; the logger reads the FIFO and writes
    # its own messages to the console.
    [ "$(readlink /proc/$BOOT/fd/1)" = "$l/fifo" ]
    [ "$(readlink /proc/$BOOT/fd/2)" = "$l/fifo" ]
    [ "$(readlink /proc/$BOOT/fd/3)" = "$T/console.out" ]
    [ "$(readlink /proc/$logger/fd/0)" = "$l/fifo" ]
    [ "$(readlink /proc/$logger/fd/1)" = "$T/console.out" ]
    [ "$(readlink /proc/$logger/fd/2)" = "$T/console.out" ]
    grep -q '^Uid:.0.' /proc/$logger/status
    # the environment is cleared for the logger
    [ -z "$(tr '\0' '\n' < /proc/$logger/environ)" ]
    stop "$T/scan"
    [ ! -s "$T/console.out" ]
}

@test "svscanboot -d 3: readiness once the scanner listens; the console moves to fd 4" {
    need_tree
    KEEL_BINDIR=$B svscanboot -d 3 -D "$T/logs" "$T/scan" </dev/null >/dev/null \
        2>"$T/console.out" 3>"$T/ready" &
    track_pid $!
    BOOT=$!
    wait_for 5 test -s "$T/ready"
    [ "$(od -An -c "$T/ready" | tr -d ' ')" = '\n' ]
    control_ready "$T/scan"
    args_are -X 4 -d 3 -- "$T/scan"
    [ "$(readlink /proc/$BOOT/fd/4)" = "$T/console.out" ]
    stop "$T/scan"
}

@test "svscanboot -c: the catch-all logger's errors go to the console" {
    need_tree
    : > "$T/console"
    make_service "$T/scan/foo" 'echo foo-line >&2; exec sleep 100000'
    boot -c "$T/console" -D "$T/logs" "$T/scan"
    wait_for 5 has_line "$T/logs/current" foo-line
    l=$T/scan/s6-svscan-log
    wait_for 5 is_up "$l"
    [ "$(readlink /proc/$BOOT/fd/3)" = "$T/console" ]
    [ "$(readlink /proc/$(up_pid "$l")/fd/2)" = "$T/console" ]
    stop "$T/scan"
}

@test "svscanboot -l nobody -m 750: the logger runs as nobody in a nobody-owned dir" {
    need_root
    need_tree
    make_service "$T/scan/foo" 'echo as-nobody >&2; exec sleep 100000'
    boot -l nobody -m 750 -D "$T/logs" "$T/scan"
    wait_for 5 has_line "$T/logs/current" as-nobody
    [ "$(stat -c %U:%a "$T/logs")" = nobody:750 ]
    [ "$(stat -c %U "$T/logs/current")" = nobody ]
    logger=$(up_pid "$T/scan/s6-svscan-log")
    grep -q "^Uid:.$(id -u nobody)\s" /proc/$logger/status
    stop "$T/scan"
}

@test "svscanboot: scandir and catch-all dir names with spaces and quotes" {
    need_tree
    s="$T/my \"scan\" dir"
    logs="$T/it's a log dir"
    make_service "$s/foo" 'echo odd-names >&2; exec sleep 100000'
    boot -D "$logs" -o 't  s4096' "$s"
    wait_for 5 has_line "$logs/current" odd-names
    [ "$(cat "$s/s6-svscan-log/run")" = "$(expected_run "$logs" " 't' 's4096'")" ]
    stop "$s"
}
