#!/usr/bin/env bats
# stage1: pid 1 of a Linux system (spec init.md §2.1). Every test boots it for real, as pid 1
# of a child PID namespace with its own mount namespace, a fresh tmpfs on /run and a private
# /dev holding only null (no console, no tty0: a headless machine). Nothing here runs stage1
# on the host: each namespace checks that it is not the host's PID namespace before acting.

load helper

setup() {
    keel_setup
    need_root
    need_cmd unshare
    need_cmd nsenter
    mkdir "$T/dev"
    mknod -m 666 "$T/dev/null" c 1 3
}

# make_base DIR [nolog]: a minimal BASEDIR. run-image/ has the catch-all logger (svlog on
# /run/uncaught-logs; it waits while /run/hold exists) unless nolog, and a .s6-svscan/finish.
# scripts/rc.init records its arguments, environment, stdout and the FIFO's readers in /run.
make_base() {
    local b=$1 img=$1/run-image
    mkdir -p "$img/service/.s6-svscan" "$b/scripts" "$b/env"
    printf '#!/bin/sh\nexit 0\n' > "$img/service/.s6-svscan/finish"
    chmod 755 "$img/service/.s6-svscan/finish"
    if [ "${2:-}" != nolog ]; then
        local log=$img/service/s6-svscan-log
        mkdir -p "$log" "$img/uncaught-logs"
        chmod 2750 "$img/uncaught-logs"
        mkfifo -m 0600 "$log/fifo"
        echo 3 > "$log/notification-fd"
        cat > "$log/run" <<EOF
#!/bin/sh
while [ -e /run/hold ]; do sleep 0.05; done
exec $KEEL_BIN/redirfd -rnb 0 fifo $KEEL_BIN/svlog -bpd3 -- /run/uncaught-logs
EOF
        chmod 755 "$log/run"
    fi
    cat > "$b/scripts/rc.init" <<'EOF'
#!/bin/sh
tr '\0' '\n' < /proc/$$/environ > /run/rc-env
fd1=$(readlink /proc/$$/fd/1)
echo "$fd1" > /run/rc-fd1
readers=
for p in /proc/[0-9]*; do
    [ "$(readlink "$p/fd/0" 2>/dev/null)" = /run/service/s6-svscan-log/fifo ] &&
        readers="$readers $(cat "$p/comm")"
done
echo "$readers" > /run/rc-readers
if [ -p /run/service/.s6-svscan/control ] &&
    timeout 2 sh -c ': > /run/service/.s6-svscan/control'; then
    echo listening > /run/rc-svscan
fi
echo "rc.init: $*"
echo "$*" > /run/rc-args
EOF
    chmod 755 "$b/scripts/rc.init"
    echo "$KEEL_BIN" > "$b/env/KEEL_BINDIR"
}

# The shell that becomes pid 1: refuses to run in the host's PID namespace, makes every mount
# private, puts a fresh tmpfs on /run and the test's /dev on /dev, then execs its arguments.
NS_INIT='[ "$(readlink /proc/self/ns/pid)" != "$1" ] || { echo "not in a child PID namespace" >&2; exit 90; }
mount --make-rprivate / && mount -t tmpfs tmpfs /run && mount --bind "$2" /dev || exit 91
shift 2
exec "$@"'

# as_pid1 CMD...: runs CMD as pid 1 of a new namespace set up as above, in the foreground
# (NS_DEV: another directory for /dev).
as_pid1() {
    unshare --pid --fork --mount --mount-proc sh -c "$NS_INIT" sh "$HOST_PIDNS" \
        "${NS_DEV:-$T/dev}" "$@" 3>&-
}

# boot NAME STAGE1-ARGS...: stage1 as pid 1 of a new namespace, in the background, with
# FOO=bar in its (kernel) environment; output (its console) in $T/NAME.console, the host pid
# of its pid 1 in $T/NAME.nspid.
boot() {
    local name=$1 up pid
    shift
    FOO=bar unshare --pid --fork --mount --mount-proc sh -c "$NS_INIT" sh "$HOST_PIDNS" \
        "$T/dev" "$KEEL_BIN/stage1" "$@" </dev/null >"$T/$name.console" 2>&1 3>&- &
    up=$!
    track_pid "$up"
    wait_for 5 pgrep -P "$up" >/dev/null
    pid=$(pgrep -P "$up")
    track_pid "$pid"
    echo "$pid" > "$T/$name.nspid"
}

# in_ns NAME 'SH COMMANDS': runs them inside NAME's namespaces (never in the host's).
in_ns() {
    nsenter -t "$(cat "$T/$1.nspid")" -p -m -- sh -c '
        [ "$(readlink /proc/self/ns/pid)" != "$1" ] || { echo "in_ns: host namespace" >&2; exit 90; }
        shift; eval "$1"' sh "$HOST_PIDNS" "$2"
}

# booted NAME: pid 1 is svscan and rc.init has finished.
booted() {
    [ "$(cat "/proc/$(cat "$T/$1.nspid")/comm")" = svscan ] && in_ns "$1" '[ -e /run/rc-args ]'
}

stop() { ns_stop "$T/$1"; }

@test "stage1 boots: fresh /run with the image, rc.init once the logger reads, svscan as pid 1" {
    make_base "$T/base"
    boot a -c "$T/base" -- foo bar
    wait_for 10 booted a

    # Banner on the console, then nothing else but the Ctrl-Alt-Del warning (reboot(2) says
    # EINVAL in a PID namespace), which must reach the console: the logger is not reading yet.
    run cat "$T/a.console"
    [ "${lines[0]}" = "  keel version $(sed -n 's/^version=//p' "$KEEL_ROOT/package/info")" ]
    [ "${lines[1]}" = "stage1: warning: unable to trap ctrl-alt-del: Invalid argument" ]
    [ "${#lines[@]}" = 2 ]

    # /run is a tmpfs of its own, holding the image with types, modes and owners kept.
    run in_ns a 'grep -c " /run .* - tmpfs tmpfs " /proc/1/mountinfo'
    [ "$output" = 1 ]
    run in_ns a 'stat -c "%F %a %U" /run/service/s6-svscan-log/fifo /run/uncaught-logs \
        /run/service/s6-svscan-log/run'
    [ "${lines[0]}" = "fifo 600 root" ]
    [ "${lines[1]}" = "directory 2750 root" ]
    [ "${lines[2]}" = "regular file 755 root" ]

    # rc.init: runlevel word "default" (initdefault), then every argument; its output goes to
    # the FIFO, which the logger already read; it lands in uncaught-logs.
    [ "$(in_ns a 'cat /run/rc-args')" = "default foo bar" ]
    [ "$(in_ns a 'cat /run/rc-fd1')" = /run/service/s6-svscan-log/fifo ]
    run in_ns a 'cat /run/rc-readers'
    [[ $output == *svlog* || $output == *redirfd* ]]
    wait_for 5 in_ns a 'grep -qx "rc.init: default foo bar" /run/uncaught-logs/current'

    # pid 1: svscan -X N on /run/service, stdin /dev/null, stdout and stderr the FIFO, N the
    # console (here the test's file).
    run in_ns a 'tr "\0" " " < /proc/1/cmdline'
    [ "$output" = "$KEEL_BIN/svscan -X 3 -- /run/service " ]
    [ "$(in_ns a 'readlink /proc/1/fd/0')" = /dev/null ]
    [ "$(in_ns a 'readlink /proc/1/fd/1')" = /run/service/s6-svscan-log/fifo ]
    [ "$(in_ns a 'readlink /proc/1/fd/2')" = /run/service/s6-svscan-log/fifo ]
    [ "$(in_ns a 'readlink /proc/1/fd/3')" = "$T/a.console" ]
    [ "$(in_ns a 'cat /run/rc-svscan')" = listening ]

    # The host's /run saw none of it.
    [ ! -e /run/rc-args ]
    stop a
}

@test "stage1: the runlevel word is the first argument naming one" {
    make_base "$T/base"
    boot a -c "$T/base" -D 2 -- quiet 5 single 3
    wait_for 10 booted a
    [ "$(in_ns a 'cat /run/rc-args')" = "5 quiet 5 single 3" ]
    stop a
    boot b -c "$T/base" -D 2 -- quiet 6
    wait_for 10 booted b
    [ "$(in_ns b 'cat /run/rc-args')" = "2 quiet 6" ]
    stop b
}

@test "stage1 does not wait for the logger; stage 2 does" {
    make_base "$T/base"
    : > "$T/base/run-image/hold"
    boot a -c "$T/base" -- x
    # svscan runs as pid 1 while the logger is held back; the stage-2 child is blocked in its
    # open of the FIFO, and rc.init has not run.
    wait_for 10 sh -c '[ "$(cat "/proc/$1/comm")" = svscan ]' sh "$(cat "$T/a.nspid")"
    wait_for 5 in_ns a 'ps -o comm= --ppid 1 | grep -qx stage1'
    in_ns a '[ ! -e /run/rc-args ]'
    in_ns a 'rm /run/hold'
    wait_for 10 booted a
    wait_for 5 in_ns a 'grep -qx "rc.init: default x" /run/uncaught-logs/current'
    stop a
}

@test "stage1: the environment is PATH and env/, the kernel's is dropped; -s dumps it" {
    make_base "$T/base"
    printf 'two\nlines\n' > "$T/base/env/MULTI"
    printf '  spaced  \n\n' > "$T/base/env/SPACED"
    printf 'set\n' > "$T/base/env/FROMENV"
    : > "$T/base/env/EMPTY"
    printf '\n' > "$T/base/env/BLANK"
    printf 'x\n' > "$T/base/env/.hidden"
    boot a -c "$T/base" -p /sbin:/bin -s /run/kenv
    wait_for 10 booted a
    run in_ns a 'cat /run/rc-env | sort'
    local expected
    expected=$(printf '%s\n' "BLANK=" "FROMENV=set" "KEEL_BINDIR=$KEEL_BIN" "MULTI=two" \
        "lines" "PATH=/sbin:/bin" "SPACED=  spaced  " "" | sort)
    [ "$output" = "$expected" ]
    # The kernel's environment (here the test's, with FOO=bar) went to -s, one file each.
    [ "$(in_ns a 'cat /run/kenv/FOO')" = bar ]
    [ "$(in_ns a 'stat -c %a /run/kenv')" = 700 ]
    [ "$(in_ns a 'cat /run/kenv/KEEL_BINDIR')" = "$KEEL_BIN" ]
    # Readable with envdir -f: the same value back.
    [ "$(in_ns a "$KEEL_BIN/envdir -f /run/kenv sh -c 'echo \$FOO'")" = bar ]
    stop a
}

@test "stage1 -B: no logger, svscan -d reports readiness before rc.init runs" {
    make_base "$T/base" nolog
    boot a -c "$T/base" -B -- arg
    wait_for 10 booted a
    run in_ns a 'tr "\0" " " < /proc/1/cmdline'
    [[ $output =~ ^$KEEL_BIN/svscan\ -d\ [0-9]+\ --\ /run/service\ $ ]]
    [ "$(in_ns a 'cat /run/rc-svscan')" = listening ]
    [ "$(in_ns a 'cat /run/rc-args')" = "default arg" ]
    # rc.init wrote on the console (stage1's stdout): there is no catch-all logger.
    wait_for 5 grep -qx "rc.init: default arg" "$T/a.console"
    [ "$(in_ns a 'readlink /proc/1/fd/1')" = "$T/a.console" ]
    [ "$(in_ns a 'readlink /proc/1/fd/0')" = /dev/null ]
    stop a
}

@test "stage1 -C: no banner, initdefault then the container's arguments" {
    make_base "$T/base" nolog
    boot a -c "$T/base" -C -B -D boot -- 3 cmd
    wait_for 10 booted a
    [ "$(in_ns a 'cat /run/rc-args')" = "boot 3 cmd" ]
    wait_for 5 grep -qx "rc.init: boot 3 cmd" "$T/a.console"
    run grep -c "keel version" "$T/a.console"
    [ "$output" = 0 ]
    stop a
}

@test "stage1 -N leaves /run alone, -n remounts it; -m sets the umask; -v 0 no banner" {
    make_base "$T/base" nolog
    # -N: the tmpfs the namespace put on /run stays (same mount id), with the image in it.
    boot a -c "$T/base" -B -N -v 0
    wait_for 10 booted a
    run in_ns a 'grep " /run " /proc/1/mountinfo'
    [ "${#lines[@]}" = 1 ]
    [[ $output != *nosuid* ]]
    in_ns a '[ -x /run/service/.s6-svscan/finish ]'
    run grep -c "keel version" "$T/a.console"
    [ "$output" = 0 ]
    stop a
    boot b -c "$T/base" -B -n -m 077 -v 2
    wait_for 10 booted b
    run in_ns b 'grep " /run " /proc/1/mountinfo'
    [[ $output == *nosuid,nodev* ]]
    [ "$(in_ns b 'stat -c %a /run/rc-args')" = 600 ]
    grep -q "keel version" "$T/b.console"
    grep -qx "stage1: info: copying $T/base/run-image to /run" "$T/b.console"
    stop b
}

@test "stage1 -W: waits for EOF on readyfd, warns if the parent wrote" {
    make_base "$T/base" nolog
    mkfifo "$T/barrier"
    FOO=bar unshare --pid --fork --mount --mount-proc sh -c "$NS_INIT" sh "$HOST_PIDNS" \
        "$T/dev" "$KEEL_BIN/stage1" -c "$T/base" -B -W 3 </dev/null >"$T/a.console" 2>&1 \
        3<"$T/barrier" &
    local up=$!
    track_pid "$up"
    exec 5>"$T/barrier"
    wait_for 5 pgrep -P "$up" >/dev/null
    pgrep -P "$up" > "$T/a.nspid"
    track_pid "$(cat "$T/a.nspid")"
    # Blocked in read(3, ...): the syscall file starts with read's number (0) and fd 3.
    wait_for 5 sh -c 'read -r nr fd rest < "/proc/$1/syscall" && [ "$nr $fd" = "0 0x3" ]' \
        sh "$(cat "$T/a.nspid")"
    echo go >&5
    exec 5>&-
    wait_for 10 booted a
    grep -qx "stage1: warning: parent wrote to readiness fd!" "$T/a.console"
    stop a
}

@test "stage1: usage errors (100) as pid 1" {
    local u
    u="stage1: usage: $(usage_of stage1)"
    expect_fail 100 "$u" as_pid1 "$KEEL_BIN/stage1" -W 1
    expect_fail 100 "$u" as_pid1 "$KEEL_BIN/stage1" -W 2
    expect_fail 100 "$u" as_pid1 "$KEEL_BIN/stage1" -W x
    expect_fail 100 "$u" as_pid1 "$KEEL_BIN/stage1" -m 8
    expect_fail 100 "$u" as_pid1 "$KEEL_BIN/stage1" -m 1000
    expect_fail 100 "$u" as_pid1 "$KEEL_BIN/stage1" -m
    expect_fail 100 "$u" as_pid1 "$KEEL_BIN/stage1" -v x
    expect_fail 100 "$u" as_pid1 "$KEEL_BIN/stage1" -x
}

@test "stage1: fatal errors before svscan exit 111" {
    # Run with stdout and stderr apart: the banner goes to stdout.
    expect_fail 111 "stage1: fatal: unable to copy $T/none/run-image to /run: No such file or directory" \
        as_pid1 "$KEEL_BIN/stage1" -c "$T/none"
    make_base "$T/base" nolog
    # -d closes 0-2 first: the message goes to the console (here a plain file in /dev).
    mkdir "$T/dev2"
    mknod -m 666 "$T/dev2/null" c 1 3
    : > "$T/dev2/console"
    NS_DEV=$T/dev2 expect_fail 111 "" as_pid1 "$KEEL_BIN/stage1" -c "$T/base" -d "$T/nodir"
    [ "$(cat "$T/dev2/console")" = \
        "stage1: fatal: unable to mount devtmpfs on $T/nodir: No such file or directory" ]
    # With a logger in the image but no FIFO in it.
    make_base "$T/b2"
    rm "$T/b2/run-image/service/s6-svscan-log/fifo"
    expect_fail 111 "stage1: fatal: unable to open /run/service/s6-svscan-log/fifo: No such file or directory" \
        as_pid1 "$KEEL_BIN/stage1" -c "$T/b2"
    # svscan missing.
    mkdir "$T/nobin"
    KEEL_BINDIR=$T/nobin expect_fail 111 \
        "stage1: fatal: unable to exec $T/nobin/svscan: No such file or directory" \
        as_pid1 "$KEEL_BIN/stage1" -c "$T/base" -C -B
    # With a logger too: the message goes to the console, not to the FIFO nobody reads yet.
    make_base "$T/b3"
    KEEL_BINDIR=$T/nobin expect_fail 111 \
        "stage1: fatal: unable to exec $T/nobin/svscan: No such file or directory" \
        as_pid1 "$KEEL_BIN/stage1" -c "$T/b3" -C
}

@test "stage1 -d: mounts a devtmpfs and falls back to /dev/null without a console" {
    make_base "$T/base" nolog
    mkdir "$T/devmnt"
    boot a -c "$T/base" -B -d "$T/devmnt"
    wait_for 10 booted a
    run in_ns a "grep ' $T/devmnt ' /proc/1/mountinfo"
    [[ $output == *" - devtmpfs dev "* ]]
    [[ $output == *nosuid*noexec* || $output == *noexec*nosuid* ]]
    # /dev (the test's) has no console: fds 0-2 went to /dev/null, after the banner.
    [ "$(in_ns a 'readlink /proc/1/fd/1')" = /dev/null ]
    grep -q "keel version" "$T/a.console"
    stop a
}

@test "stage1 not as pid 1 execs init-telinit with the same arguments" {
    mkdir "$T/fakebin" "$T/nobin"
    printf '#!/bin/sh\necho "telinit $0 $*"\nexit 7\n' > "$T/fakebin/init-telinit"
    chmod 755 "$T/fakebin/init-telinit"
    # As a child of the namespace's pid 1, never on the host.
    run as_pid1 sh -c 'KEEL_BINDIR=$1 "$2" -c /nowhere -B 6; echo "status $?"' sh \
        "$T/fakebin" "$KEEL_BIN/stage1"
    [ "${lines[0]}" = "telinit $T/fakebin/init-telinit -c /nowhere -B 6" ]
    [ "${lines[1]}" = "status 7" ]
    run --separate-stderr as_pid1 sh -c 'KEEL_BINDIR=$1 "$2" 6; echo "status $?"' sh \
        "$T/nobin" "$KEEL_BIN/stage1"
    [ "$stderr" = "stage1: fatal: unable to exec $T/nobin/init-telinit: No such file or directory" ]
    [ "$output" = "status 111" ]
}
