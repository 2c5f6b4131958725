#!/usr/bin/env bats
# notifyoncheck: readiness by polling ./data/check (or an execlineb -c line) from a run script,
# under every supervisor the suite knows; the polling child stops when the service dies.

load helper

# If a test fails halfway, its services outlive their killed supervisor: kill every process
# still working in this test's directory.
teardown() {
    local p
    for p in /proc/[0-9]*; do
        case $(readlink "$p/cwd" 2>/dev/null) in "$T"/*) kill -9 "${p#/proc/}" 2>/dev/null ;; esac
    done
    keel_teardown
}

# nsvc DIR 'NOTIFYONCHECK OPTIONS' [PROG]: a service whose run script execs notifyoncheck into
# PROG (default: sleep), with notification-fd 3, data/ and event/ (so events can be recorded
# from the start).
nsvc() {
    local d=$1 opts=$2 prog=${3:-sleep 100000}
    make_service "$d" "exec $KEEL_BIN/notifyoncheck $opts $prog"
    echo 3 > "$d/notification-fd"
    mkdir -p "$d/data"
    mkdir -m 3730 "$d/event"
}

# check_script DIR 'SH BODY': data/check counts its runs in data/count (try n also saves the
# events seen so far in data/seen.n and its start time in data/time.n), records the polling
# process in data/checker, then runs BODY, which may use $n.
check_script() {
    local d=$1 events=$T/events-$(basename "$1")
    cat > "$d/data/check" <<EOF
#!/bin/sh
n=\$(( \$(cat data/count 2>/dev/null || echo 0) + 1 ))
cp "$events" data/seen.\$n 2>/dev/null
date +%s%N > data/time.\$n
echo \$PPID > data/checker.new && mv data/checker.new data/checker
echo \$n > data/count.new && mv data/count.new data/count
$2
EOF
    chmod 755 "$d/data/check"
}

count_is() { [ "$(cat "$1/data/count" 2>/dev/null)" = "$2" ]; }
count_at_least() { [ "$(cat "$1/data/count" 2>/dev/null || echo 0)" -ge "$2" ]; }
# Exited: gone, or a zombie that prog (sleep) never reaps. The state letter comes first; flags
# follow it (a zombie under nice shows as "ZN").
exited() { gone "$1" || case $(ps -o stat= -p "$1") in Z*) true;; *) false;; esac; }
checker_gone() { [ -f "$1/data/checker" ] && exited "$(cat "$1/data/checker")"; }
# Only the test's own recorder is left in DIR/event.
one_listener() { [ "$(ls -A "$1/event" | wc -l)" = 1 ]; }

# start DIR SUPERVISOR: records DIR's events in $T/events-NAME, then supervises DIR.
start() {
    record_events "$1" "$T/events-$(basename "$1")"
    start_sv "$1" "$2"
}
ev() { cat "$T/events-$(basename "$1")"; }
ev_are() { events_are "$T/events-$(basename "$1")" "$2"; }

@test "notifyoncheck: a check that succeeds on the third try makes the service ready then" {
    [ -n "$(supervisors)" ] || skip "no supervisor"
    for sv in $(supervisors); do
        d=$T/third-$(basename "$sv")
        nsvc "$d" '-w 100' "sh -c 'ls /proc/\$\$/fd > fds; exec sleep 100000'"
        check_script "$d" '[ "$n" -ge 3 ]'
        start "$d" "$sv"
        wait_for 10 ev_are "$d" suU
        count_is "$d" 3
        # U had not come when the third check started, and no fourth check runs.
        [ "$(cat "$d/data/seen.3")" = su ]
        wait_for 5 checker_gone "$d"
        count_is "$d" 3
        wait_for 5 one_listener "$d"
        # The tries are -w 100 ms apart.
        [ $(( $(cat "$d/data/time.3") - $(cat "$d/data/time.2") )) -ge 100000000 ]
        # prog does not hold the notification fd: only the checker can report readiness.
        ! grep -qx 3 "$d/fds"
        stop_sv "$d"
    done
}

@test "notifyoncheck -c: the check is an execlineb command line" {
    need_cmd execlineb
    [ -n "$(supervisors)" ] || skip "no supervisor"
    for sv in $(supervisors); do
        d=$T/exl-$(basename "$sv")
        nsvc "$d" "-w 50 -n 0 -c 'foreground { mkdir -p data/tried } test -e data/flag'"
        start "$d" "$sv"
        wait_for 5 test -d "$d/data/tried"
        [ "$(ev "$d")" = su ]
        touch "$d/data/flag"
        wait_for 5 ev_are "$d" suU
        stop_sv "$d"
    done
}

@test "notifyoncheck: when the service dies, the checker stops and leaves no FIFO behind" {
    [ -n "$(supervisors)" ] || skip "no supervisor"
    for sv in $(supervisors); do
        d=$T/dies-$(basename "$sv")
        nsvc "$d" '-w 50 -n 0'
        check_script "$d" 'exit 1'
        start "$d" "$sv"
        wait_for 5 count_at_least "$d" 2
        printf d > "$d/supervise/control"
        wait_for 5 checker_gone "$d"
        wait_for 5 one_listener "$d"
        wait_for 5 ev_are "$d" sudD
        stop_sv "$d"
    done
}

@test "notifyoncheck -n: gives up after n failed tries, never ready" {
    [ -n "$(supervisors)" ] || skip "no supervisor"
    for sv in $(supervisors); do
        d=$T/tries-$(basename "$sv")
        nsvc "$d" '-w 20 -n 3'
        check_script "$d" 'exit 1'
        start "$d" "$sv"
        wait_for 5 checker_gone "$d"
        count_is "$d" 3
        wait_for 5 one_listener "$d"
        [ "$(ev "$d")" = su ]
        stop_sv "$d"
    done
}

@test "notifyoncheck -T: gives up after the global timeout; -s delays the first try" {
    [ -n "$(supervisors)" ] || skip "no supervisor"
    sv=$(supervisors | head -n 1)
    d=$T/global
    nsvc "$d" '-s 300 -w 50 -n 0 -T 600'
    # The run script notes when it started.
    sed -i "2i date +%s%N > data/start" "$d/run"
    check_script "$d" 'exit 1'
    start "$d" "$sv"
    wait_for 5 checker_gone "$d"
    end=$(date +%s%N)
    start=$(cat "$d/data/start")
    [ $(( $(cat "$d/data/time.1") - start )) -ge 300000000 ]
    [ $(( end - start )) -ge 600000000 ] && [ $(( end - start )) -lt 3000000000 ]
    count_at_least "$d" 2
    wait_for 5 one_listener "$d"
    [ "$(ev "$d")" = su ]
    stop_sv "$d"
}

@test "notifyoncheck -t: a check that takes too long is killed and counts as a failed try" {
    [ -n "$(supervisors)" ] || skip "no supervisor"
    sv=$(supervisors | head -n 1)
    d=$T/local
    nsvc "$d" '-w 20 -t 300'
    check_script "$d" 'if [ "$n" = 1 ]; then echo $$ > data/slow; exec sleep 100000; fi'
    start "$d" "$sv"
    wait_for 10 ev_are "$d" suU
    count_is "$d" 2
    gone "$(cat "$d/data/slow")"
    stop_sv "$d"
}

@test "notifyoncheck -d: the checker is not prog's child; without -d it is" {
    [ -n "$(supervisors)" ] || skip "no supervisor"
    sv=$(supervisors | head -n 1)
    for opt in '' -d; do
        d=$T/fork$opt
        nsvc "$d" "$opt -w 20 -n 0" "sh -c 'echo \$\$ > data/prog; exec sleep 100000'"
        check_script "$d" 'echo $(ps -o ppid= -p $PPID) > data/checker-parent.$n; [ "$n" -ge 2 ]'
        start "$d" "$sv"
        wait_for 5 ev_are "$d" suU
        parent=$(tr -d ' ' < "$d/data/checker-parent.1")
        if [ -z "$opt" ]; then
            [ "$parent" = "$(cat "$d/data/prog")" ]
        else
            [ "$parent" != "$(cat "$d/data/prog")" ]
        fi
        stop_sv "$d"
    done
}

@test "notifyoncheck -3: the given fd, not ./notification-fd" {
    [ -n "$(supervisors)" ] || skip "no supervisor"
    sv=$(supervisors | head -n 1)
    d=$T/fd
    nsvc "$d" ''
    # The supervisor gives the pipe on fd 3; the run script moves it to 5 and closes 3.
    printf '#!/bin/sh\nexec 5>&3 3>&-\nexec %s -3 5 -w 20 sleep 100000\n' \
        "$KEEL_BIN/notifyoncheck" > "$d/run"
    check_script "$d" '[ "$n" -ge 2 ]'
    start "$d" "$sv"
    wait_for 5 ev_are "$d" suU
    stop_sv "$d"
}

# A supervised service dir to run notifyoncheck in by hand, for the bad-input cases.
supervised_dir() {
    local sv
    sv=$(supervisors | head -n 1)
    [ -n "$sv" ] || skip "no supervisor"
    make_service "$T/bad"
    mkdir -p "$T/bad/data"
    printf '#!/bin/sh\nexit 0\n' > "$T/bad/data/check"
    chmod 755 "$T/bad/data/check"
    start_sv "$T/bad" "$sv"
}
# noc PROG ARGS...: PROG (notifyoncheck or s6-notifyoncheck) in the dir, fd 5 on /dev/null.
noc() { (cd "$T/bad" && exec "$@" 5>/dev/null); }

@test "notifyoncheck: usage errors" {
    expect_usage notifyoncheck
    expect_usage notifyoncheck -s
    expect_usage notifyoncheck -s x true
    expect_usage notifyoncheck -3 -1 true
    expect_usage notifyoncheck -n 1x true
    expect_usage notifyoncheck -w '' true
    expect_usage notifyoncheck -z true
    expect_usage notifyoncheck -d
}

@test "notifyoncheck: outside a supervised dir: 100" {
    expect_fail 100 'notifyoncheck: fatal: supervise not running.' \
        sh -c 'cd "$1" && notifyoncheck true' sh "$T"
}

@test "notifyoncheck: bad notification-fd: 111 or 100" {
    supervised_dir
    expect_fail 111 'notifyoncheck: fatal: unable to read ./notification-fd: No such file or directory' \
        noc notifyoncheck true
    for bad in 5x '' ' 5' '-5' 99999999999; do
        printf '%s\n' "$bad" > "$T/bad/notification-fd"
        expect_fail 100 'notifyoncheck: fatal: invalid ./notification-fd' noc notifyoncheck true
    done
    echo 7 > "$T/bad/notification-fd"
    expect_fail 111 'notifyoncheck: fatal: notification-fd sanity check failed: Bad file descriptor' \
        noc notifyoncheck true
    expect_fail 111 'notifyoncheck: fatal: notification-fd sanity check failed: Bad file descriptor' \
        noc notifyoncheck -3 8 true
    stop_sv "$T/bad"
}

@test "notifyoncheck: prog that cannot be run: 127, 126 (after the fork, as in s6)" {
    supervised_dir
    expect_fail 127 'notifyoncheck: fatal: unable to exec /nonexistent: No such file or directory' \
        noc notifyoncheck -3 5 /nonexistent
    printf 'x' > "$T/noexec"
    expect_fail 126 "notifyoncheck: fatal: unable to exec $T/noexec: Permission denied" \
        noc notifyoncheck -3 5 "$T/noexec"
    stop_sv "$T/bad"
}

@test "notifyoncheck: a missing data/check is a warning and a failed try" {
    supervised_dir
    rm "$T/bad/data/check"
    run --separate-stderr noc notifyoncheck -3 5 -n 2 -w 10 -s 0 echo prog ran
    [ "$status" -eq 0 ] && [ "$output" = "prog ran" ]
    # The child's warnings come after the parent's exec: wait until both tries are done.
    [ "$stderr" = "$(printf '%s\n%s' \
        'notifyoncheck (child): warning: unable to spawn ./data/check: No such file or directory' \
        'notifyoncheck (child): warning: unable to spawn ./data/check: No such file or directory')" ]
    stop_sv "$T/bad"
}

@test "notifyoncheck: same answers as s6-notifyoncheck for bad input" {
    need_s6 s6-notifyoncheck
    supervised_dir
    cmp_s6() {
        local k s
        k=$(noc notifyoncheck "$@" 2>&1; echo "exit $?")
        s=$(noc s6-notifyoncheck "$@" 2>&1; echo "exit $?")
        s=$(sed 's/s6-supervise not/supervise not/; s/s6-notifyoncheck/notifyoncheck/g' <<<"$s")
        # s6 writes the -c argument as "checkprog...".
        s=${s//\"checkprog...\"/checkprog}
        [ "$k" = "$s" ] || { echo "args: $*"; echo "keel: $k"; echo "s6:   $s"; false; }
    }
    cmp_s6
    cmp_s6 -s x true
    cmp_s6 true
    for bad in 5x '' ' 5'; do
        printf '%s\n' "$bad" > "$T/bad/notification-fd"
        cmp_s6 true
    done
    echo 7 > "$T/bad/notification-fd"
    cmp_s6 true
    cmp_s6 -3 8 true
    cmp_s6 -3 5 /nonexistent
    stop_sv "$T/bad"
}
