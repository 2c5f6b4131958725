#!/usr/bin/env bats
# rc: against a real svscan and a live state made by rc-init, in $T. Transitions in dependency
# order (proven by timestamps the services log), in parallel, failures and what they skip,
# timeouts (a service's and the overall one), -p, essential services, list/listall/diff with
# -a/-d/-e, reload, dry runs, the lock, SIGTERM, the state file after each change, and the
# exact errors for bad names, a damaged live state or db, and bad usage.

load helper

# Every service logs to $T/log, one line per step: "start NAME NS", "ready NAME NS" (up and
# ready), "stop NAME NS" (going down), "stopped NAME NS" (down), NS from date +%s%N.
# lr NAME DELAY [DEPS...]: a longrun; with DELAY (seconds) it has a notification-fd and tells
# its readiness that long after it starts; with "-" it has none (its supervisor's "up" is its
# readiness: its own log line may come after its dependents start, so the checker skips it).
# It appends "hup" to $T/hup-NAME on SIGHUP and logs "stop" on SIGTERM; its finish logs
# "stopped".
lr() {
    local name=$1 delay=$2 d=$T/src/$1
    shift 2
    mkdir -p "$d/dependencies.d"
    echo longrun > "$d/type"
    {
        echo '#!/bin/sh'
        echo "log() { echo \"\$1 $name \$(date +%s%N)\" >> $T/log; }"
        echo 'log start'
        echo "trap 'echo hup >> $T/hup-$name' HUP"
        echo 'sleep 100000 & p=$! q='
        # (a trap runs only between commands: the sleeps run in the background, waited for)
        echo "trap 'log stop; kill \$p \$q 2>/dev/null; exit 0' TERM"
        if [ "$delay" != - ]; then
            echo "sleep $delay & q=\$!"
            echo 'while kill -0 $q 2>/dev/null; do wait $q; done'
            echo 'log ready; echo >&3'
        fi
        echo 'while kill -0 $p 2>/dev/null; do wait $p; done'
    } > "$d/run"
    printf '#!/bin/sh\necho "stopped %s $(date +%%s%%N)" >> %s/log\n' "$name" "$T" > "$d/finish"
    chmod 755 "$d/run" "$d/finish"
    if [ "$delay" != - ]; then echo 3 > "$d/notification-fd"; fi
    dep "$name" "$@"
}

# os NAME SECONDS [DEPS...]: a oneshot whose up logs start, sleeps, logs ready; its down logs
# stop, sleeps, logs stopped; its reload appends "reload" to $T/reload-NAME.
os() {
    local name=$1 delay=$2 d=$T/src/$1
    shift 2
    mkdir -p "$d/dependencies.d" "$T/scripts"
    echo oneshot > "$d/type"
    script "$name-up" "log start $name; sleep $delay; log ready $name"
    script "$name-down" "log stop $name; sleep $delay; log stopped $name"
    script "$name-reload" "echo reload >> $T/reload-$name"
    echo "/bin/sh $T/scripts/$name-up" > "$d/up"
    echo "/bin/sh $T/scripts/$name-down" > "$d/down"
    echo "/bin/sh $T/scripts/$name-reload" > "$d/reload"
    dep "$name" "$@"
}

# script NAME 'SH': $T/scripts/NAME, with log() defined.
script() {
    printf 'log() { echo "$1 $2 $(date +%%s%%N)" >> %s/log; }\n%s\n' "$T" "$2" > "$T/scripts/$1"
}

dep() {
    local name=$1 x
    shift
    for x in "$@"; do : > "$T/src/$name/dependencies.d/$x"; done
}

bundle() {
    local name=$1 x
    shift
    mkdir -p "$T/src/$name/contents.d"
    echo bundle > "$T/src/$name/type"
    for x in "$@"; do : > "$T/src/$name/contents.d/$x"; done
}

# rc_start: compile $T/src into $T/db, svscan on $T/scan, rc-init on $T/live.
rc_start() {
    rc-compile "$T/db" "$T/src"
    start_scan "$T/scan"
    rc-init -c "$T/db" -l "$T/live" -t 10000 "$T/scan"
    : > "$T/log"
}

# rcx ARGS...: rc -l $T/live ARGS, output and stderr apart.
rcx() { run --separate-stderr rc -l "$T/live" "$@"; }

# rc_ok ARGS...: rc -l $T/live ARGS must exit 0 with nothing on stderr.
rc_ok() {
    rcx "$@"
    [ "$status" -eq 0 ] && [ -z "$stderr" ] ||
        { echo "rc $*: status $status, stderr: $stderr" >&2; false; }
}

# up_names: the services the state file says are up, from its bytes and the db's order.
up_names() {
    paste -d' ' <(rc-db -c "$T/db" list services) <(od -An -v -tu1 -w1 "$T/live/state") |
        awk '$2 == 1 { printf "%s ", $1 }'
}

sd() { echo "$T/live/servicedirs/$1"; }
is_down() { ! is_up "$(sd "$1")"; }

# check_order: every service of the log started after each of its dependencies was ready
# (skipping longruns without readiness, see lr), and every dependency was stopped only after
# each service depending on it had stopped. The edges come from rc-db.
check_order() {
    local x
    for x in $(rc-db -c "$T/db" list services); do
        rc-db -c "$T/db" dependencies "$x" | sed "s/^/$x /"
    done > "$T/edges"
    order_ok "$T/edges" "$T/log"
}

# order_ok EDGES LOG: the checker itself (also run on a bad log, to see that it can fail).
order_ok() {
    awk -v nonotif="${NONOTIF:-}" '
        BEGIN { n = split(nonotif, a, " "); for (i = 1; i <= n; i++) skip[a[i]] = 1 }
        FNR == NR { ex[++ne] = $1; ed[ne] = $2; next }
        { t[$1 " " $2] = $3 }
        END {
            bad = 0
            for (k = 1; k <= ne; k++) {
                x = ex[k]; d = ed[k]
                if (d ~ /^s6rc-/) continue
                if (("start " x) in t && !skip[d]) {
                    if (!(("ready " d) in t)) { print x " started, " d " never ready"; bad = 1 }
                    else if (t["start " x] < t["ready " d]) { print x " started before " d " was ready"; bad = 1 }
                }
                if (("stop " d) in t) {
                    if (!(("stopped " x) in t)) { print d " stopped, " x " not"; bad = 1 }
                    else if (t["stop " d] < t["stopped " x]) { print d " stopped before " x; bad = 1 }
                }
            }
            exit bad
        }' "$1" "$2"
}

# The ordering graph: base (oneshot) <- db (ready after 0.3 s), cache (no readiness) <- app
# (ready after 0.2 s) <- web (oneshot); side (oneshot) alone; bundle all = web side.
graph() {
    os base 0.1
    lr db 0.3 base
    lr cache - base
    lr app 0.2 db cache
    os web 0.05 app
    os side 0.05
    bundle all web side
    NONOTIF=cache
}

@test "rc: change -u starts in dependency order, -d stops in reverse, the state file follows" {
    graph
    rc_start
    [ "$(up_names)" = "" ]
    rcx -v 2 -u change all
    [ "$status" = 0 ]
    [ "$(up_names)" = "app base cache db s6rc-oneshot-runner side web " ]
    for n in app db cache; do is_up "$(sd "$n")"; [ ! -e "$(sd "$n")/down" ]; done
    is_ready "$(sd app)"
    [ "$(grep -c '^rc: info: service [a-z6-]*: starting$' <<< "$stderr")" = 7 ]
    [ "$(grep -c '^rc: info: service [a-z6-]* successfully started$' <<< "$stderr")" = 7 ]
    check_order
    [ "$(grep -c '^start ' "$T/log")" = 6 ]
    # the same services again: nothing to do
    : > "$T/log"
    rc_ok -v 2 change all
    [ ! -s "$T/log" ]
    # down from base: everything depending on it goes, side stays
    rc_ok -d change base
    [ "$(up_names)" = "s6rc-oneshot-runner side " ]
    for n in app db cache; do is_down "$n"; [ -f "$(sd "$n")/down" ]; done
    check_order
    [ "$(grep -c '^stopped ' "$T/log")" = 5 ]
}

@test "rc: the order checker fails on a wrong order" {
    printf 'b a\n' > "$T/edges"
    printf 'start a 10\nready a 20\nstart b 15\n' > "$T/log"
    run order_ok "$T/edges" "$T/log"
    [ "$status" = 1 ]
    [ "$output" = "b started before a was ready" ]
    printf 'stop a 10\nstopped b 20\n' > "$T/log"
    run order_ok "$T/edges" "$T/log"
    [ "$status" = 1 ]
    [ "$output" = "a stopped before b" ]
}

@test "rc: -v 2 prints a line per transition; independent transitions run at once" {
    mkdir -p "$T/src" "$T/scripts"
    # p1 and p2 each wait (at most 5 s) for the other's mark: only parallel runs succeed.
    for me in 1 2; do
        other=$((3 - me))
        mkdir -p "$T/src/p$me"
        echo oneshot > "$T/src/p$me/type"
        script "p$me" "touch $T/mark$me; i=0; while [ ! -e $T/mark$other ]; do i=\$((i+1)); [ \$i -lt 250 ] || exit 9; sleep 0.02; done"
        echo "/bin/sh $T/scripts/p$me" > "$T/src/p$me/up"
    done
    rc_start
    rcx -v 2 change p1 p2
    [ "$status" = 0 ]
    [ "$(grep -c '^rc: info: service p[12]: starting$' <<< "$stderr")" = 2 ]
    grep -qx 'rc: info: service p1 successfully started' <<< "$stderr"
    grep -qx 'rc: info: service s6rc-oneshot-runner successfully started' <<< "$stderr"
    [ "$(up_names)" = "p1 p2 s6rc-oneshot-runner " ]
}

@test "rc: a failing oneshot: its dependents are skipped, the rest is done, exit 1" {
    mkdir -p "$T/scripts"
    os ok 0
    os after 0 bad
    os last 0 after
    mkdir -p "$T/src/bad"
    echo oneshot > "$T/src/bad/type"
    echo '/bin/sh -c "exit 3"' > "$T/src/bad/up"
    mkdir -p "$T/src/sig"
    echo oneshot > "$T/src/sig/type"
    echo '/bin/sh -c "kill -TERM $$"' > "$T/src/sig/up"
    rc_start
    rcx change last ok
    [ "$status" = 1 ]
    [ "$stderr" = "rc: warning: unable to start service bad: exited 3
rc: warning: service after not started: dependency bad failed to start
rc: warning: service last not started: dependency bad failed to start" ]
    [ "$(up_names)" = "ok s6rc-oneshot-runner " ]
    ! grep -q after "$T/log"
    expect_fail 1 "rc: warning: unable to start service sig: killed by signal SIGTERM" \
        rc -l "$T/live" change sig
    [ "$(up_names)" = "ok s6rc-oneshot-runner " ]
}

@test "rc: a longrun never ready within its timeout-up fails, ends down ('d' sent), exit 1" {
    lr stuck 1000
    echo 300 > "$T/src/stuck/timeout-up"
    lr fine -
    rc_start
    start=$(now_ms)
    rcx -v 1 change stuck fine
    [ "$status" = 1 ]
    [ "$stderr" = "rc: warning: unable to start service stuck: timed out" ]
    [ $(( $(now_ms) - start )) -ge 300 ]
    [ "$(up_names)" = "fine " ]
    wait_for 5 is_down stuck
    [ "$(svstat -o wantedup "$(sd stuck)")" = false ]
    [ -f "$(sd stuck)/down" ]
    grep -q '^stopped stuck' "$T/log"
}

@test "rc: -t overall timeout exits 2, what is done is saved" {
    lr slow 1000
    lr quick -
    rc_start
    expect_fail 2 "rc: fatal: timed out" rc -l "$T/live" -t 300 change slow quick
    [ "$(up_names)" = "quick " ]
    # a later run picks up from there
    expect_fail 2 "rc: fatal: timed out" rc -l "$T/live" -t 100 change slow
}

@test "rc: SIGTERM during a change: the longrun transition in progress fails, exit 1" {
    lr slow 1000
    lr next - slow
    rc_start
    bg rc rc -l "$T/live" change next
    wait_for 5 grep -q '^start slow' "$T/log"
    kill -TERM "$(cat "$T/rc.pid")"
    bg_wait rc
    [ "$bg_status" = 1 ]
    [ "$(cat "$T/rc.err")" = "rc: warning: unable to start service slow: interrupted by SIGTERM
rc: warning: service next not started: dependency slow failed to start" ]
    wait_for 5 is_down slow
    [ "$(up_names)" = "" ]
}

@test "rc: short of descriptors, transitions wait for each other instead of failing" {
    for n in 1 2 3 4 5 6 7 8; do lr "l$n" 0.1; done
    bundle eight l1 l2 l3 l4 l5 l6 l7 l8
    rc_start
    # 24 descriptors in all (soft and hard): not enough for 8 subscriptions of 3 at once
    run --separate-stderr softlimit -H -o 24 rc -l "$T/live" change eight
    [ "$status" = 0 ]
    [ -z "$stderr" ]
    [ "$(up_names)" = "l1 l2 l3 l4 l5 l6 l7 l8 " ]
    # not all at once: some started after others were ready
    [ "$(sort -k3n "$T/log" | awk '$1 == "start" && r { late = 1 } $1 == "ready" { r = 1 } END { print late + 0 }')" = 1 ]
}

@test "rc: -p prunes to exactly the closure of the selection (-u), or keeps the rest up (-d)" {
    graph
    rc_start
    rc_ok change all
    rc_ok -p change db
    [ "$(up_names)" = "base db s6rc-oneshot-runner " ]
    check_order
    rc_ok -pd change side
    [ "$(up_names)" = "app base cache db s6rc-oneshot-runner web " ]
    # start and stop do not honour -p
    rc_ok -p start side
    [ "$(up_names)" = "app base cache db s6rc-oneshot-runner side web " ]
    rc_ok -p stop web
    [ "$(up_names)" = "app base cache db s6rc-oneshot-runner side " ]
}

@test "rc: -d does not stop an essential service nor what it depends on, -D does" {
    os root 0
    os ess 0 root
    touch "$T/src/ess/flag-essential"
    os user 0 ess
    rc_start
    rc_ok change user
    rcx -d change root
    [ "$status" = 0 ]
    [ "$stderr" = "rc: warning: service ess is marked as essential, not stopping it" ]
    [ "$(up_names)" = "ess root s6rc-oneshot-runner " ]
    rc_ok -v 0 stop root
    [ "$(up_names)" = "ess root s6rc-oneshot-runner " ]
    rc_ok -D change root
    [ "$(up_names)" = "s6rc-oneshot-runner " ]
    rc_ok change user
    rc_ok -D stop ess
    [ "$(up_names)" = "root s6rc-oneshot-runner " ]
}

@test "rc: list, listall, diff, with -a, -d, -e" {
    graph
    touch "$T/src/side/flag-essential"
    rc_start
    rc_ok list all
    [ "$output" = $'side\nweb' ]
    rc_ok -d list all
    [ "$output" = $'app\nbase\ncache\ndb\ns6rc-oneshot-runner' ]
    rc_ok -e list all
    [ "$output" = web ]
    rc_ok listall web
    [ "$output" = $'app\nbase\ncache\ndb\ns6rc-oneshot-runner\nweb' ]
    rc_ok -d listall db
    [ "$output" = $'app\ndb\nweb' ]
    rc_ok -a list
    [ "$output" = "" ]
    rc_ok diff
    [ "$output" = "" ]
    rc_ok change db side
    rc_ok -a list
    [ "$output" = $'base\ndb\ns6rc-oneshot-runner\nside' ]
    rc_ok -a -e list cache
    [ "$output" = $'base\ncache\ndb\ns6rc-oneshot-runner' ]
    rc_ok -a listall side
    [ "$output" = $'base\ndb\ns6rc-oneshot-runner\nside' ]
    # the supervisors disagree with the state: +NAME wanted up, -NAME wanted down
    svc -d "$(sd db)"
    svc -u "$(sd cache)"
    rcx diff
    [ "$status" = 1 ]
    [ "$output" = $'+cache\n-db' ]
    [ -z "$stderr" ]
}

@test "rc: reload of a longrun (SIGHUP) and of a oneshot; a service not up fails" {
    lr daemon 0
    os shot 0
    os other 0
    rc_start
    rc_ok change daemon shot
    rcx -v 2 reload daemon shot
    [ "$status" = 0 ]
    [ "$stderr" = "rc: info: service daemon: reloading
rc: info: service daemon successfully reloaded
rc: info: service shot: reloading
rc: info: service shot successfully reloaded" ]
    wait_for 5 grep -qx hup "$T/hup-daemon"
    [ "$(cat "$T/reload-shot")" = reload ]
    is_up "$(sd daemon)"
    expect_fail 1 "rc: warning: unable to reload service other: it is not up" \
        rc -l "$T/live" reload other
    [ ! -e "$T/reload-other" ]
}

@test "rc: a dry run prints the commands and changes nothing" {
    graph
    rc_start
    real=$(readlink -f "$T/live")
    rcx -n 10 change all
    [ "$status" = 0 ]
    grep -qx "rc: info: dry run: svc -uwU -T 0 -- $real/servicedirs/db" <<< "$stderr"
    grep -qx "rc: info: dry run: svc -uwu -T 0 -- $real/servicedirs/cache" <<< "$stderr"
    grep -qx "rc: info: dry run: oneshot up web" <<< "$stderr"
    [ "$(grep -c 'dry run' <<< "$stderr")" = 7 ]
    # in dependency order: web last
    [ "$(grep 'dry run' <<< "$stderr" | tail -1)" = "rc: info: dry run: oneshot up web" ]
    [ "$(up_names)" = "" ]
    [ ! -s "$T/log" ]
    for n in db cache app; do is_down "$n"; [ -f "$(sd "$n")/down" ]; done
}

@test "rc: a held lock fails (111) without -b; -b waits for it" {
    lr a -
    rc_start
    hold_lock "$T/live/lock"
    holder=$(tail -1 "$T/pids")
    expect_fail 111 "rc: fatal: unable to take the lock on $T/live: Device or resource busy" \
        rc -l "$T/live" change a
    bg rcb rc -l "$T/live" -b change a
    # rc waits in F_SETLKW: the kernel lists its request as blocked on the lock
    wait_for 5 grep -qE -- "-> POSIX +ADVISORY +WRITE +$(cat "$T/rcb.pid") " /proc/locks
    [ "$(up_names)" = "" ]
    kill "$holder"
    bg_wait rcb
    [ "$bg_status" = 0 ]
    [ "$(up_names)" = "a " ]
}

@test "rc: unknown names exit 3, a damaged state or db 4, nothing changed" {
    lr a -
    rc_start
    expect_fail 3 "rc: fatal: unknown service: nosuch" rc -l "$T/live" change a nosuch
    [ "$(up_names)" = "" ]
    cp "$T/live/state" "$T/state.good"
    printf '\0' >> "$T/live/state"
    expect_fail 4 "rc: fatal: invalid live state: $T/live/state does not match the database" \
        rc -l "$T/live" change a
    cp "$T/state.good" "$T/live/state"
    printf 'x' | dd of="$T/db/db" bs=1 seek=20 conv=notrunc 2>/dev/null
    expect_fail 4 "rc: fatal: invalid database: $T/live/compiled/db" rc -l "$T/live" list a
    expect_fail 111 "rc: fatal: unable to resolve $T/nolive: No such file or directory" \
        rc -l "$T/nolive" list a
    is_down a
}

@test "rc: bad usage exits 100 with the usage line; help prints it and the commands" {
    expect_usage rc
    expect_usage rc -x list
    expect_usage rc bogus
    expect_usage rc -v x list
    expect_usage rc -t 1s change
    expect_usage rc -n -1 change
    expect_usage rc -l
    run --separate-stderr rc help
    [ "$status" = 0 ]
    [ -z "$stderr" ]
    [ "${lines[0]}" = "$(usage_of rc)" ]
    for c in help list listall diff change start stop reload; do
        grep -q "^  $c " <<< "$output"
    done
}
