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

# pty_run CMD...: runs CMD with a new pseudo-terminal as its stdin, stdout and stderr (and
# controlling terminal); prints what it wrote there, and exits as it did (128+n if killed).
pty_run() {
    python3 -c '
import os, pty, signal, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(128 + os.WTERMSIG(st) if os.WIFSIGNALED(st) else os.WEXITSTATUS(st))
' "$@"
}

# traced_pid1 CMD...: CMD as pid 1 of a new PID and mount namespace (checked; exit 90
# otherwise), with a private empty /dev (no console of the host's to drain), on a pty, under
# strace: its ioctl and reboot calls go to $T/trace.
traced_pid1() {
    # shellcheck disable=SC2016
    pty_run strace -f -qq -o "$T/trace" -e trace=ioctl,reboot \
        unshare --pid --fork --mount --mount-proc sh -c '
            [ "$(readlink /proc/self/ns/pid)" != "$1" ] && [ "$$" = 1 ] || exit 90
            mount --make-rprivate / && mount -t tmpfs keeltest-dev /dev || exit 91
            shift; exec "$@"' sh "$HOST_PIDNS" "$@" 3>&-
}

# drained_first: the trace shows a tcdrain() (ioctl TCSBRK) on the terminal on stdout, then
# reboot(2), by the same process.
drained_first() {
    local drain reboot
    drain=$(grep -n 'ioctl(1, TCSBRK, 1)' "$T/trace" | head -1)
    reboot=$(grep -n 'reboot(LINUX_REBOOT_MAGIC1, ' "$T/trace" | head -1)
    [ -n "$drain" ] && [ -n "$reboot" ] || { cat "$T/trace" >&2; return 1; }
    [ "${drain%%:*}" -lt "${reboot%%:*}" ] || { cat "$T/trace" >&2; return 1; }
    # The same pid (strace -f starts each line with it).
    drain=${drain#*:}
    reboot=${reboot#*:}
    [ "${drain%% *}" = "${reboot%% *}" ]
}

@test "the console (a terminal on stdout) is drained before reboot(2): halt-final, init-hpr -f" {
    need_cmd strace
    need_cmd python3
    run traced_pid1 halt-final -p
    [ "$status" -eq 130 ]
    drained_first
    grep -q 'LINUX_REBOOT_CMD_POWER_OFF' "$T/trace"
    run traced_pid1 init-hpr -f -r
    [ "$status" -eq 129 ]
    drained_first
    grep -q 'LINUX_REBOOT_CMD_RESTART' "$T/trace"
}
