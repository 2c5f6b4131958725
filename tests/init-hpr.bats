#!/usr/bin/env bats
# init-hpr: the order it writes to shutdownd's FIFO, its wtmp record and wall message, -i, and
# -f (reboot(2) at once). Everything that touches /run, utmp or wtmp runs in a private mount
# namespace with a fresh /run (in_ns, tests/hpr.bash); -f runs only in a child PID namespace.

load helper
load hpr

# --- usage -----------------------------------------------------------------------------------

@test "init-hpr: usage errors, and one of -h -p -r is required" {
    expect_usage init-hpr -x
    expect_usage init-hpr -r -t
    expect_fail 100 "init-hpr: fatal: one of the -h, -p or -r options must be given" init-hpr
    expect_fail 100 "init-hpr: fatal: one of the -h, -p or -r options must be given" init-hpr -f
    expect_fail 100 "init-hpr: fatal: one of the -h, -p or -r options must be given" init-hpr -nWdi
}

# --- the order -------------------------------------------------------------------------------

@test "init-hpr -h, -p, -r: 17 bytes, delay 0, grace 0; the last of -h -p -r wins" {
    need_root
    run in_ns '
        listen
        for w in h p r; do
            init-hpr -W -d -$w; echo "rc=$?"
            fifo_hex
        done
        init-hpr -Wd -r -h -p; echo "rc=$?"
        fifo_hex
    '
    [ "$status" = 0 ]
    expected="rc=0
$(order_hex h 0 0 0)
rc=0
$(order_hex p 0 0 0)
rc=0
$(order_hex r 0 0 0)
rc=0
$(order_hex p 0 0 0)"
    [ "$output" = "$expected" ]
    [ "$(order_hex r 0 0 0)" = 7200000000000000000000000000000000 ]
}

@test "init-hpr: no shutdownd listening, or no FIFO: 100, nothing done" {
    need_root
    run in_ns '
        user root pts/77
        init-hpr -r; echo "rc=$?"
        rm /run/service/s6-linux-init-shutdownd/fifo
        init-hpr -p; echo "rc=$?"
        init-hpr -w -h; echo "rc=$?"
        echo "wtmp=$(stat -c %s /var/log/wtmp)"
    '
    [ "$status" = 0 ]
    [ "$output" = "init-hpr: fatal: unable to talk to shutdownd: Operation not permitted
rc=100
init-hpr: fatal: unable to talk to shutdownd: Operation not permitted
rc=100
init-hpr: fatal: unable to talk to shutdownd: Operation not permitted
rc=100
wtmp=0" ]
}

# --- wtmp ------------------------------------------------------------------------------------

# wtmp_records: each record of /var/log/wtmp as "type user line host".
wtmp_records='python3 -c "
import struct
d = open(\"/var/log/wtmp\", \"rb\").read()
assert len(d) % 384 == 0, len(d)
for i in range(0, len(d), 384):
    t, pid, line, id_, user, host = struct.unpack_from(\"<hxxi32s4s32s256s\", d, i)
    z = lambda b: b.split(b\"\\0\")[0].decode()
    print(t, z(user), z(line), z(host), \"pid-ok\" if pid > 0 else \"pid-bad\")
"'

@test "init-hpr: a wtmp RUN_LVL record, user reboot or shutdown, line ~ (not with -d)" {
    need_root
    run in_ns "
        listen
        init-hpr -W -r && init-hpr -W -h && init-hpr -W -p && init-hpr -W -d -r
        $wtmp_records
        echo \"fifo=\$(fifo_hex)\"
    "
    [ "$status" = 0 ]
    [ "$output" = "1 reboot ~ keel-test.example.org pid-ok
1 shutdown ~ keel-test.example.org pid-ok
1 shutdown ~ keel-test.example.org pid-ok
fifo=$(order_hex r 0 0 0)$(order_hex h 0 0 0)$(order_hex p 0 0 0)$(order_hex r 0 0 0)" ]
}

@test "init-hpr -w: the wtmp record only, no order" {
    need_root
    run in_ns "
        listen
        init-hpr -W -w -r; echo rc=\$?
        $wtmp_records
        echo \"fifo=\$(fifo_hex)\"
    "
    [ "$status" = 0 ]
    [ "$output" = "rc=0
1 reboot ~ keel-test.example.org pid-ok
fifo=" ]
}

# --- wall ------------------------------------------------------------------------------------

@test "init-hpr: walls the banner to every logged-in terminal, not with -W" {
    need_root
    run in_ns '
        listen
        user ghost no-such-tty
        python3 "$T/pty.py" "$T/wall1" -- init-hpr -d -p; echo "rc=$?"
        python3 "$T/pty.py" --user alice "$T/wall2" -- init-hpr -d -W -r; echo "rc=$?"
        echo "fifo=$(fifo_hex)"
    '
    [ "$status" = 0 ]
    [ "$output" = "rc=0
rc=0
fifo=$(order_hex p 0 0 0)$(order_hex r 0 0 0)" ]
    [ "$(od -An -c "$T/wall1" | tr -s ' \n' ' ')" = "$(printf '\n\n*** WARNING ***\nThe system is going down NOW!\n\n' | od -An -c | tr -s ' \n' ' ')" ]
    [ ! -s "$T/wall2" ]
}

# --- -i --------------------------------------------------------------------------------------

@test "init-hpr -i: the short host name, any case, confirms; anything else aborts with 1" {
    need_root
    run in_ns '
        listen
        python3 "$T/pty.py" --answer KEEL-Test.elsewhere "$T/tty1" -- init-hpr -i -W -d -r 2>"$T/err1"
        echo "rc=$?"
        python3 "$T/pty.py" --answer keel "$T/tty2" -- init-hpr -i -W -d -h 2>"$T/err2"
        echo "rc=$?"
        echo "fifo=$(fifo_hex)"
        init-hpr -i -r </dev/null 2>&1; echo "rc=$?"
    '
    [ "$status" = 0 ]
    [ "$output" = "rc=0
rc=1
fifo=$(order_hex r 0 0 0)
init-hpr: fatal: unable to ask hostname confirmation: stdin or stdout is not a tty
rc=100" ]
    [ ! -s "$T/err1" ]
    [ "$(cat "$T/err2")" = "init-hpr: fatal: hostname mismatch: expecting keel-test" ]
    grep -q "Please enter the machine's hostname: " "$T/tty1"
}

# --- -f: reboot(2), only in a child PID namespace ---------------------------------------------

# in_pidns 'COMMANDS': bash as pid 1 of a new PID (and mount) namespace runs them, after
# checking that it is not in the host's PID namespace (exit 90 otherwise).
in_pidns() {
    unshare --pid --fork --mount --mount-proc bash -c '
        [ "$(readlink /proc/self/ns/pid)" != "$HOST_PIDNS" ] || { echo "in the host PID namespace" >&2; exit 90; }
        [ "$$" = 1 ] || exit 91
        eval "$1"' bash "$1"
}

@test "init-hpr -f in a PID namespace: -r kills its init with SIGHUP, -p and -h with SIGINT" {
    need_root
    run in_pidns 'exec init-hpr -fnr'
    [ "$status" = 129 ]
    run in_pidns 'exec init-hpr -f -r'
    [ "$status" = 129 ]
    run in_pidns 'exec init-hpr -fnp'
    [ "$status" = 130 ]
    run in_pidns 'exec init-hpr -fnh'
    [ "$status" = 130 ]
    # not as pid 1 either: reboot(2) kills the namespace's init all the same
    run in_pidns 'init-hpr -fnr; echo "survived: $?"'
    [ "$status" = 129 ]
    [ -z "$output" ]
}

@test "init-hpr -f without CAP_SYS_BOOT: 111, unable to reboot()" {
    need_root
    need_cmd setpriv
    run in_pidns 'exec setpriv --inh-caps=-sys_boot --bounding-set=-sys_boot init-hpr -fnr 2>&1'
    [ "$status" = 111 ]
    [ "$output" = "init-hpr: fatal: unable to reboot(): Operation not permitted" ]
}
