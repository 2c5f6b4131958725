#!/usr/bin/env bats
# shutdownd: the options, then the FIFO protocol and the whole shutdown, each with svscan as
# pid 1 of a child PID namespace on a fresh tmpfs /run, built from $T/image the way stage1
# copies its run-image. shutdownd sends kill(-1) and writes /run: never on the host, so every
# case that can reach an order runs in the namespace (sd_boot refuses to start otherwise).
# shutdownd runs with -B or -C here: without them it would speak to the host's /dev/console.

load helper

SD=/run/service/s6-linux-init-shutdownd

teardown() {
    ns_stop "$T/ns"
    keel_teardown
}

# sd_image [SHUTDOWND OPTIONS...]: $T/image, copied onto the namespace's /run: the scan
# directory with shutdownd's service (grace 1 s, stderr to $T/sd.err, each exit code and
# signal appended to $T/sd.exit by its finish) and two sleeping services, foo and bar;
# $T/base/scripts/rc.shutdown appends "rc.shutdown ARGC" to $T/marks, its blocked and ignored
# signal masks to $T/rc.sigs, and exits with the code in $T/rc.code (default 0; "sig": it
# kills itself with SIGUSR1).
sd_image() {
    local scan=$T/image/service sd
    sd=$scan/s6-linux-init-shutdownd
    mkdir -p "$scan/.s6-svscan" "$sd" "$T/base/scripts" "$T/image/s6-linux-init-container-results"
    mkfifo -m 0600 "$sd/fifo"
    echo 3 > "$sd/notification-fd"
    printf '#!/bin/sh\nexec shutdownd -d3 -c %s -g 1000 %s 2>>%s\n' "$T/base" "$*" "$T/sd.err" \
        > "$sd/run"
    printf '#!/bin/sh\necho "$1 $2" >> %s\n' "$T/sd.exit" > "$sd/finish"
    chmod 755 "$sd/run" "$sd/finish"
    make_service "$scan/foo"
    make_service "$scan/bar"
    cat > "$T/base/scripts/rc.shutdown" <<EOF
#!/bin/sh
echo "rc.shutdown \$#" >> $T/marks
grep -E '^Sig(Blk|Ign):' /proc/\$\$/status | tr -d ' \t' >> $T/rc.sigs
code=\$(cat $T/rc.code 2>/dev/null || echo 0)
[ "\$code" != sig ] || kill -USR1 \$\$
exit "\$code"
EOF
    chmod 755 "$T/base/scripts/rc.shutdown"
    : > "$T/marks"
    : > "$T/sd.err"
    # send order WHAT DELAY_S GRACE_MS [NANO] | send raw BYTES: writes one message to the
    # FIFO in one write, opened without blocking (fails if shutdownd does not listen).
    cat > "$T/send" <<'EOF'
#!/usr/bin/perl
use Fcntl;
my $kind = shift;
my $msg = $kind eq 'order' ? pack('a N N N N', $ARGV[0], 0, $ARGV[1], $ARGV[3] // 0, $ARGV[2])
                           : $ARGV[0];
sysopen(my $f, '/run/service/s6-linux-init-shutdownd/fifo', O_WRONLY | O_NONBLOCK)
    or die "send: open: $!\n";
syswrite($f, $msg) == length($msg) or die "send: write: $!\n";
EOF
    chmod 755 "$T/send"
}

# sd_boot [VAR=VALUE...]: svscan as pid 1 of a new PID and mount namespace (with VAR=VALUE in
# its environment) on /run/service, after checking it is not the host's PID namespace and
# mounting a private tmpfs on /run with $T/image copied in. Waits until shutdownd, foo and bar
# are up (shutdownd ready). The pid 1's host pid goes to $T/ns.nspid, unshare's to
# $T/unshare.pid.
sd_boot() {
    local up
    env "$@" unshare --pid --fork --mount --mount-proc sh -c '
        [ "$(readlink /proc/self/ns/pid)" != "$1" ] || { echo "sd_boot: host PID namespace" >&2; exit 90; }
        mount --make-rprivate / && mount -t tmpfs -o mode=0755 tmpfs /run || exit 91
        cp -a "$2/." /run/ || exit 92
        exec svscan /run/service' sh "$HOST_PIDNS" "$T/image" \
        </dev/null >>"$T/ns.log" 2>&1 3>&- &
    up=$!
    track_pid "$up"
    echo "$up" > "$T/unshare.pid"
    wait_for 5 pgrep -P "$up" >/dev/null
    pgrep -P "$up" > "$T/ns.nspid"
    track_pid "$(cat "$T/ns.nspid")"
    wait_for 10 sd_ready
    wait_for 10 ns_run "$T/ns" 'for s in foo bar; do
        [ "$(svstat -o up /run/service/$s)" = true ] || exit 1; done'
}

sd_ready() {
    ns_run "$T/ns" '[ "$(svstat -o up,ready /run/service/s6-linux-init-shutdownd)" = "true true" ]'
}
sd_pid() { ns_run "$T/ns" 'svstat -o pid /run/service/s6-linux-init-shutdownd'; }
# new_sd PID: shutdownd runs again, with another pid than PID.
new_sd() {
    local p
    p=$(sd_pid) || return 1
    [ -n "$p" ] && [ "$p" != "$1" ] && [ "$p" != 0 ] && [ "$p" != -1 ]
}
send() { ns_run "$T/ns" "$T/send $*"; }
# send_final ARGS...: send an order that takes the namespace down. The sender may still be
# there when the TERM or KILL round comes, which it can only meet once the order is read.
send_final() {
    local st=0
    send "$@" || st=$?
    [ "$st" = 0 ] || [ "$st" = 143 ] || [ "$st" = 137 ]
}
in_ns() { ns_run "$T/ns" "$1"; }

# The system is still up and untouched: no stage 4, no service renamed.
untouched() {
    in_ns "[ ! -e '$SD/stage 4' ] && [ ! -e '$SD/stage 4.new' ]"
    run ns_run "$T/ns" 'ls -A /run/service'
    [ "$output" = "$(printf '.s6-svscan\nbar\nfoo\ns6-linux-init-shutdownd')" ]
}

marks_are() { [ "$(cat "$T/marks")" = "$1" ]; }
err_has() { grep -qxF -- "$1" "$T/sd.err"; }

@test "shutdownd: bad options exit 100 with the usage or the reason" {
    expect_usage shutdownd -x
    expect_usage shutdownd -g
    expect_usage shutdownd -g abc
    expect_usage shutdownd -g -1
    expect_usage shutdownd -g 99999999999
    expect_usage shutdownd -d x
    expect_fail 100 "shutdownd: fatal: notification fd must be 3 or more" shutdownd -d 2
    expect_fail 100 "shutdownd: fatal: invalid notification fd: Bad file descriptor" \
        shutdownd -d 77
    expect_fail 100 "shutdownd: fatal: basedir must be an absolute path" shutdownd -c etc/x
}

@test "shutdownd: without its FIFO in the current directory it exits 111" {
    # Safe on the host: it dies before reading any order (no FIFO, no stage 4 here).
    mkdir "$T/empty"
    expect_fail 111 "shutdownd: fatal: unable to open fifo for reading: No such file or directory" \
        sh -c 'cd "$1" && exec shutdownd -B -c /nonexistent' sh "$T/empty"
    # A grace time beyond 300000 ms is clamped, not refused.
    expect_fail 111 "shutdownd: fatal: unable to open fifo for reading: No such file or directory" \
        sh -c 'cd "$1" && exec shutdownd -C -g 400000 -d 3' sh "$T/empty"
}

@test "shutdownd: S runs rc.shutdown with no signal blocked or ignored, the system stays up" {
    sd_image -B
    sd_boot
    local pid
    pid=$(sd_pid)
    # An unknown byte is a warning, nothing more.
    send raw z
    wait_for 5 err_has "shutdownd: warning: unknown command: z"
    # An order due in a minute does not run now; the z after it shows it has been read.
    send order S 60 0
    send raw y
    wait_for 5 err_has "shutdownd: warning: unknown command: y"
    marks_are ""
    # A new order replaces it: now.
    send order S 0 0
    wait_for 5 marks_are "rc.shutdown 0"
    [ "$(cat "$T/rc.sigs")" = "$(printf 'SigBlk:0000000000000000\nSigIgn:0000000000000000')" ]
    # Back to waiting: the same shutdownd, still listening, nothing taken down.
    echo 3 > "$T/rc.code"
    send order S 0 5000
    wait_for 5 marks_are "$(printf 'rc.shutdown 0\nrc.shutdown 0')"
    wait_for 5 err_has "shutdownd: warning: $T/base/scripts/rc.shutdown exited 3"
    echo sig > "$T/rc.code"
    send order S 0 0
    wait_for 5 err_has "shutdownd: warning: $T/base/scripts/rc.shutdown was killed by signal 10"
    mv "$T/base/scripts/rc.shutdown" "$T/rc.shutdown.away"
    send order S 0 0
    wait_for 5 err_has \
        "shutdownd: warning: unable to spawn $T/base/scripts/rc.shutdown: No such file or directory"
    [ "$(sd_pid)" = "$pid" ]
    sd_ready
    untouched
    [ ! -e "$T/sd.exit" ]
}

@test "shutdownd: c cancels the pending order, which never runs" {
    sd_image -B
    sd_boot
    local pid start
    pid=$(sd_pid)
    start=$(now_ms)
    send order r 2 0
    send raw c
    send raw z
    # z comes after c: once it is warned about, the cancel has been read.
    wait_for 5 err_has "shutdownd: warning: unknown command: z"
    # Past the cancelled deadline (2 s), nothing has happened.
    wait_for 10 sh -c '[ $(( $(date +%s%N) / 1000000 - $1 )) -ge 3000 ]' sh "$start"
    marks_are ""
    untouched
    # Still listening: an S now runs rc.shutdown once, and only that.
    send order S 0 0
    wait_for 5 marks_are "rc.shutdown 0"
    [ "$(sd_pid)" = "$pid" ]
    untouched
}

@test "shutdownd: a short or broken order exits 101; the restarted shutdownd starts clean" {
    sd_image -B
    sd_boot
    local pid1 pid2
    pid1=$(sd_pid)
    send raw rxx
    wait_for 10 grep -qx "101 .*" "$T/sd.exit"
    err_has "shutdownd: fatal: bad shutdown protocol"
    # supervise starts it again: a new shutdownd, ready, and nothing half shut down.
    wait_for 10 new_sd "$pid1"
    wait_for 10 sd_ready
    untouched
    marks_are ""
    # A whole order with nanoseconds out of range is no better.
    pid2=$(sd_pid)
    send order p 0 0 1000000000
    wait_for 10 eval '[ "$(grep -c "^101 " "$T/sd.exit")" = 2 ]'
    wait_for 10 new_sd "$pid2"
    wait_for 10 sd_ready
    untouched
    # The new one works.
    send order S 0 0
    wait_for 5 marks_are "rc.shutdown 0"
    untouched
}

@test "shutdownd: full shutdown: rc.shutdown, stage 4, services hidden and told d, TERM, KILL, stage 4 runs" {
    sd_image -B
    # Stage 4's umount-all and halt-final are fakes that only leave marks: the real ones must
    # never run here. Every other program is this build's.
    mkdir "$T/fakebin"
    ln -s "$KEEL_BIN"/* "$T/fakebin/"
    # The stand-ins replace the links, never the build's programs behind them.
    rm "$T/fakebin/umount-all" "$T/fakebin/halt-final"
    printf '#!/bin/sh\necho "umount-all $(pwd)" >> %s\n' "$T/marks" > "$T/fakebin/umount-all"
    printf '#!/bin/sh\necho "halt-final $*" >> %s\nexec sleep 100000\n' "$T/marks" \
        > "$T/fakebin/halt-final"
    printf '#!/bin/sh\necho rc.shutdown.final >> %s\n' "$T/marks" \
        > "$T/base/scripts/rc.shutdown.final"
    chmod 755 "$T/fakebin/umount-all" "$T/fakebin/halt-final" "$T/base/scripts/rc.shutdown.final"
    sd_boot KEEL_BINDIR="$T/fakebin"
    # fake: a service dir that svscan never scanned, whose supervise/control is read by a
    # process that ignores TERM, so it is still there to record what shutdownd writes.
    in_ns "mkdir -p /run/service/fake/supervise && mkfifo /run/service/fake/supervise/control &&
        { sh -c \"trap '' TERM; exec cat\" 0<>/run/service/fake/supervise/control \
            >$T/fake.ctl 2>&1 3>&- & }"
    # A process that survives the TERM round (noting it) and must fall to the KILL round.
    in_ns "{ sh -c 'trap \"echo term >> $T/ign.out\" TERM; echo \$\$ > $T/ign.pid
        while :; do sleep 0.05; done' </dev/null >/dev/null 2>&1 3>&- & }"
    wait_for 5 test -s "$T/ign.pid"
    in_ns "kill -0 $(cat "$T/ign.pid")"

    send_final order r 0 0
    wait_for 15 grep -q "^halt-final" "$T/marks"
    marks_are "$(printf 'rc.shutdown 0\numount-all /\nrc.shutdown.final\nhalt-final -r')"
    err_has "shutdownd: info: sending all processes the TERM signal..."
    err_has "shutdownd: info: sending all processes the KILL signal..."
    [ "$(cat "$T/fake.ctl")" = d ]
    grep -qx term "$T/ign.out"
    ! in_ns "kill -0 $(cat "$T/ign.pid")"

    # Only the survivors and the hidden services are left in the scan directory.
    run ns_run "$T/ns" 'ls -A /run/service'
    [ "${#lines[@]}" = 5 ]
    [[ ${lines[0]} =~ ^\.s6-linux-init-shutdownd:bar:[A-Za-z0-9_-]{6}$ ]]
    [[ ${lines[1]} =~ ^\.s6-linux-init-shutdownd:fake:[A-Za-z0-9_-]{6}$ ]]
    [[ ${lines[2]} =~ ^\.s6-linux-init-shutdownd:foo:[A-Za-z0-9_-]{6}$ ]]
    [ "${lines[3]}" = .s6-svscan ]
    [ "${lines[4]}" = s6-linux-init-shutdownd ]

    # The stage 4 script: mode 0700, absolute paths, the order's action.
    [ "$(in_ns "stat -c %a '$SD/stage 4'")" = 700 ]
    run ns_run "$T/ns" "cat '$SD/stage 4'"
    [ "$output" = "#!/bin/sh
# stage 4, written by shutdownd: every process is gone. Unmount the file
# systems, run the last user script, then halt, power off or reboot.
cd /
$T/fakebin/umount-all
[ -x $T/base/scripts/rc.shutdown.final ] && $T/base/scripts/rc.shutdown.final
exec $T/fakebin/halt-final -r" ]
    in_ns "[ ! -e '$SD/stage 4.new' ]"
}

@test "shutdownd -C: haltcode, stage 4 makes pid 1 run .s6-svscan/finish, the namespace ends" {
    sd_image -C
    make_service "$T/image/service/s6-svscan-log"
    cat > "$T/image/service/.s6-svscan/finish" <<EOF
#!/bin/sh
cat /run/s6-linux-init-container-results/haltcode > $T/haltcode
ls -A /run/service > $T/final.ls
cat "$SD/stage 4" > $T/stage4
stat -c %a "$SD/stage 4" > $T/stage4.mode
exit 3
EOF
    chmod 755 "$T/image/service/.s6-svscan/finish"
    sd_boot
    send_final order p 0 0
    local up
    up=$(cat "$T/unshare.pid")
    wait_for 20 gone "$up"
    local st=0
    wait "$up" || st=$?
    [ "$st" = 3 ]
    [ "$(cat "$T/haltcode")" = p ]
    [ "$(cat "$T/stage4.mode")" = 700 ]
    [ "$(cat "$T/stage4")" = "#!/bin/sh
# stage 4, written by shutdownd: the container is going down.
# Our own supervisor must not restart us: it exits with this script.
$KEEL_BIN/svc -Ox -- .
# The catch-all logger: down and gone once it has read everything.
$KEEL_BIN/svc -Oxc -- /run/service/s6-svscan-log &
# pid 1 runs .s6-svscan/finish, which reads the haltcode.
exec $KEEL_BIN/svscanctl -b -- /run/service" ]
    marks_are "rc.shutdown 0"
    # The logger is kept; the other services are hidden.
    run grep -c '^\.s6-linux-init-shutdownd:\(foo\|bar\):' "$T/final.ls"
    [ "$output" = 2 ]
    grep -qx s6-svscan-log "$T/final.ls"
    grep -qx s6-linux-init-shutdownd "$T/final.ls"
    # A container is quiet: no sync, no info messages.
    ! grep -q info "$T/sd.err"
}
