#!/usr/bin/env bats
# The whole init cycle of a machine (init-maker without -C): stage 4 unmounts the file systems
# (umount-all), runs rc.shutdown.final and calls reboot(2) (halt-final). umount-all remounts
# the root read-only, so this runs only as pid 1 of a child PID + mount namespace, after
# pivot_root into a tmpfs root that holds nothing but the test's own mounts (tests/final.bash:
# the old root detached, /proc/self/mountinfo checked, exit 92 otherwise): keel's programs in
# /keel/bin, sh and a few tools with their libraries, the boot directory, the example services,
# a /dev with /dev/null and a FIFO as /dev/console (never a real console), a proc, a tmpfs on
# /data with a bind mount on it. The host reads the console FIFO through /proc/PID/root.

load helper
load final

setup() {
    keel_setup
    # Example services, as rc.init's SERVICES_DIR (/services in the new root). Their finish
    # scripts say on the console that they ran.
    local s
    make_service "$T/services/ticker" 'while :; do echo tick; sleep 1; done'
    make_service "$T/services/waiter"
    for s in ticker waiter; do
        printf '#!/bin/sh\necho "%s finished" > /dev/console\n' "$s" > "$T/services/$s/finish"
        chmod 755 "$T/services/$s/finish"
    done
    # The skeleton as shipped; rc.shutdown says on the console that it starts, and
    # rc.shutdown.final shows the commands of the stage 4 script that runs it, what stage 4 left
    # mounted (mount point, type, mount flag and super block flag: rw/ro), and whether the wtmp
    # record of halt, poweroff or reboot is there.
    cp -R "$KEEL_ROOT/skel" "$T/skel"
    sed -i '1a echo "rc.shutdown: start" > /dev/console' "$T/skel/rc.shutdown"
    cat > "$T/skel/rc.shutdown.final" <<'EOF'
#!/bin/sh
echo "rc.shutdown.final: start"
while read -r line; do
    case $line in "#"*) ;; *) echo "stage 4: $line" ;; esac
done < "/run/service/s6-linux-init-shutdownd/stage 4"
while read -r _id _parent _dev _root mp opts rest; do
    set -- ${rest#*- }
    echo "mounted $mp $1 ${opts%%,*} ${3%%,*}"
done < /proc/self/mountinfo
[ -s /var/log/wtmp ] && echo "rc.shutdown.final: wtmp written"
echo "rc.shutdown.final: end"
EOF
}

teardown() {
    [ -f "$T/init.pid" ] && kill -9 "$(cat "$T/init.pid")" 2>/dev/null
    keel_teardown
}

# make_boot: $T/boot, made by init-maker for a machine (no -C): basedir /boot in the new root,
# keel's programs in /keel/bin there.
make_boot() {
    KEEL_BINDIR=/keel/bin init-maker -f "$T/skel" -c /boot -q 500 -p /keel/bin:/bin \
        -e KEEL_BINDIR=/keel/bin -e SERVICES_DIR=/services "$T/boot"
}

# The namespace's pid 1 script (in_ns_sh, $1 = $T, $2 = keel's bin dir, $3 = more commands to
# run before pivot_root, for the safety test): builds the new root,
# pivots into it, checks its mounts, and becomes the boot directory's bin/init with stdin
# /dev/null, stdout and stderr the console. /data/shared, a bind mount, sits on /data, a
# tmpfs: only in reverse order can umount-all unmount both (in forward order /data would be
# busy, and only remounted read-only). /proc2 is a second proc: only the first one stays.
# shellcheck disable=SC2016
MACHINE="$ROOT_COPY"'
set -e
R=$1/root
mkdir -p "$R"
mount -t tmpfs -o size=64m,mode=755 keeltest-root "$R"
for p in /bin/sh /bin/cat /bin/sleep /bin/readlink /bin/umount; do root_copy "$p"; done
for p in "$2"/*; do root_copy "$p" "/keel/bin/${p##*/}"; done
cp -a "$1/boot" "$R/boot"
cp -a "$1/services" "$R/services"
mkdir -p "$R/etc" "$R/dev" "$R/proc" "$R/proc2" "$R/run" "$R/tmp" "$R/var/log" "$R/data" \
    "$R/srv/shared"
cp /etc/ld.so.cache "$R/etc/"
cp -a /dev/null "$R/dev/"
: > "$R/var/log/wtmp"
mkfifo -m 0600 "$R/dev/console"
echo "a test file" > "$R/srv/shared/file"
mount -t proc keeltest-proc "$R/proc"
mount -t tmpfs keeltest-data "$R/data"
mkdir "$R/data/shared"
mount --bind "$R/srv/shared" "$R/data/shared"
mount -t proc keeltest-proc "$R/proc2"
eval "$3"
'"$ROOT_PIVOT"'
# The console: read and write, so that nobody ever blocks on it or sees EOF while pid 1 lives;
# the host reads it through /proc/PID/root/dev/console.
exec </dev/null 1<>/dev/console 2>&1
export KEEL_BINDIR=/keel/bin PATH=/keel/bin:/bin
exec /boot/bin/init
'

# ns_init_below PID: the first process below PID that is pid 1 of a PID namespace other than
# the host's.
ns_init_below() {
    local c
    for c in $(pgrep -P "$1"); do
        if [ "$(awk '$1 == "NSpid:" { print $NF }' "/proc/$c/status" 2>/dev/null)" = 1 ] &&
            [ "$(readlink "/proc/$c/ns/pid")" != "$HOST_PIDNS" ]; then
            echo "$c"
            return 0
        fi
        ns_init_below "$c" && return 0
    done
    return 1
}

# console_ready: the namespace's root has its console FIFO (only the test's root can: the
# host's /dev/console is a character device, and a root never goes back).
console_ready() { [ -p "/proc/$(cat "$T/init.pid")/root/dev/console" ]; }

# boot: the machine as pid 1 of a new namespace. Its host pid goes to $T/init.pid, its exit
# status, as the shell sees the namespace's parent's, to $T/init.status; what it writes to the
# console to $T/console; the root builder's messages to $T/ns.out.
boot() {
    ( in_ns_sh "$MACHINE" "$T" "$KEEL_BIN" '' >"$T/ns.out" 2>&1 &
      echo $! > "$T/ns.pid"
      if wait $!; then echo 0; else echo $?; fi > "$T/init.status" ) &
    track_pid $!
    wait_for 5 test -s "$T/ns.pid"
    wait_for 5 ns_init_below "$(cat "$T/ns.pid")" >/dev/null
    ns_init_below "$(cat "$T/ns.pid")" > "$T/init.pid"
    track_pid "$(cat "$T/init.pid")"
    wait_for 15 console_ready || { cat "$T/ns.out" >&2; return 1; }
    cat "/proc/$(cat "$T/init.pid")/root/dev/console" > "$T/console" 3>&- &
    track_pid $!
}

# inside 'SH COMMANDS': runs them in the namespace's root, after checking that it is not the
# host's PID namespace and that its pid 1 is svscan (exit 90/91 and nothing run otherwise).
# shellcheck disable=SC2016
inside() {
    nsenter -t "$(cat "$T/init.pid")" -p -m -r -- /bin/sh -c '
        cd / && export PATH=/keel/bin:/bin KEEL_BINDIR=/keel/bin
        [ "$(readlink /proc/self/ns/pid)" != "$1" ] || { echo "inside: host PID namespace" >&2; exit 90; }
        [ "$(cat /proc/1/comm)" = svscan ] || { echo "inside: pid 1 is not svscan" >&2; exit 91; }
        shift; eval "$1"' sh "$HOST_PIDNS" "$1"
}

# shellcheck disable=SC2016
all_up() {
    inside 'for s in ticker waiter s6-linux-init-shutdownd s6-svscan-log s6-linux-init-runleveld; do
                [ "$(svstat -o up /run/service/$s)" = true ] || exit 1
            done' 2>/dev/null
}

# shellcheck disable=SC2016
pids_of() {
    inside 'for s in ticker waiter s6-linux-init-shutdownd s6-svscan-log s6-linux-init-runleveld; do
                svstat -o pid /run/service/$s; done' | tr '\n' ' '
}

ended() { [ -s "$T/init.status" ]; }

# wait_end SECONDS: the namespace's init is gone; its status is in $end_status.
wait_end() {
    wait_for "$1" ended || { cat "$T/console" "$T/ns.out" >&2; return 1; }
    end_status=$(cat "$T/init.status")
}

# after_test: the console from the line the test wrote (test: WHAT) on.
after_test() { sed -n "/^test: $1\$/,\$p" "$T/console"; }

# The console from the line "test: WHAT" (written by the test) on.
console_from() { awk -v l="test: $1" 'on || $0 == l { on = 1; print }' "$T/console"; }

# expected_end 'COMMAND' H|P|R WTMP [LINES...]: what the console shows from the test's line
# on: the LINES (the command's own output), then stage 3 and 4 in order: rc.shutdown stops the
# services (their finish scripts run), shutdownd kills everything, stage 4 runs umount-all,
# which leaves only the root (read-only), the first proc and /run, then rc.shutdown.final
# (which finds the wtmp record that halt, poweroff and reboot write, if WTMP is "wtmp"), then
# halt-final -h, -p or -r; nothing comes after it.
expected_end() {
    local what=$1 action=$2 wtmp=$3
    shift 3
    printf '%s\n' "test: $what" "$@" \
        'rc.shutdown: start' \
        'waiter finished' \
        'ticker finished' \
        'shutdownd: info: sending all processes the TERM signal...' \
        'shutdownd: info: sending all processes the KILL signal...' \
        'rc.shutdown.final: start' \
        'stage 4: cd /' \
        'stage 4: /keel/bin/umount-all' \
        'stage 4: [ -x /boot/scripts/rc.shutdown.final ] && /boot/scripts/rc.shutdown.final' \
        "stage 4: exec /keel/bin/halt-final -$action" \
        'mounted / tmpfs rw ro' \
        'mounted /proc proc rw rw' \
        'mounted /run tmpfs rw rw'
    [ "$wtmp" != wtmp ] || echo 'rc.shutdown.final: wtmp written'
    echo 'rc.shutdown.final: end'
}

# shut_down 'COMMAND' STATUS H|P|R WTMP [LINES...]: runs COMMAND in the booted machine, waits
# until the namespace is gone, and checks its status and the console's last lines
# (expected_end).
shut_down() {
    local cmd=$1 status=$2
    shift 2
    local rc=0
    inside "echo 'test: $cmd' > /dev/console; $cmd" || rc=$?
    order_delivered "$rc" || { echo "$cmd: exit $rc" >&2; return 1; }
    wait_end 30
    [ "$end_status" = "$status" ] || { echo "status $end_status" >&2; cat "$T/console" >&2; return 1; }
    diff -u <(expected_end "$cmd" "$@") <(console_from "$cmd")
}

# boot_up: make_boot, boot, and wait until every service is up.
boot_up() {
    make_boot
    boot
    wait_for 15 all_up || { cat "$T/console" "$T/ns.out" >&2; return 1; }
}

@test "machine: boots with the test's mounts; banner and Ctrl-Alt-Del warning on the console" {
    need_root
    boot_up
    # shellcheck disable=SC2016
    [ "$(inside 'while read -r _ _ _ _ mp _; do printf "%s " "$mp"; done < /proc/self/mountinfo')" = \
        "/ /proc /data /data/shared /proc2 /run " ]
    # stage 1: its banner; no /dev/tty0 here, so no word about it; reboot(RB_DISABLE_CAD)
    # fails with EINVAL in a PID namespace. Nothing else reaches the console while it runs.
    [ "$(cat "$T/console")" = "
  keel version $(sed -n 's/^version=//p' "$KEEL_ROOT/package/info")

stage1: warning: unable to trap ctrl-alt-del: Invalid argument" ]
    # rc.init ran with its output in the catch-all log, and so did the runlevel script.
    inside 'cat /run/uncaught-logs/current' > "$T/uncaught"
    grep -q ' rc.init: services started$' "$T/uncaught"
    grep -q ' runlevel: no service manager is set up; edit /boot/scripts/runlevel to switch to runlevel default$' "$T/uncaught"
}

@test "machine: services survive kill -9 -1; poweroff: stage 3, stage 4, SIGINT" {
    need_root
    boot_up
    kill_all_survived
    shut_down /boot/bin/poweroff 130 p wtmp
}

@test "machine: reboot ends with SIGHUP, after the same stage 4" {
    need_root
    boot_up
    shut_down /boot/bin/reboot 129 r wtmp
}

@test "machine: halt ends with SIGINT, after the same stage 4" {
    need_root
    boot_up
    shut_down /boot/bin/halt 130 h wtmp
}

@test "machine: SIGINT to pid 1 (Ctrl-Alt-Del) reboots through .s6-svscan/SIGINT" {
    need_root
    boot_up
    # init-shutdown -a: no /etc/shutdown.allow here, so anyone may.
    shut_down 'kill -INT 1' 129 r no
}

@test "machine: telinit 0 runs the runlevel script through runleveld, then powers off" {
    need_root
    boot_up
    shut_down '/boot/bin/telinit 0 > /dev/console' 130 p wtmp \
        'runlevel: no service manager is set up; edit /boot/scripts/runlevel to switch to runlevel 0'
}

@test "machine: shutdown -h now (the bin/shutdown link) halts, without a wtmp record" {
    need_root
    boot_up
    # init-shutdown writes no wtmp record; its wall message finds nobody logged in.
    shut_down '/boot/bin/shutdown -h now' 130 h no
}

@test "machine: the root builder refuses to boot with a mount that is not the test's (92)" {
    need_root
    make_boot
    # shellcheck disable=SC2016
    run --separate-stderr in_ns_sh "$MACHINE" "$T" "$KEEL_BIN" 'mkdir "$R/host"; mount --bind /etc "$R/host"'
    [ "$status" -eq 92 ]
    [ -z "$output" ]
    [[ $stderr == "foreign mount: /host "* ]]
}
