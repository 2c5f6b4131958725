#!/usr/bin/env bats
# init-maker: the exact tree it writes (names, types, modes, owners), the command lines its
# scripts run (executed against stand-in programs that record their arguments, from a bin
# directory whose name needs quoting), -e/-R/-u/-C/-B/-M, every error with its exit code and
# message, and the removal of DIR on failure. keel's own skeleton (skel/) is checked too.

load helper

# A skeleton with the three mandatory scripts (and rc.shutdown.final with "final").
make_skel() {
    mkdir -p "$T/skel"
    local f
    for f in rc.init rc.shutdown runlevel ${1:+rc.shutdown.final}; do
        printf '#!/bin/sh\necho %s\n' "$f" > "$T/skel/$f"
    done
}

mk() { init-maker -f "$T/skel" "$@"; }

# The tree below DIR, one "MODE OWNER PATH" line per entry, sorted by path.
listing() { (cd "$1" && find . -mindepth 1 -printf '%M %u %p\n' | LC_ALL=C sort -k3); }

# Stand-ins for the keel programs the scripts run, in a directory whose name has a space and a
# quote: each appends its name and arguments, one per line, then "--", to $T/calls. reap-all
# then runs its arguments, as the real one does once no child is left.
FAKES="stage1 softlimit mount-stage1 init-hpr init-shutdown init-telinit redirfd setuidgid
svlog shutdownd init-runleveld kill-all reap-all"
make_fakes() {
    FB="$T/b i'n"
    mkdir -p "$FB"
    local f
    for f in $FAKES; do
        {
            echo '#!/bin/sh'
            echo "{ echo \"\${0##*/}\"; for a in \"\$@\"; do printf '%s\n' \"\$a\"; done; echo --; } >> \"\$CALLS\""
            if [ "$f" = reap-all ]; then echo 'exec "$@"'; fi
        } > "$FB/$f"
        chmod 755 "$FB/$f"
    done
    export KEEL_BINDIR="$FB" CALLS="$T/calls"
    : > "$CALLS"
}

# calls_are 'LINE' ...: $T/calls holds exactly these lines (then empties it).
calls_are() {
    local want
    want=$(printf '%s\n' "$@")
    if [ "$(cat "$T/calls")" != "$want" ]; then
        echo "calls: $(cat "$T/calls")" >&2
        echo "want:  $want" >&2
        return 1
    fi
    : > "$T/calls"
}

# Every script below DIR passes sh -n and dash -n.
all_parse() {
    local f n=0
    while IFS= read -r f; do
        head -n1 "$f" | grep -qx '#!/bin/sh' || { echo "$f: no #!/bin/sh" >&2; return 1; }
        sh -n "$f" || return 1
        if command -v dash >/dev/null; then dash -n "$f" || return 1; fi
        n=$((n + 1))
    done < <(find "$1" -type f -perm -u+x)
    [ "$n" -gt 10 ]
}

setup() {
    keel_setup
    make_skel final
}

# --- the tree -------------------------------------------------------------------------------

@test "init-maker: the machine tree, exactly: names, types, modes, owners" {
    mk "$T/d"
    [ "$(stat -c %a "$T/d")" = 755 ]
    [ "$(listing "$T/d")" = "drwxr-xr-x root ./bin
-rwxr-xr-x root ./bin/halt
-rwxr-xr-x root ./bin/init
-rwxr-xr-x root ./bin/poweroff
-rwxr-xr-x root ./bin/reboot
lrwxrwxrwx root ./bin/shutdown
lrwxrwxrwx root ./bin/telinit
drwxr-xr-x root ./env
drwxr-xr-x root ./run-image
drwxr-xr-x root ./run-image/service
drwxr-xr-x root ./run-image/service/.s6-svscan
-rwxr-xr-x root ./run-image/service/.s6-svscan/SIGINT
-rwxr-xr-x root ./run-image/service/.s6-svscan/SIGPWR
-rwxr-xr-x root ./run-image/service/.s6-svscan/SIGQUIT
-rwxr-xr-x root ./run-image/service/.s6-svscan/SIGTERM
-rwxr-xr-x root ./run-image/service/.s6-svscan/SIGUSR1
-rwxr-xr-x root ./run-image/service/.s6-svscan/SIGUSR2
-rwxr-xr-x root ./run-image/service/.s6-svscan/SIGWINCH
-rwxr-xr-x root ./run-image/service/.s6-svscan/crash
-rwxr-xr-x root ./run-image/service/.s6-svscan/finish
drwxr-xr-x root ./run-image/service/s6-linux-init-runleveld
-rw-r--r-- root ./run-image/service/s6-linux-init-runleveld/notification-fd
-rwxr-xr-x root ./run-image/service/s6-linux-init-runleveld/run
drwxr-xr-x root ./run-image/service/s6-linux-init-shutdownd
prw------- root ./run-image/service/s6-linux-init-shutdownd/fifo
-rw-r--r-- root ./run-image/service/s6-linux-init-shutdownd/notification-fd
-rwxr-xr-x root ./run-image/service/s6-linux-init-shutdownd/run
drwxr-xr-x root ./run-image/service/s6-svscan-log
prw------- root ./run-image/service/s6-svscan-log/fifo
-rw-r--r-- root ./run-image/service/s6-svscan-log/notification-fd
-rwxr-xr-x root ./run-image/service/s6-svscan-log/run
drwxr-s--- root ./run-image/uncaught-logs
drwxr-xr-x root ./scripts
-rwxr-xr-x root ./scripts/rc.init
-rwxr-xr-x root ./scripts/rc.shutdown
-rwxr-xr-x root ./scripts/rc.shutdown.final
-rwxr-xr-x root ./scripts/runlevel" ]
    [ "$(readlink "$T/d/bin/shutdown")" = "$KEEL_BIN/init-shutdown" ]
    [ "$(readlink "$T/d/bin/telinit")" = "$KEEL_BIN/init-telinit" ]
    [ "$(stat -c %a "$T/d/run-image/uncaught-logs")" = 2750 ]
    for s in s6-svscan-log s6-linux-init-shutdownd s6-linux-init-runleveld; do
        [ "$(cat "$T/d/run-image/service/$s/notification-fd")" = 3 ]
    done
    cmp "$T/skel/rc.init" "$T/d/scripts/rc.init"
    cmp "$T/skel/rc.shutdown.final" "$T/d/scripts/rc.shutdown.final"
    all_parse "$T/d"
}

@test "init-maker -C: no runleveld, telinit or runlevel; container results; -B: no logger" {
    mk -C "$T/c"
    listing "$T/c" | awk '{ print $1, $3 }' > "$T/c.list"
    mk "$T/m"
    listing "$T/m" | awk '{ print $1, $3 }' > "$T/m.list"
    run diff "$T/m.list" "$T/c.list"
    [ "$output" = "7d6
< lrwxrwxrwx ./bin/telinit
9a9,10
> drwxr-xr-x ./run-image/s6-linux-init-container-results
> -rw-r--r-- ./run-image/s6-linux-init-container-results/exitcode
21,23d21
< drwxr-xr-x ./run-image/service/s6-linux-init-runleveld
< -rw-r--r-- ./run-image/service/s6-linux-init-runleveld/notification-fd
< -rwxr-xr-x ./run-image/service/s6-linux-init-runleveld/run
37d34
< -rwxr-xr-x ./scripts/runlevel" ]
    [ "$(cat "$T/c/run-image/s6-linux-init-container-results/exitcode")" = 0 ]
    [ "$(stat -c %s "$T/c/run-image/s6-linux-init-container-results/exitcode")" = 2 ]
    all_parse "$T/c"

    mk -C -B "$T/cb"
    run diff <(listing "$T/c") <(listing "$T/cb")
    [ "$output" = "26,30d25
< drwxr-xr-x root ./run-image/service/s6-svscan-log
< prw------- root ./run-image/service/s6-svscan-log/fifo
< -rw-r--r-- root ./run-image/service/s6-svscan-log/notification-fd
< -rwxr-xr-x root ./run-image/service/s6-svscan-log/run
< drwxr-s--- root ./run-image/uncaught-logs" ]
}

@test "init-maker: rc.shutdown.final is optional; runlevel is not needed with -C" {
    rm "$T/skel/rc.shutdown.final"
    mk "$T/d"
    [ ! -e "$T/d/scripts/rc.shutdown.final" ]
    rm "$T/skel/runlevel"
    mk -C "$T/c"
    [ "$(ls "$T/c/scripts")" = "rc.init
rc.shutdown" ]
}

@test "init-maker -u nobody: uncaught-logs belongs to nobody, the logger runs setuidgid nobody" {
    need_root
    make_fakes
    mk -u nobody "$T/d"
    [ "$(stat -c '%a %U %g' "$T/d/run-image/uncaught-logs")" = "2750 nobody $(id -g nobody)" ]
    [ "$(find "$T/d" -user nobody)" = "$T/d/run-image/uncaught-logs" ]
    (cd "$T/d/run-image/service/s6-svscan-log" && ./run)
    calls_are redirfd -rnb 0 fifo "$FB/setuidgid" nobody "$FB/svlog" -bpd3 -- t /run/uncaught-logs --
    # root: no setuidgid
    mk -u root "$T/r"
    (cd "$T/r/run-image/service/s6-svscan-log" && ./run)
    calls_are redirfd -rnb 0 fifo "$FB/svlog" -bpd3 -- t /run/uncaught-logs --
}

# --- bin/init ---------------------------------------------------------------------------------

# init_args OPTIONS...: makes a tree with them, runs its bin/init with two arguments and leaves
# what the stand-ins recorded in $T/calls.
init_args() {
    rm -rf "$T/i"
    mk "$@" "$T/i"
    sh -n "$T/i/bin/init"
    "$T/i/bin/init" arg1 'arg 2'
}

@test "init-maker: bin/init runs stage1 with the options, in order, and \"\$@\"" {
    make_fakes
    init_args
    calls_are stage1 -v 1 -m 0022 -c /etc/s6-linux-init/current -- arg1 'arg 2' --
    init_args -V 3 -m 027 -c "/opt/it's a base" -p '/bin:/my bin' -s /run/kenv -d /dev \
        -D 3 -W 5 -n
    calls_are stage1 -v 3 -m 0027 -c "/opt/it's a base" -p '/bin:/my bin' -s /run/kenv \
        -d /dev -D 3 -W 5 -n -- arg1 'arg 2' --
    init_args -n -N -C -B -W 0 -m 0
    calls_are stage1 -v 1 -m 000 -c /etc/s6-linux-init/current -W 0 -N -C -B -- arg1 'arg 2' --
    init_args -N -n
    calls_are stage1 -v 1 -m 0022 -c /etc/s6-linux-init/current -n -- arg1 'arg 2' --
}

@test "init-maker -M: mount-stage1 [-C] -- first, stage1 -N; -R: softlimit -H ... -- before it" {
    make_fakes
    init_args -M -n
    calls_are mount-stage1 -- "$FB/stage1" -v 1 -m 0022 -c /etc/s6-linux-init/current -N -- \
        arg1 'arg 2' --
    init_args -M -C
    calls_are mount-stage1 -C -- "$FB/stage1" -v 1 -m 0022 -c /etc/s6-linux-init/current -N -C \
        -- arg1 'arg 2' --
    init_args -R 'o2000,c0;d= a1e9, ,t10'
    calls_are softlimit -H -o 2000 -c 0 -d = -a 1e9 -t 10 -- "$FB/stage1" -v 1 -m 0022 \
        -c /etc/s6-linux-init/current -- arg1 'arg 2' --
    init_args -R m100 -M
    calls_are softlimit -H -m 100 -- "$FB/mount-stage1" -- "$FB/stage1" -v 1 -m 0022 \
        -c /etc/s6-linux-init/current -N -- arg1 'arg 2' --
}

@test "init-maker: the bin/init text, with program paths that need no quotes" {
    case $KEEL_BIN in *[!A-Za-z0-9_./-]*) skip "build path needs quoting" ;; esac
    mk -c "/a b" "$T/d"
    [ "$(tail -n1 "$T/d/bin/init")" = "exec $KEEL_BIN/stage1 -v 1 -m 0022 -c '/a b' -- \"\$@\"" ]
    [ "$(tail -n1 "$T/d/bin/halt")" = "exec $KEEL_BIN/init-hpr -h \"\$@\"" ]
}

# --- the other scripts ------------------------------------------------------------------------

@test "init-maker: halt/poweroff/reboot, shutdown and telinit, machine and container (-S)" {
    make_fakes
    mk "$T/m"
    mk -C "$T/c"
    mk -C -S "$T/s"
    for d in m c s; do
        for c in halt poweroff reboot; do "$T/$d/bin/$c" -w 'x y'; done
    done
    calls_are init-hpr -h -w 'x y' -- init-hpr -p -w 'x y' -- init-hpr -r -w 'x y' -- \
        init-hpr -nh -w 'x y' -- init-hpr -np -w 'x y' -- init-hpr -nr -w 'x y' -- \
        init-hpr -h -w 'x y' -- init-hpr -p -w 'x y' -- init-hpr -r -w 'x y' --
    "$T/m/bin/shutdown" -r now
    "$T/m/bin/telinit" 3
    "$T/c/bin/shutdown" -h now
    # (symbolic links: the stand-ins see the links' names)
    calls_are shutdown -r now -- telinit 3 -- shutdown -h now --
    [ "$(readlink "$T/m/bin/shutdown")" = "$FB/init-shutdown" ]
}

@test "init-maker: a relative program directory gets wrapper scripts instead of symlinks" {
    make_fakes
    ln -s "$FB" "$T/rel"
    (cd "$T" && KEEL_BINDIR=rel init-maker -f "$T/skel" "$T/d")
    [ -f "$T/d/bin/shutdown" ] && [ ! -L "$T/d/bin/shutdown" ]
    sh -n "$T/d/bin/shutdown"
    (cd "$T" && d/bin/shutdown -k 'a b' && d/bin/telinit 2)
    calls_are init-shutdown -k 'a b' -- init-telinit 2 --
}

@test "init-maker: .s6-svscan signal scripts; -a only on a machine; SIGTERM halts a container" {
    make_fakes
    mk "$T/m"
    mk -C "$T/c"
    for d in m c; do
        for s in SIGTERM SIGQUIT SIGINT SIGUSR1 SIGUSR2 SIGPWR SIGWINCH; do
            "$T/$d/run-image/service/.s6-svscan/$s"
        done
    done
    calls_are init-shutdown -a -r -- now -- init-shutdown -a -p -- now -- \
        init-shutdown -a -h -- now -- init-shutdown -a -p -- now -- \
        init-shutdown -h -- now -- init-shutdown -r -- now -- init-shutdown -p -- now -- \
        init-shutdown -h -- now -- init-shutdown -p -- now --
    for s in SIGQUIT SIGWINCH; do
        [ "$(grep -vc '^#' "$T/m/run-image/service/.s6-svscan/$s")" = 0 ]
    done
}

@test "init-maker: machine crash and finish print to /dev/console and reboot at once" {
    make_fakes
    mk "$T/m"
    grep -qx 'echo "s6-svscan crashed. Rebooting." > /dev/console' \
        "$T/m/run-image/service/.s6-svscan/crash"
    grep -qx 'echo "s6-svscan exited. Rebooting." > /dev/console' \
        "$T/m/run-image/service/.s6-svscan/finish"
    # The echo cannot reach a console here; the reboot still happens.
    "$T/m/run-image/service/.s6-svscan/crash" 2>/dev/null
    calls_are init-hpr -fr --
}

@test "init-maker: shutdownd, runleveld and logger run scripts" {
    make_fakes
    mk -c "/my base" -q 700 -1 -t 3 "$T/m"
    mk -C -B -t 0 "$T/c"
    mk -C -t 2 "$T/c2"
    for d in m c c2; do
        for s in s6-linux-init-shutdownd s6-svscan-log s6-linux-init-runleveld; do
            [ -x "$T/$d/run-image/service/$s/run" ] || continue
            (cd "$T/$d/run-image/service/$s" && ./run)
        done
    done
    calls_are shutdownd -d3 -c '/my base' -g 700 -- \
        redirfd -rnb 0 fifo "$FB/svlog" -bpd3 -- 1 t T /run/uncaught-logs -- \
        init-runleveld -d3 -c '/my base' s -- \
        shutdownd -d3 -c /etc/s6-linux-init/current -g 3000 -C -B -- \
        shutdownd -d3 -c /etc/s6-linux-init/current -g 3000 -C -- \
        redirfd -rnb 0 fifo "$FB/svlog" -bpd3 -- T /run/uncaught-logs --
    # Where the logger's own output goes: /dev/null, or stderr with -1 or -C.
    mk "$T/plain"
    grep -qx 'exec 1>/dev/null' "$T/plain/run-image/service/s6-svscan-log/run"
    grep -qx 'exec 1>&2' "$T/m/run-image/service/s6-svscan-log/run"
    grep -qx 'exec 1>&2' "$T/c2/run-image/service/s6-svscan-log/run"
    grep -qx 'exec 2>&1' "$T/m/run-image/service/s6-linux-init-runleveld/run"
}

@test "init-maker -G: the early getty service runs the command line" {
    make_fakes
    mk -G "\"$FB/init-hpr\" getty 'tty 1'" "$T/d"
    [ "$(ls "$T/d/run-image/service/s6-linux-init-early-getty")" = run ]
    "$T/d/run-image/service/s6-linux-init-early-getty/run"
    calls_are init-hpr getty 'tty 1' --
}

# finish and crash of a container read /run: run them in a private mount namespace with a
# fresh tmpfs there, never on the host's /run.
in_private_run() {
    unshare --mount sh -c 'mount --make-rprivate / && mount -t tmpfs tmpfs /run && exec "$@"' sh "$@"
}

@test "init-maker -C: finish exits with exitcode, or reboots/powers off per haltcode (-S: sync)" {
    need_root
    make_fakes
    mk -C "$T/c"
    mk -C -S "$T/s"
    F=$T/c/run-image/service/.s6-svscan/finish
    # shellcheck disable=SC2016
    run in_private_run sh -c 'mkdir -p /run/s6-linux-init-container-results &&
        echo 42 > /run/s6-linux-init-container-results/exitcode && exec "$1"' sh "$F"
    [ "$status" -eq 42 ]
    calls_are reap-all /bin/sh -c 'exit "$1"' sh 42 --
    run in_private_run "$F"   # no results dir at all: exit 0
    [ "$status" -eq 0 ]
    calls_are reap-all /bin/sh -c 'exit "$1"' sh 0 --
    # shellcheck disable=SC2016
    run in_private_run sh -c 'r=/run/s6-linux-init-container-results && mkdir -p $r &&
        printf "junk\n" > $r/exitcode && echo h > $r/haltcode && exec "$1"' sh "$F"
    [ "$status" -eq 0 ]
    calls_are reap-all /bin/sh -c 'exit "$1"' sh 0 --
    for hc in r p; do
        # shellcheck disable=SC2016
        run in_private_run sh -c 'r=/run/s6-linux-init-container-results && mkdir -p $r &&
            echo 3 > $r/exitcode && echo "$2" > $r/haltcode && exec "$1"' sh "$F" "$hc"
        calls_are reap-all "$FB/init-hpr" "-f${hc}n" -- init-hpr "-f${hc}n" --
    done
    # shellcheck disable=SC2016
    run in_private_run sh -c 'r=/run/s6-linux-init-container-results && mkdir -p $r &&
        echo r > $r/haltcode && exec "$1"' sh "$T/s/run-image/service/.s6-svscan/finish"
    calls_are reap-all "$FB/init-hpr" -fr -- init-hpr -fr --
}

@test "init-maker -C: crash kills everything and powers off" {
    make_fakes
    mk -C "$T/c"
    mk -C -S "$T/s"
    run --separate-stderr "$T/c/run-image/service/.s6-svscan/crash"
    [ "$stderr" = "s6-svscan crashed. Killing everything and exiting." ]
    "$T/s/run-image/service/.s6-svscan/crash" 2>/dev/null
    calls_are kill-all -k -- reap-all "$FB/init-hpr" -fnp -- init-hpr -fnp -- \
        kill-all -k -- reap-all "$FB/init-hpr" -fp -- init-hpr -fp --
}

@test "init-maker: odd basedir, PATH, getty and values still give valid sh" {
    mk -c "/x \$(touch $T/pwned) \`id\` ' \" \\ ; & | * ?" -p "/a b:\$HOME" -D "run level" \
        -d "/de v" -s "/run/\"env\"" -G "getty 'a b'" -e "X=\$(touch $T/pwned)" "$T/d"
    all_parse "$T/d"
    make_fakes
    rm -rf "$T/d" && mk -c "/x \$(touch $T/pwned) \`id\` ' \" \\ ; & | * ?" "$T/d"
    "$T/d/bin/init"
    (cd "$T/d/run-image/service/s6-linux-init-shutdownd" && ./run)
    [ ! -e "$T/pwned" ]
    calls_are stage1 -v 1 -m 0022 -c "/x \$(touch $T/pwned) \`id\` ' \" \\ ; & | * ?" -- -- \
        shutdownd -d3 -c "/x \$(touch $T/pwned) \`id\` ' \" \\ ; & | * ?" -g 3000 --
}

# --- env/ -------------------------------------------------------------------------------------

@test "init-maker -e: VAR=VALUE, VAR= (empty) and VAR (unset) files; the last one wins" {
    mk -e A=hello -e B= -e C -e 'D=x=y z' -e E=1 -e E=2 "$T/d"
    [ "$(ls "$T/d/env" | tr '\n' ' ')" = "A B C D E " ]
    [ "$(od -An -c "$T/d/env/A" | tr -s ' ')" = " h e l l o \n" ]
    [ "$(od -An -c "$T/d/env/B" | tr -s ' ')" = " \n" ]
    [ "$(stat -c %s "$T/d/env/C")" = 0 ]
    [ "$(cat "$T/d/env/D")" = "x=y z" ]
    [ "$(cat "$T/d/env/E")" = 2 ]
    [ "$(stat -c %a "$T/d/env/A")" = 644 ]
    mk "$T/e"
    [ -d "$T/e/env" ] && [ -z "$(ls "$T/e/env")" ]
}

@test "init-maker -e: bad names are usage errors, before anything is made" {
    expect_fail 100 "init-maker: fatal: invalid environment variable name in -e =x" mk -e =x "$T/d"
    expect_fail 100 "init-maker: fatal: invalid environment variable name in -e a/b=1" mk -e a/b=1 "$T/d"
    expect_fail 100 "init-maker: fatal: invalid environment variable name in -e .." mk -e .. "$T/d"
    [ ! -e "$T/d" ]
}

# --- errors -----------------------------------------------------------------------------------

@test "init-maker: usage errors" {
    expect_usage init-maker
    expect_usage init-maker -f "$T/skel" "$T/a" "$T/b"
    expect_usage init-maker -Z "$T/d"
    expect_usage init-maker "$T/d" -c
    expect_usage init-maker -t x "$T/d"
    expect_usage init-maker -m 8 "$T/d"
    expect_usage init-maker -m 1000 "$T/d"
    expect_usage init-maker -q -1 "$T/d"
    expect_usage init-maker -V x "$T/d"
    expect_usage init-maker -W x "$T/d"
    expect_fail 100 "init-maker: fatal: -t timestamp_style must be 0, 1, 2 or 3" init-maker -t 4 "$T/d"
    expect_fail 100 "init-maker: fatal: -W readyfd must be 0 or at least 3" init-maker -W 1 "$T/d"
    expect_fail 100 "init-maker: fatal: -W readyfd must be 0 or at least 3" init-maker -W 2 "$T/d"
    expect_fail 100 "init-maker: fatal: -L is not supported: keel has no logouthookd program" \
        init-maker -L "$T/d"
    [ ! -e "$T/d" ]
}

@test "init-maker: relative basedir, slashdev and env_store are refused; warnings" {
    expect_fail 100 "init-maker: fatal: base directory etc/x is not absolute" mk -c etc/x "$T/d"
    expect_fail 100 "init-maker: fatal: devtmpfs directory dev is not absolute" mk -d dev "$T/d"
    expect_fail 100 "init-maker: fatal: kernel environment store run/env is not absolute" \
        mk -s run/env "$T/d"
    [ ! -e "$T/d" ]
    expect_fail 0 "init-maker: warning: kernel environment store /etc/kenv is not located under initial tmpfs /run" \
        mk -s /etc/kenv "$T/d"
    expect_fail 0 "init-maker: warning: both -C and -d options given; are you sure your container does not come with a pre-mounted /dev?" \
        mk -C -d /dev "$T/e"
    [ -x "$T/d/bin/init" ] && [ -x "$T/e/bin/init" ]
}

@test "init-maker -R: malformed limits are usage errors" {
    run mk -R '' "$T/d"
    [ "$status" -eq 100 ]
    [[ $output == "init-maker: fatal: invalid resource limits:"* ]]
    for r in ',' x1 o 'o12a' 'P5' 'o 5' 'o-1' 'oo'; do
        expect_fail 100 "init-maker: fatal: invalid resource limits: $r" mk -R "$r" "$T/d"
    done
    [ ! -e "$T/d" ]
}

@test "init-maker: an unknown log user is a usage error (ignored with -B)" {
    expect_fail 100 "init-maker: fatal: unable to find user no-such-user-here in the user database" \
        mk -u no-such-user-here "$T/d"
    [ ! -e "$T/d" ]
    mk -B -u no-such-user-here "$T/d"
    [ ! -e "$T/d/run-image/uncaught-logs" ]
}

@test "init-maker as a user who is not root: the tree is the user's, uncaught-logs too with -u" {
    need_root
    chmod 1777 "$T"
    run setuidgid nobody init-maker -u nobody -f "$KEEL_ROOT/skel" "$T/d"
    [ "$status" -eq 0 ]
    [ -z "$(find "$T/d" ! -user nobody)" ]
    [ "$(stat -c '%a %U' "$T/d/run-image/uncaught-logs")" = "2750 nobody" ]
    # The logger's directory cannot be given to root by someone else: nothing is left behind.
    expect_fail 111 "init-maker: fatal: unable to chown $T/e/run-image/uncaught-logs: Operation not permitted" \
        setuidgid nobody init-maker -f "$KEEL_ROOT/skel" "$T/e"
    [ ! -e "$T/e" ]
}

@test "init-maker: DIR must not exist, and is left alone if it does" {
    mkdir "$T/d"
    echo keep > "$T/d/file"
    expect_fail 111 "init-maker: fatal: unable to mkdir $T/d: File exists" mk "$T/d"
    [ "$(cat "$T/d/file")" = keep ]
    expect_fail 111 "init-maker: fatal: unable to mkdir $T/no/d: No such file or directory" mk "$T/no/d"
}

@test "init-maker: a failure after DIR was made removes it (missing or unreadable skeleton)" {
    rm "$T/skel/runlevel"
    expect_fail 111 "init-maker: fatal: unable to copy $T/skel/runlevel to $T/d/scripts/runlevel: No such file or directory" \
        mk "$T/d"
    [ ! -e "$T/d" ]
    rm "$T/skel/rc.init" && mkdir "$T/skel/rc.init"
    expect_fail 111 "init-maker: fatal: unable to copy $T/skel/rc.init to $T/d/scripts/rc.init: Is a directory" \
        mk -C "$T/d"
    [ ! -e "$T/d" ]
    expect_fail 111 "init-maker: fatal: unable to copy $T/none/rc.init to $T/d/scripts/rc.init: No such file or directory" \
        init-maker -f "$T/none" "$T/d"
    [ ! -e "$T/d" ]
    [ -z "$(ls "$T" | grep -v '^skel$\|^none$')" ]
}

# --- keel's skeleton ---------------------------------------------------------------------------

@test "init-maker: @KEEL_PROGRAMS@ in a skeleton file becomes where keel's programs are, one sh word" {
    make_skel
    # shellcheck disable=SC2016
    printf '#!/bin/sh\nk=@KEEL_PROGRAMS@\necho "${k}svc" @KEEL_PROGRAMS@@KEEL_PROGRAMS@ @KEEL_PROGRAMS\n' \
        > "$T/skel/rc.init"
    KEEL_BINDIR="$T/my bin" init-maker -f "$T/skel" "$T/d"
    [ "$(sed -n 2p "$T/d/scripts/rc.init")" = "k='$T/my bin/'" ]
    run "$T/d/scripts/rc.init"
    [ "$output" = "$T/my bin/svc $T/my bin/$T/my bin/ @KEEL_PROGRAMS" ]
    # Without KEEL_BINDIR: BINDIR and PROGRAM_PREFIX of this build, as make install puts them.
    local bindir prefix
    bindir=$(sed -n 's/.* bindir\[\] = "\(.*\)";/\1/p' "$KEEL_ROOT/build/keel/config.h")
    prefix=$(sed -n 's/.* program_prefix\[\] = "\(.*\)";/\1/p' "$KEEL_ROOT/build/keel/config.h")
    [ -n "$bindir" ]
    env -u KEEL_BINDIR init-maker -f "$T/skel" "$T/e"
    [ "$(sed -n 2p "$T/e/scripts/rc.init")" = "k=$bindir/$prefix" ]
    # The other files, without the token, are copied byte for byte.
    cmp "$T/skel/rc.shutdown" "$T/e/scripts/rc.shutdown"
}

@test "skel: keel's scripts are sh, get copied, and the placeholders behave" {
    init-maker -f "$KEEL_ROOT/skel" "$T/d"
    for f in rc.init rc.shutdown rc.shutdown.final runlevel; do
        # keel's programs by full path: those of this build (KEEL_BINDIR).
        sed "s|@KEEL_PROGRAMS@|$KEEL_BIN/|g" "$KEEL_ROOT/skel/$f" | cmp - "$T/d/scripts/$f"
        sh -n "$T/d/scripts/$f"
        if command -v shellcheck >/dev/null; then shellcheck -s sh "$T/d/scripts/$f"; fi
    done
    run "$T/d/scripts/runlevel" 3
    [ "$status" -eq 0 ]
    [ "$output" = "runlevel: no service manager is set up; edit $T/d/scripts/runlevel to switch to runlevel 3" ]
    run "$T/d/scripts/runlevel"
    [ "$status" -ne 0 ]
    "$T/d/scripts/rc.shutdown.final"
    SERVICES_DIR=$T/none "$T/d/scripts/rc.shutdown"
}

@test "skel: rc.init in a container runs the command, stores its exit code and halts" {
    need_root
    make_fakes
    init-maker -C -f "$KEEL_ROOT/skel" "$T/c"
    # shellcheck disable=SC2016
    run in_private_run sh -c 'r=/run/s6-linux-init-container-results && mkdir -p $r &&
        SERVICES_DIR=/nonexistent "$1" default sh -c "echo cmd \"\$0\"; exit 5" "a b" &&
        cat $r/exitcode' sh "$T/c/scripts/rc.init"
    [ "$status" -eq 0 ]
    [ "$output" = "rc.init: stage 2 (runlevel default), services from /nonexistent
cmd a b
5" ]
    calls_are init-hpr -nh --
    # Without a command, it returns and the container stays up.
    # shellcheck disable=SC2016
    run in_private_run sh -c 'mkdir -p /run/s6-linux-init-container-results &&
        SERVICES_DIR=/nonexistent exec "$1" default' sh "$T/c/scripts/rc.init"
    [ "$status" -eq 0 ]
    calls_are
}
