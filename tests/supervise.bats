#!/usr/bin/env bats
# supervise: every row of spec §3.2 (status changes) and §5.3 (control bytes) checked in the
# status bytes and in the events, every service-directory file, signals, bad input, no fd leak,
# no allocation, and interop: s6's clients give the same answers against keel's supervise as
# against s6-supervise.

load helper

SV=$KEEL_BIN/supervise

setup() {
    keel_setup
    S=$T/svc
    # Marks every process the services start, so teardown finds them all.
    export KEEL_SV_TEST=$T
}

teardown() {
    if [ -f "$T/pids" ]; then
        while read -r p; do kill -9 "$p" 2>/dev/null || true; done < "$T/pids"
    fi
    local f p
    for f in $(grep -lzx "KEEL_SV_TEST=$T" /proc/[0-9]*/environ 2>/dev/null); do
        p=${f#/proc/}
        kill -9 "${p%/environ}" 2>/dev/null || true
    done
    keel_teardown
}

# --- Helpers --------------------------------------------------------------------------------

ctl() { printf '%s' "$2" > "$1/supervise/control"; }

mkfinish() {
    printf '#!/bin/sh\n%s\n' "$2" > "$1/finish"
    chmod 755 "$1/finish"
}

# listen DIR FILE: subscribe to DIR/event like an s6 listener, every event byte appended to
# FILE; returns once the FIFO is open (a supervisor starting now would clean it otherwise).
listen() {
    local dir=$1 out=$2 name
    name="ftrig1:@$(printf '%024x' "$RANDOM$RANDOM$RANDOM"):$(printf '%06d' $((RANDOM % 1000000)))"
    mkfifo -m 0622 "$dir/event/$name"
    : > "$out"
    ( exec 3<>"$dir/event/$name"; exec cat <&3 >>"$out" ) &
    track_pid $!
    timeout 5 sh -c ': > "$1"' sh "$dir/event/$name"
}

# boot [SUPERVISOR]: make $S/event, listen on it into $T/ev, then start the supervisor on $S.
boot() {
    mkdir -p "$S/event"
    listen "$S" "$T/ev"
    start_sv "$S" "${1:-$SV}"
}

# ev STRING: wait until the events heard are exactly STRING.
ev() {
    wait_for 5 events_are "$T/ev" "$1" || { echo "events: '$(cat "$T/ev")', want '$1'" >&2; false; }
}

# Observe for a while that nothing happens (the only legitimate sleep: proving an absence).
quiet() { sleep "${1:-0.5}"; }

st_hex() { od -An -v -tx1 "$1/supervise/status" | tr -d ' \n'; }

# st FIELD DIR: stamp, ready (readystamp), wstat, flags in hex; pid in decimal.
st() {
    local h
    h=$(st_hex "$2")
    case $1 in
    stamp) echo "${h:0:24}" ;;
    ready) echo "${h:24:24}" ;;
    pid) echo $((16#${h:48:16})) ;;
    wstat) echo "${h:64:4}" ;;
    flags) echo "${h:68:2}" ;;
    esac
}

# st_is DIR PID WSTAT FLAGS. Flags: 01 paused, 02 finishing, 04 wantup, 08 ready.
st_is() {
    local h got
    h=$(st_hex "$1")
    [ "${#h}" = 70 ] || { echo "status: ${#h} hex digits" >&2; return 1; }
    got="$((16#${h:48:16})) ${h:64:4} ${h:68:2}"
    [ "$got" = "$2 $3 $4" ] || { echo "status pid/wstat/flags: $got, want $2 $3 $4" >&2; return 1; }
}

pid_of() { cat "$T/$1.pid"; }
has_pid() { [ -s "$T/$1.pid" ]; }
proc_state() { awk '{ print $3 }' "/proc/$1/stat"; }
alive() { kill -0 "$1" 2>/dev/null; }
# Dead, if perhaps not reaped yet (orphans wait for pid 1 to reap them).
dead() { ! alive "$1" || [ "$(proc_state "$1" 2>/dev/null)" = Z ]; }

# A run script that records its pid in $T/run.pid, then sleeps (killable by TERM).
RUN_SLEEP='echo $$ > "$KEEL_SV_TEST/run.pid"; exec sleep 1000'
# A finish script that records its pid and arguments, then waits for $T/go.
FINISH_WAIT='echo $$ > "$KEEL_SV_TEST/finish.pid"; echo "$0 $*" > "$KEEL_SV_TEST/finish.args"
while [ ! -e "$KEEL_SV_TEST/go" ]; do sleep 0.02; done'

# A run that logs the name of every catchable signal it gets to $T/sigs.
RUN_SIGS='echo $$ > "$KEEL_SV_TEST/run.pid"
for s in ALRM ABRT QUIT HUP TERM INT USR1 USR2 WINCH; do
    trap "echo $s >> \"$KEEL_SV_TEST/sigs\"" $s
done
while :; do sleep 1000 & p=$!; wait $p; kill $p 2>/dev/null; done'

logged() { grep -qxF "$2" "$1"; }

# warned MESSAGE: supervise logged "supervise $S: warning: MESSAGE".
warned() { grep -qxF "supervise $S: warning: $1" "$S.log"; }

# holds_lock PID [FILE]: PID holds a POSIX write lock (on FILE), as /proc/locks shows.
holds_lock() {
    local ino=
    [ -z "${2:-}" ] || ino=$(stat -c %i "$2")
    awk -v p="$1" -v i="$ino" '$2 == "POSIX" && $4 == "WRITE" && $5 == p &&
        (i == "" || $6 ~ (":" i "$")) { f = 1 } END { exit !f }' /proc/locks
}

# --- Command line and start-up ---------------------------------------------------------------

@test "supervise: usage errors exit 100" {
    expect_usage supervise
    expect_usage supervise a b
    expect_usage supervise -x a
}

@test "supervise: a missing service directory is fatal (111)" {
    expect_fail 111 "supervise: fatal: unable to chdir to $T/nope: No such file or directory" \
        supervise "$T/nope"
}

@test "supervise: start-up makes event/ 03730, supervise/ 0700, control 0600, lock 0644 and locks it" {
    make_service "$S"
    touch "$S/down"
    (umask 077 && start_sv "$S")
    [ "$(stat -c '%a %g' "$S/event")" = "3730 $(id -g)" ]
    [ "$(stat -c %a "$S/supervise")" = 700 ]
    [ "$(stat -c '%a %F' "$S/supervise/control")" = "600 fifo" ]
    [ "$(stat -c '%a %s' "$S/supervise/lock")" = "644 0" ]
    [ "$(stat -c %s "$S/supervise/death_tally")" = 0 ]
    [ "$(ls "$S/supervise" | tr '\n' ' ')" = "control death_tally lock status " ]
    holds_lock "$(sv_pid "$S")" "$S/supervise/lock"
    # The death tally starts empty at every start.
    stop_sv "$S"
    printf '0123456789abcd' > "$S/supervise/death_tally"
    start_sv "$S"
    [ "$(stat -c %s "$S/supervise/death_tally")" = 0 ]
}

@test "supervise: an existing event/ is left as it is; a dangling supervise symlink gets its target" {
    make_service "$S"
    touch "$S/down"
    mkdir -m 0755 "$S/event"
    ln -s ../elsewhere "$S/supervise"
    start_sv "$S"
    [ "$(stat -c %a "$S/event")" = 755 ]
    [ "$(stat -c %a "$T/elsewhere")" = 700 ]
    [ -p "$T/elsewhere/control" ]
}

@test "supervise: supervise/ not a directory, control not a FIFO: 100, as s6-supervise" {
    make_service "$S"
    touch "$S/supervise"
    expect_fail 100 "supervise $S: fatal: supervise exists and is not a directory" supervise "$S"
    rm "$S/supervise"
    mkdir "$S/supervise"
    touch "$S/supervise/control"
    expect_fail 100 "supervise $S: fatal: supervise/control is not a FIFO" supervise "$S"
    need_s6 s6-supervise
    expect_fail 100 "s6-supervise $S: fatal: supervise/control is not a FIFO" s6-supervise "$S"
}

@test "supervise: a second supervisor on the same directory exits 100 (either implementation)" {
    make_service "$S"
    touch "$S/down"
    start_sv "$S"
    expect_fail 100 "supervise $S: fatal: another instance of supervise is already running" \
        supervise "$S"
    need_s6 s6-supervise
    expect_fail 100 "s6-supervise $S: fatal: another instance of s6-supervise is already running" \
        s6-supervise "$S"
    stop_sv "$S"
    start_sv "$S" s6-supervise
    expect_fail 100 "supervise $S: fatal: another instance of supervise is already running" \
        supervise "$S"
}

# --- §3.2: when the status changes, and which event follows ------------------------------------

@test "status: at start, s; down file: pid 0, wstat 0, ready+paused (09), stamp = readystamp" {
    make_service "$S"
    touch "$S/down"
    boot
    ev s
    st_is "$S" 0 0000 09
    [ "$(st stamp "$S")" = "$(st ready "$S")" ]
}

@test "status: without down file the initial status is 0d (wantup, ready, not started yet)" {
    native_only "qemu-user runs vfork as fork: a failed exec shows as an exit of the child"
    mkdir -p "$S"  # no run: the start fails, the initial status stays
    boot
    wait_for 5 grep -q 'unable to spawn' "$S.log"
    ev s
    st_is "$S" 0 0000 0d
    [ "$(st stamp "$S")" = "$(st ready "$S")" ]
}

@test "status: run spawned: u, pid of run, ready and paused cleared, stamp moves, wstat kept" {
    make_service "$S" "$RUN_SLEEP"
    boot
    ev su
    wait_for 5 has_pid run
    st_is "$S" "$(pid_of run)" 0000 04
    [[ "$(st stamp "$S")" > "$(st ready "$S")" ]]
    ctl "$S" k
    ev sudD
    rm "$T/run.pid"
    ev sudDu
    wait_for 5 has_pid run
    st_is "$S" "$(pid_of run)" 0009 04
}

@test "status: readiness newline: U, ready bit, readystamp; bytes before it are ignored" {
    make_service "$S" 'echo $$ > "$KEEL_SV_TEST/run.pid"
readlink /proc/$$/fd/5 > "$KEEL_SV_TEST/fd5"
printf "not yet" >&5
while [ ! -e "$KEEL_SV_TEST/go" ]; do sleep 0.02; done
echo >&5; exec sleep 1000'
    echo 5 > "$S/notification-fd"
    boot
    ev su
    wait_for 5 has_pid run
    [[ "$(cat "$T/fd5")" == pipe:* ]]
    quiet
    ev su
    st_is "$S" "$(pid_of run)" 0000 04
    touch "$T/go"
    ev suU
    st_is "$S" "$(pid_of run)" 0000 0c
    [[ "$(st ready "$S")" > "$(st stamp "$S")" ]]
}

@test "status: readiness pipe closed without a newline: never ready" {
    make_service "$S" 'printf abc >&3; exec 3>&-; echo $$ > "$KEEL_SV_TEST/run.pid"; exec sleep 1000'
    echo 3 > "$S/notification-fd"
    boot
    wait_for 5 has_pid run
    quiet
    ev su
    st_is "$S" "$(pid_of run)" 0000 04
}

@test "status: run died, finish spawned: d, pid of finish, wstat, finishing; finish exit: D" {
    make_service "$S" "$RUN_SLEEP"
    mkfinish "$S" "$FINISH_WAIT"
    echo 0 > "$S/timeout-finish"
    boot
    ev su
    wait_for 5 has_pid run
    rp=$(pid_of run)
    ctl "$S" k
    ev sud
    wait_for 5 has_pid finish
    st_is "$S" "$(pid_of finish)" 0009 06
    [ "$(cat "$T/finish.args")" = "./finish 256 9 $S $rp" ]
    # finish runs in its own session too.
    [ "$(ps -o sid= -p "$(pid_of finish)" | tr -d ' ')" = "$(pid_of finish)" ]
    touch "$T/go"
    ev sudD
    st_is "$S" 0 0009 0c
    [[ "$(st ready "$S")" > "$(st stamp "$S")" ]]
}

@test "status: run died without finish: dD, pid 0, wstat of the exit, ready; finish args of an exit" {
    make_service "$S" 'echo $$ > "$KEEL_SV_TEST/run.pid"
while [ ! -e "$KEEL_SV_TEST/go" ]; do sleep 0.02; done; exit 3'
    boot
    ev su
    ctl "$S" O
    touch "$T/go"
    ev sudD
    st_is "$S" 0 0300 08
    [[ "$(st ready "$S")" > "$(st stamp "$S")" || "$(st ready "$S")" = "$(st stamp "$S")" ]]
}

@test "status: finish exit 125: O then D, wantup cleared, no restart" {
    make_service "$S" 'exit 0'
    mkfinish "$S" 'echo "$0 $*" > "$KEEL_SV_TEST/finish.args"; exit 125'
    boot
    ev sudOD
    st_is "$S" 0 0000 08
    [ "$(cut -d' ' -f1-4 "$T/finish.args")" = "./finish 0 0 $S" ]
    quiet 1.5
    ev sudOD
}

@test "status: p/P and c/C set and clear paused, stop/continue the pid or the group, no event" {
    make_service "$S" 'sleep 1000 & echo $! > "$KEEL_SV_TEST/child.pid"
echo $$ > "$KEEL_SV_TEST/run.pid"; wait'
    boot
    ev su
    wait_for 5 has_pid child
    rp=$(pid_of run) cp=$(pid_of child)
    ctl "$S" p
    wait_for 5 st_is "$S" "$rp" 0000 05
    wait_for 5 eval '[ "$(proc_state "$rp")" = T ]'
    [ "$(proc_state "$cp")" = S ]
    ctl "$S" c
    wait_for 5 st_is "$S" "$rp" 0000 04
    wait_for 5 eval '[ "$(proc_state "$rp")" = S ]'
    ctl "$S" P
    wait_for 5 st_is "$S" "$rp" 0000 05
    wait_for 5 eval '[ "$(proc_state "$rp")$(proc_state "$cp")" = TT ]'
    ctl "$S" C
    wait_for 5 st_is "$S" "$rp" 0000 04
    wait_for 5 eval '[ "$(proc_state "$rp")$(proc_state "$cp")" = SS ]'
    ev su
}

@test "status: wanted-state changes (o d u D U O Q) only move wantup, without an event" {
    make_service "$S" "$RUN_SLEEP"
    boot
    ev su
    wait_for 5 has_pid run
    rp=$(pid_of run)
    ctl "$S" O
    wait_for 5 st_is "$S" "$rp" 0000 00
    ctl "$S" u
    wait_for 5 st_is "$S" "$rp" 0000 04
    ctl "$S" Q
    wait_for 5 st_is "$S" "$rp" 0000 00
    [ -e "$S/down" ]
    ctl "$S" U
    wait_for 5 st_is "$S" "$rp" 0000 04
    [ ! -e "$S/down" ]
    ctl "$S" o
    wait_for 5 st_is "$S" "$rp" 0000 00
    ctl "$S" D
    ev sudD
    st_is "$S" 0 000f 08
    ctl "$S" d
    quiet 0.2
    st_is "$S" 0 000f 08
    ev sudD
}

@test "status: supervise exits: x, the status is not rewritten" {
    make_service "$S"
    touch "$S/down"
    boot
    ev s
    cp "$S/supervise/status" "$T/before"
    ctl "$S" x
    ev sx
    wait "$(sv_pid "$S")"
    cmp "$T/before" "$S/supervise/status"
}

# --- §5.3: control bytes, in UP, DOWN and FINISH ----------------------------------------------

@test "control UP: a b q h t i 1 2 y send their signals to run; k kills it; no status change" {
    make_service "$S" "$RUN_SIGS"
    boot
    ev su
    wait_for 5 has_pid run
    before=$(st_hex "$S")
    for pair in a:ALRM b:ABRT q:QUIT h:HUP t:TERM i:INT 1:USR1 2:USR2 y:WINCH; do
        ctl "$S" "${pair%%:*}"
        wait_for 5 logged "$T/sigs" "${pair#*:}"
    done
    [ "$(st_hex "$S")" = "$before" ]
    ev su
    ctl "$S" k
    ev sudD
    st_is "$S" 0 0009 0c
}

@test "control UP: K kills the whole process group" {
    make_service "$S" 'sleep 1000 & echo $! > "$KEEL_SV_TEST/child.pid"
echo $$ > "$KEEL_SV_TEST/run.pid"; wait'
    boot
    ev su
    wait_for 5 has_pid child
    ctl "$S" K
    ev sudD
    st_is "$S" 0 0009 0c
    wait_for 5 eval 'dead "$(pid_of child)"'
}

@test "control DOWN: signal, pause and restart bytes are ignored" {
    make_service "$S" "$RUN_SIGS"
    touch "$S/down"
    boot
    ev s
    cp "$S/supervise/status" "$T/before"
    ctl "$S" abqhktiy12pcPCKrl
    quiet
    cmp "$T/before" "$S/supervise/status"
    ev s
    [ ! -e "$T/run.pid" ]
}

@test "control FINISH: signal, pause and restart bytes are ignored" {
    make_service "$S" "$RUN_SLEEP"
    mkfinish "$S" 'echo $$ > "$KEEL_SV_TEST/finish.pid"
for s in ALRM ABRT QUIT HUP TERM INT USR1 USR2 WINCH; do
    trap "echo $s >> \"$KEEL_SV_TEST/sigs\"" $s
done
while [ ! -e "$KEEL_SV_TEST/go" ]; do sleep 0.02; done'
    echo 0 > "$S/timeout-finish"
    boot
    ev su
    ctl "$S" d
    ev sud
    wait_for 5 has_pid finish
    cp "$S/supervise/status" "$T/before"
    ctl "$S" abqhtiy12pcPCKrl
    quiet
    cmp "$T/before" "$S/supervise/status"
    [ ! -e "$T/sigs" ]
    [ "$(proc_state "$(pid_of finish)")" != T ]
    touch "$T/go"
    ev sudD
}

@test "control UP: r sends the down-signal without SIGCONT; the service restarts if wanted up" {
    make_service "$S" "$RUN_SLEEP"
    boot
    ev su
    wait_for 5 has_pid run
    ctl "$S" p
    wait_for 5 st_is "$S" "$(pid_of run)" 0000 05
    ctl "$S" r
    quiet
    ev su
    ctl "$S" c
    ev sudD
    st_is "$S" 0 000f 0c
    ev sudDu
    ctl "$S" Or
    ev sudDudD
    st_is "$S" 0 000f 08
    quiet 1.5
    ev sudDudD
}

@test "control UP: l sends the reload-signal, SIGHUP by default or reload-signal's" {
    make_service "$S" "$RUN_SIGS"
    boot
    ev su
    wait_for 5 has_pid run
    ctl "$S" l
    wait_for 5 logged "$T/sigs" HUP
    echo SIGUSR2 > "$S/reload-signal"
    ctl "$S" l
    wait_for 5 logged "$T/sigs" USR2
    echo bogus > "$S/reload-signal"
    ctl "$S" l
    wait_for 5 eval '[ "$(grep -c HUP "$T/sigs")" = 2 ]'
    warned "invalid reload-signal"
    ev su
}

@test "control o: DOWN starts once; UP only clears wantup; FINISH clears wantup" {
    make_service "$S" "$RUN_SLEEP"
    touch "$S/down"
    boot
    ev s
    ctl "$S" o
    ev su
    wait_for 5 has_pid run
    st_is "$S" "$(pid_of run)" 0000 00
    ctl "$S" u
    wait_for 5 st_is "$S" "$(pid_of run)" 0000 04
    ctl "$S" o
    wait_for 5 st_is "$S" "$(pid_of run)" 0000 00
    alive "$(pid_of run)"
    ctl "$S" k
    ev sudD
    quiet 1.5
    ev sudD
}

@test "control o in FINISH: no restart after finish" {
    make_service "$S" "$RUN_SLEEP"
    mkfinish "$S" "$FINISH_WAIT"
    echo 0 > "$S/timeout-finish"
    boot
    ev su
    ctl "$S" k
    ev sud
    wait_for 5 has_pid finish
    ctl "$S" o
    wait_for 5 st_is "$S" "$(pid_of finish)" 0009 02
    touch "$T/go"
    ev sudD
    st_is "$S" 0 0009 08
    quiet 1.5
    ev sudD
}

@test "control d: UP sends down-signal then SIGCONT (a paused service dies); DOWN/FINISH clear wantup" {
    make_service "$S" "$RUN_SLEEP"
    mkfinish "$S" "$FINISH_WAIT"
    echo 0 > "$S/timeout-finish"
    boot
    ev su
    wait_for 5 has_pid run
    ctl "$S" p
    wait_for 5 st_is "$S" "$(pid_of run)" 0000 05
    ctl "$S" d
    ev sud
    wait_for 5 has_pid finish
    st_is "$S" "$(pid_of finish)" 000f 02
    ctl "$S" u
    wait_for 5 st_is "$S" "$(pid_of finish)" 000f 06
    ctl "$S" d
    wait_for 5 st_is "$S" "$(pid_of finish)" 000f 02
    touch "$T/go"
    ev sudD
    st_is "$S" 0 000f 08
    ctl "$S" d
    quiet
    st_is "$S" 0 000f 08
    ev sudD
}

@test "control u: DOWN starts at once; FINISH sets wantup, so run restarts after finish" {
    make_service "$S" "$RUN_SLEEP"
    mkfinish "$S" "$FINISH_WAIT"
    echo 0 > "$S/timeout-finish"
    touch "$S/down"
    boot
    ev s
    t0=$(now_ms)
    ctl "$S" u
    ev su
    [ $(( $(now_ms) - t0 )) -lt 900 ]
    ctl "$S" d
    ev sud
    wait_for 5 has_pid finish
    ctl "$S" u
    wait_for 5 st_is "$S" "$(pid_of finish)" 000f 06
    rm -f "$T/run.pid"
    touch "$T/go"
    ev sudDu
    wait_for 5 has_pid run
    st_is "$S" "$(pid_of run)" 000f 04
}

@test "control D: creates down; UP acts as d; DOWN and FINISH clear wantup" {
    make_service "$S" "$RUN_SLEEP"
    mkfinish "$S" "$FINISH_WAIT"
    echo 0 > "$S/timeout-finish"
    boot
    ev su
    ctl "$S" D
    ev sud
    [ -e "$S/down" ]
    wait_for 5 has_pid finish
    st_is "$S" "$(pid_of finish)" 000f 02
    rm "$S/down"
    ctl "$S" u
    wait_for 5 st_is "$S" "$(pid_of finish)" 000f 06
    ctl "$S" D
    wait_for 5 st_is "$S" "$(pid_of finish)" 000f 02
    [ -e "$S/down" ]
    touch "$T/go"
    ev sudD
    rm "$S/down"
    ctl "$S" D
    wait_for 5 test -e "$S/down"
    st_is "$S" 0 000f 08
    quiet
    ev sudD
}

@test "control U: removes down; DOWN starts now; UP and FINISH set wantup" {
    make_service "$S" "$RUN_SLEEP"
    mkfinish "$S" "$FINISH_WAIT"
    echo 0 > "$S/timeout-finish"
    touch "$S/down"
    boot
    ev s
    ctl "$S" U
    ev su
    [ ! -e "$S/down" ]
    wait_for 5 has_pid run
    st_is "$S" "$(pid_of run)" 0000 04
    ctl "$S" O
    touch "$S/down"
    ctl "$S" U
    wait_for 5 st_is "$S" "$(pid_of run)" 0000 04
    [ ! -e "$S/down" ]
    ctl "$S" O
    ctl "$S" k
    ev sud
    wait_for 5 has_pid finish
    touch "$S/down"
    ctl "$S" U
    wait_for 5 st_is "$S" "$(pid_of finish)" 0009 06
    [ ! -e "$S/down" ]
    touch "$T/go"
    ev sudDu
}

@test "control x: DOWN exits now; UP exits once down, stdio on /dev/null at once, seen by finish" {
    make_service "$S" "$RUN_SLEEP"
    mkfinish "$S" 'i=$(readlink /proc/$$/fd/0) o=$(readlink /proc/$$/fd/1)
echo "$i $o" > "$KEEL_SV_TEST/finish.fds"'
    boot
    ev su
    p=$(sv_pid "$S")
    [ "$(readlink "/proc/$p/fd/1")" = "$S.log" ]
    ctl "$S" x
    wait_for 5 eval '[ "$(readlink /proc/$p/fd/0) $(readlink /proc/$p/fd/1)" = "/dev/null /dev/null" ]'
    quiet 0.2
    ev su
    ctl "$S" d
    ev sudDx
    wait "$p"
    [ "$(cat "$T/finish.fds")" = "/dev/null /dev/null" ]
    # DOWN: at once.
    : > "$T/ev"
    touch "$S/down"
    start_sv "$S"
    ctl "$S" x
    ev sx
    wait "$(sv_pid "$S")"
}

@test "control x in FINISH: exits once finish is done" {
    make_service "$S" "$RUN_SLEEP"
    mkfinish "$S" "$FINISH_WAIT"
    echo 0 > "$S/timeout-finish"
    boot
    ev su
    ctl "$S" k
    ev sud
    wait_for 5 has_pid finish
    ctl "$S" x
    quiet 0.2
    alive "$(sv_pid "$S")"
    touch "$T/go"
    ev sudDx
    wait "$(sv_pid "$S")"
}

@test "control O and Q: wantup off without a signal in every state; Q also creates down" {
    make_service "$S" "$RUN_SLEEP"
    boot
    ev su
    wait_for 5 has_pid run
    ctl "$S" O
    wait_for 5 st_is "$S" "$(pid_of run)" 0000 00
    ctl "$S" u
    wait_for 5 st_is "$S" "$(pid_of run)" 0000 04
    ctl "$S" Q
    wait_for 5 st_is "$S" "$(pid_of run)" 0000 00
    [ -e "$S/down" ]
    alive "$(pid_of run)"
    ev su
    ctl "$S" k
    ev sudD
    rm "$S/down"
    ctl "$S" Q
    wait_for 5 test -e "$S/down"
    ctl "$S" O
    quiet
    st_is "$S" 0 0009 08
    ev sudD
}

@test "control O and Q in FINISH: wantup off, no restart after finish; Q creates down" {
    make_service "$S" "$RUN_SLEEP"
    mkfinish "$S" "$FINISH_WAIT"
    echo 0 > "$S/timeout-finish"
    boot
    ev su
    ctl "$S" k
    ev sud
    wait_for 5 has_pid finish
    ctl "$S" O
    wait_for 5 st_is "$S" "$(pid_of finish)" 0009 02
    ctl "$S" u
    wait_for 5 st_is "$S" "$(pid_of finish)" 0009 06
    ctl "$S" Q
    wait_for 5 st_is "$S" "$(pid_of finish)" 0009 02
    [ -e "$S/down" ]
    touch "$T/go"
    ev sudD
    quiet 1.5
    ev sudD
}

@test "control D/U on a read-only service directory: a warning, then as d/u" {
    need_root
    make_service "$S" "$RUN_SLEEP"
    touch "$S/down"
    mkdir -p "$S/supervise" "$S/event"
    chown nobody "$S/supervise" "$S/event"
    chmod 755 "$S"
    printf '#!/bin/sh\nexec "%s" nobody "%s" "$@"\n' "$KEEL_BIN/setuidgid" "$SV" > "$T/sv-nobody"
    chmod 755 "$T/sv-nobody"
    listen "$S" "$T/ev"
    start_sv "$S" "$T/sv-nobody"
    ctl "$S" U
    ev su
    warned "unable to unlink ./down file: Permission denied"
    [ -e "$S/down" ]
    rm "$S/down"
    ctl "$S" D
    ev sudD
    warned "unable to create ./down file: Permission denied"
    [ ! -e "$S/down" ]
    st_is "$S" 0 000f 08
}

@test "control: unknown and garbage bytes are ignored without harm" {
    make_service "$S" "$RUN_SLEEP"
    boot
    ev su
    wait_for 5 has_pid run
    before=$(st_hex "$S")
    # Every byte value but the command letters, twice.
    perl -e 'my $c = "abqhkti12ypcPCKrlodDuUxOQ";
        for (1..2) { for (0..255) { print chr($_) unless index($c, chr($_)) >= 0 } }' > "$T/garbage"
    cat "$T/garbage" > "$S/supervise/control"
    quiet
    [ "$(st_hex "$S")" = "$before" ]
    ev su
    alive "$(pid_of run)"
    ctl "$S" d
    ev sudD
}

# --- Timing: throttle, readiness, timeouts -------------------------------------------------------

@test "throttle: a run that exits at once starts at most about once a second" {
    make_service "$S" 'echo x >> "$KEEL_SV_TEST/starts"; exit 0'
    start_sv "$S"
    quiet 3.5
    n=$(wc -l < "$T/starts")
    [ "$n" -ge 3 ] && [ "$n" -le 5 ]
}

@test "throttle: a service ready for a second or more restarts at once; one never ready waits 1 s" {
    make_service "$S" 'echo $$ > "$KEEL_SV_TEST/run.pid"; echo >&3; exec sleep 1000'
    echo 3 > "$S/notification-fd"
    boot
    ev suU
    wait_for 5 has_pid run
    quiet 1.1 # ready for more than a second
    t0=$(now_ms)
    ctl "$S" k
    ev suUdDuU
    [ $(( $(now_ms) - t0 )) -lt 700 ]
    # Never ready: the next start waits a second after D.
    rm "$S/notification-fd"
    ctl "$S" k
    ev suUdDuUdDu
    t0=$(now_ms)
    ctl "$S" k
    ev suUdDuUdDudDu
    [ $(( $(now_ms) - t0 )) -ge 900 ]
}

@test "timeout-kill: a service ignoring its down-signal gets SIGKILL after timeout-kill ms" {
    make_service "$S" 'trap "" TERM; echo $$ > "$KEEL_SV_TEST/run.pid"; exec sleep 1000'
    echo 300 > "$S/timeout-kill"
    boot
    ev su
    wait_for 5 has_pid run
    t0=$(now_ms)
    ctl "$S" d
    ev sudD
    [ $(( $(now_ms) - t0 )) -ge 290 ]
    st_is "$S" 0 0009 08
}

@test "timeout-kill: r does not arm it; flag-timeout-killpg kills the whole group" {
    make_service "$S" 'trap "" TERM; sleep 1000 & echo $! > "$KEEL_SV_TEST/child.pid"
echo $$ > "$KEEL_SV_TEST/run.pid"; wait'
    echo 200 > "$S/timeout-kill"
    boot
    ev su
    wait_for 5 has_pid child
    ctl "$S" r
    quiet
    ev su
    touch "$S/flag-timeout-killpg"
    ctl "$S" d
    ev sudD
    wait_for 5 eval 'dead "$(pid_of child)"'
}

@test "timeout-finish: a slow finish is killed with the exact warning; 0 means no limit" {
    make_service "$S" "$RUN_SLEEP"
    mkfinish "$S" 'trap "" TERM; exec sleep 1000'
    echo 300 > "$S/timeout-finish"
    boot
    ev su
    t0=$(now_ms)
    ctl "$S" d
    ev sudD
    [ $(( $(now_ms) - t0 )) -ge 290 ]
    warned "finish script lifetime reached maximum value - sending it a SIGKILL"
    echo 0 > "$S/timeout-finish"
    ctl "$S" u
    ev sudDu
    ctl "$S" d
    ev sudDud
    quiet 1
    ev sudDud
}

@test "timeout-finish: 5000 ms by default" {
    make_service "$S" "$RUN_SLEEP"
    mkfinish "$S" 'exec sleep 1000'
    boot
    ev su
    t0=$(now_ms)
    ctl "$S" d
    wait_for 8 events_are "$T/ev" sudD
    el=$(( $(now_ms) - t0 ))
    [ "$el" -ge 4900 ] && [ "$el" -lt 7000 ]
}

# --- Service directory files ---------------------------------------------------------------

@test "down-signal: used by d and r; an invalid one warns and falls back to SIGTERM" {
    make_service "$S" "$RUN_SIGS"
    echo USR1 > "$S/down-signal"
    boot
    ev su
    wait_for 5 has_pid run
    ctl "$S" r
    wait_for 5 logged "$T/sigs" USR1
    ctl "$S" d
    wait_for 5 eval '[ "$(grep -c USR1 "$T/sigs")" = 2 ]'
    echo sigbogus > "$S/down-signal"
    ctl "$S" d
    wait_for 5 logged "$T/sigs" TERM
    warned "invalid down-signal"
    ctl "$S" k
    ev sudD
}

@test "max-death-tally: 14 bytes per death; keeps the last N; 0 keeps none; invalid means 100" {
    make_service "$S" 'exit 7'
    echo 0 > "$S/timeout-finish"
    echo 2 > "$S/max-death-tally"
    boot
    ev sudD
    [ "$(stat -c %s "$S/supervise/death_tally")" = 14 ]
    [ "$(od -An -tx1 -j12 "$S/supervise/death_tally" | tr -d ' ')" = 0700 ]
    ev sudDudD
    ev sudDudDudD
    [ "$(stat -c %s "$S/supervise/death_tally")" = 28 ]
    # The newest record's stamp is the status stamp of that death.
    [ "$(od -An -tx1 -j14 -N12 "$S/supervise/death_tally" | tr -d ' \n')" = "$(st stamp "$S")" ]
    echo 0 > "$S/max-death-tally"
    ev sudDudDudDudD
    [ "$(stat -c %s "$S/supervise/death_tally")" = 28 ]
    echo many > "$S/max-death-tally"
    ev sudDudDudDudDudD
    [ "$(stat -c %s "$S/supervise/death_tally")" = 42 ]
    warned "invalid max-death-tally"
    ctl "$S" O
}

@test "death_tally: a signal death is recorded as 128+sig and sig" {
    make_service "$S" "$RUN_SLEEP"
    boot
    ev su
    ctl "$S" d
    ev sudD
    [ "$(od -An -tx1 -j12 "$S/supervise/death_tally" | tr -d ' ')" = 8f0f ]
}

@test "notification-fd: an invalid value warns and the service starts without it" {
    make_service "$S" 'echo $$ > "$KEEL_SV_TEST/run.pid"; exec sleep 1000'
    echo 0 > "$S/notification-fd"
    boot
    ev su
    warned "invalid notification-fd"
    ctl "$S" d
    ev sudD
    echo "3 " > "$S/notification-fd"
    ctl "$S" u
    ev sudDu
    [ "$(grep -c 'invalid notification-fd' "$S.log")" = 2 ]
}

@test "lock-fd: run holds an exclusive POSIX lock on supervise/service-lock on that fd" {
    make_service "$S" 'echo $$ > "$KEEL_SV_TEST/run.pid"
readlink /proc/$$/fd/7 > "$KEEL_SV_TEST/fd7"; exec sleep 1000'
    echo 7 > "$S/lock-fd"
    boot
    ev su
    wait_for 5 test -s "$T/fd7"
    [ "$(cat "$T/fd7")" = "$S/supervise/service-lock" ]
    holds_lock "$(pid_of run)" "$S/supervise/service-lock"
}

@test "lock-fd: a previous instance holding the lock: warning, the child blocks until it is free" {
    make_service "$S" 'echo $$ > "$KEEL_SV_TEST/run.pid"; exec sleep 1000'
    echo 4 > "$S/lock-fd"
    mkdir -p "$S/supervise"
    echo junk > "$S/supervise/service-lock"
    setlock "$S/supervise/service-lock" sh -c 'echo $$ > "$KEEL_SV_TEST/holder.pid"; exec sleep 1000' &
    track_pid $!
    wait_for 5 has_pid holder
    boot
    ev su
    warned "a previous instance of the service wrote to the lock file!"
    warned "another instance of the service is already running, child will block"
    [ "$(stat -c %s "$S/supervise/service-lock")" = 0 ]
    quiet
    [ ! -e "$T/run.pid" ]
    kill "$(pid_of holder)"
    wait_for 5 has_pid run
    [ "$(pid_of run)" = "$(st pid "$S")" ]
}

@test "lock-fd: a high lock-fd with notification-fd, the lock held: the child still blocks alone" {
    make_service "$S" 'echo $$ > "$KEEL_SV_TEST/run.pid"; echo >&9; exec sleep 1000'
    echo 20 > "$S/lock-fd"
    echo 9 > "$S/notification-fd"
    mkdir -p "$S/supervise"
    setlock "$S/supervise/service-lock" sh -c 'echo $$ > "$KEEL_SV_TEST/holder.pid"; exec sleep 1000' &
    track_pid $!
    wait_for 5 has_pid holder
    boot
    ev su
    # supervise goes on while its child waits for the lock.
    ctl "$S" O
    wait_for 5 eval '[ "$(st flags "$S")" = 00 ]'
    kill "$(pid_of holder)"
    ev suU
    holds_lock "$(pid_of run)" "$S/supervise/service-lock"
}

@test "lock-fd: same as notification-fd: a warning and no start; invalid: ignored with a warning" {
    make_service "$S" 'echo $$ > "$KEEL_SV_TEST/run.pid"; exec sleep 1000'
    echo 3 > "$S/lock-fd"
    echo 3 > "$S/notification-fd"
    boot
    wait_for 5 warned "unable to start service: notification-fd and lock-fd are the same"
    quiet
    [ ! -e "$T/run.pid" ]
    ev s
    echo 99999999 > "$S/lock-fd"
    ctl "$S" u
    ev su
    warned "invalid lock-fd"
}

@test "flag-newpidns: run is pid 1 of a new PID namespace" {
    need_root
    native_only "qemu-user's clone refuses CLONE_NEWPID"
    make_service "$S" 'echo $$ > "$KEEL_SV_TEST/inner.pid"; trap "exit 0" TERM; sleep 1000 & wait'
    touch "$S/flag-newpidns"
    boot
    ev su
    wait_for 5 has_pid inner
    [ "$(pid_of inner)" = 1 ]
    [ "$(st pid "$S")" != 1 ]
    [ "$(readlink /proc/"$(st pid "$S")"/ns/pid)" != "$(readlink /proc/self/ns/pid)" ]
    ctl "$S" d
    ev sudD
}

@test "missing or non-executable run: one warning, retry in 60 s, no busy loop" {
    native_only "qemu-user runs vfork as fork: a failed exec shows as an exit of the child"
    mkdir -p "$S"
    boot
    quiet 3
    [ "$(grep -c . "$S.log")" = 1 ]
    warned "unable to spawn ./run (waiting 60 seconds): No such file or directory"
    ev s
    # CPU time of supervise so far: a few ticks at most.
    ticks=$(awk '{ print $14 + $15 }' "/proc/$(sv_pid "$S")/stat")
    [ "$ticks" -lt 20 ]
    make_service "$S"
    ctl "$S" u
    ev su
    ctl "$S" d
    ev sudD
    chmod 644 "$S/run"
    ctl "$S" u
    quiet 2
    [ "$(grep -c 'unable to spawn' "$S.log")" = 2 ]
    warned "unable to spawn ./run (waiting 60 seconds): Permission denied"
    ev sudD
}

@test "run with the x bit that still cannot be executed (no #! line): retried in 60 s" {
    native_only "qemu-user runs vfork as fork: a failed exec shows as an exit of the child"
    # The exec fails (ENOEXEC) in the child: supervise learns it before announcing anything.
    mkdir -p "$S"
    printf '\177ELF not really\n' > "$S/run"
    chmod 755 "$S/run"
    mkfinish "$S" 'echo ran > "$KEEL_SV_TEST/finish.ran"'
    boot
    wait_for 5 warned "unable to spawn ./run (waiting 60 seconds): Exec format error"
    quiet 2.5
    ev s
    [ "$(grep -c 'unable to spawn' "$S.log")" = 1 ]
    [ ! -e "$T/finish.ran" ]
    [ ! -s "$S/supervise/death_tally" ]
    [ "$(st pid "$S")" = 0 ]
}

@test "run gets ./run NAME, its own session, an empty signal mask, SIGPIPE default, no supervise fd" {
    make_service "$S" 'echo "$0 $*" > "$KEEL_SV_TEST/args"
for f in /proc/$$/fd/*; do readlink "$f"; done > "$KEEL_SV_TEST/fds"
echo $$ > "$KEEL_SV_TEST/run.pid"; exec sleep 1000'
    boot
    wait_for 5 has_pid run
    # The mask and dispositions run had when it executed sleep.
    wait_for 5 eval '[ "$(cat /proc/$(pid_of run)/comm)" = sleep ]'
    grep -E "^(SigBlk|SigIgn)" "/proc/$(pid_of run)/status" > "$T/sigs"
    [ "$(cat "$T/args")" = "./run $S" ]
    [ "$(ps -o sid= -p "$(pid_of run)" | tr -d ' ')" = "$(pid_of run)" ]
    grep -qx 'SigBlk:.0*' "$T/sigs"
    # Only ignored signals the test runner itself ignores; never SIGPIPE (bit 13).
    ign=$(awk '/SigIgn/ { print $2 }' "$T/sigs")
    [ $(( 16#$ign & (1 << 12) )) = 0 ]
    # Inherited descriptors only, none of supervise's own.
    grep -q "$S.log" "$T/fds"
    ! grep -E 'supervise/|signalfd|/event$' "$T/fds"
}

# --- Signals to supervise --------------------------------------------------------------------

@test "signals UP: TERM brings the service down, then supervise exits" {
    make_service "$S" "$RUN_SLEEP"
    boot
    ev su
    kill -TERM "$(sv_pid "$S")"
    ev sudDx
    wait "$(sv_pid "$S")"
}

@test "signals UP: HUP exits once the service is down; stdio on /dev/null at once" {
    make_service "$S" "$RUN_SLEEP"
    boot
    ev su
    p=$(sv_pid "$S")
    kill -HUP "$p"
    wait_for 5 eval '[ "$(readlink /proc/$p/fd/1)" = /dev/null ]'
    ev su
    alive "$p"
    ctl "$S" d
    ev sudDx
    wait "$p"
}

@test "signals UP: QUIT exits at once, the service untouched; INT interrupts its group and exits" {
    make_service "$S" "$RUN_SIGS"
    boot
    ev su
    wait_for 5 has_pid run
    kill -QUIT "$(sv_pid "$S")"
    ev sux
    wait "$(sv_pid "$S")"
    alive "$(pid_of run)"
    [ ! -e "$T/sigs" ]
    kill -9 "$(pid_of run)"
    rm "$T/run.pid"
    : > "$T/ev"
    start_sv "$S"
    ev su
    wait_for 5 has_pid run
    kill -INT "$(sv_pid "$S")"
    ev sux
    wait "$(sv_pid "$S")"
    wait_for 5 logged "$T/sigs" INT
}

@test "signals DOWN: TERM, HUP, QUIT and INT each exit at once" {
    make_service "$S"
    touch "$S/down"
    mkdir "$S/event"
    listen "$S" "$T/ev"
    for s in TERM HUP QUIT INT; do
        : > "$T/ev"
        start_sv "$S"
        ev s
        kill -"$s" "$(sv_pid "$S")"
        ev sx
        wait "$(sv_pid "$S")"
    done
}

@test "signals FINISH: TERM and HUP act as x" {
    make_service "$S" "$RUN_SLEEP"
    mkfinish "$S" "$FINISH_WAIT"
    echo 0 > "$S/timeout-finish"
    boot
    ev su
    ctl "$S" d
    ev sud
    wait_for 5 has_pid finish
    kill -TERM "$(sv_pid "$S")"
    quiet 0.3
    alive "$(sv_pid "$S")"
    touch "$T/go"
    ev sudDx
    wait "$(sv_pid "$S")"
}

# --- Robustness --------------------------------------------------------------------------------

@test "status is replaced atomically: no status.new is ever left" {
    make_service "$S" 'exit 0'
    touch "$S/down"
    start_sv "$S"
    for i in 1 2 3 4 5; do ctl "$S" uOpcO; done
    quiet
    [ "$(ls "$S/supervise" | tr '\n' ' ')" = "control death_tally lock status " ]
}

@test "an unwritable status or death tally: a warning each time, and supervision goes on" {
    make_service "$S" "$RUN_SLEEP"
    boot
    ev su
    mkdir "$S/supervise/status.new" "$S/supervise/death_tally.new"
    ctl "$S" d
    ev sudD
    warned "unable to write status file: Is a directory"
    warned "unable to write supervise/death_tally: Is a directory"
    rmdir "$S/supervise/status.new" "$S/supervise/death_tally.new"
    rm -f "$T/run.pid"
    ctl "$S" u
    ev sudDu
    wait_for 5 has_pid run
    wait_for 5 st_is "$S" "$(pid_of run)" 000f 04
}

@test "lock-fd: supervise/service-lock cannot be opened: warning, retry in 60 s" {
    make_service "$S" "$RUN_SLEEP"
    echo 5 > "$S/lock-fd"
    mkdir -p "$S/supervise/service-lock"
    boot
    wait_for 5 warned "unable to open supervise/service-lock for writing (waiting 60 seconds): $(
        )Is a directory"
    quiet
    ev s
    [ ! -e "$T/run.pid" ]
}

@test "1000 restarts leak no descriptor" {
    make_service "$S" 'exec sleep 1000'
    touch "$S/down"
    mkdir "$S/event"
    start_sv "$S"
    fifo="$S/event/ftrig1:@$(printf '%024x' 1):abcdef"
    mkfifo -m 0600 "$fifo"
    exec {efd}<>"$fifo"
    p=$(sv_pid "$S")
    fds() { for f in /proc/$p/fd/*; do echo "${f##*/} $(readlink "$f")"; done; }
    before=$(fds)
    for i in $(seq 1000); do
        ctl "$S" u
        read -r -N 1 -t 5 -u "$efd" e
        [ "$e" = u ] || { echo "cycle $i: got '$e' after u" >&2; false; }
        ctl "$S" d
        read -r -N 2 -t 5 -u "$efd" e
        [ "$e" = dD ] || { echo "cycle $i: got '$e' after d" >&2; false; }
    done
    exec {efd}<&-
    [ "$(fds)" = "$before" ]
    [ "$(stat -c %s "$S/supervise/death_tally")" = 1400 ]
}

@test "no allocation at all, restarts included (valgrind)" {
    need_cmd valgrind
    native_only "under qemu-user, valgrind would check qemu, not supervise"
    if ldd "$SV" 2>/dev/null | grep -q libasan; then skip "sanitizer build"; fi
    make_service "$S" 'echo >&3; exec sleep 1000'
    echo 3 > "$S/notification-fd"
    echo 1 > "$S/timeout-kill"
    touch "$S/down"
    printf '#!/bin/sh\nexec valgrind --log-file="%s" "%s" "$@"\n' "$T/vg" "$SV" > "$T/sv-vg"
    chmod 755 "$T/sv-vg"
    mkdir "$S/event"
    fifo="$S/event/ftrig1:@$(printf '%024x' 1):abcdef"
    mkfifo -m 0600 "$fifo"
    exec {efd}<>"$fifo"
    start_sv "$S" "$T/sv-vg"
    read -r -N 1 -t 10 -u "$efd" e
    [ "$e" = s ]
    for i in 1 2 3 4 5; do
        ctl "$S" u
        read -r -N 2 -t 10 -u "$efd" e
        [ "$e" = uU ] || { echo "cycle $i: got '$e' after u" >&2; false; }
        ctl "$S" pcabyd
        read -r -N 2 -t 10 -u "$efd" e
        [ "$e" = dD ] || { echo "cycle $i: got '$e' after d" >&2; false; }
    done
    exec {efd}<&-
    ctl "$S" x
    wait "$(sv_pid "$S")"
    grep -q 'total heap usage: 0 allocs, 0 frees, 0 bytes allocated' "$T/vg"
}

# --- Interop with s6's clients ------------------------------------------------------------------

# transcript SUPERVISOR DIR: drive DIR with s6's clients and print what they answer, with pids
# and durations masked.
transcript() {
    local sv=$1 d=$2 o=up,wantedup,normallyup,ready,exitcode,signal,signum
    say() { local rc=0; "$@" || rc=$?; echo "$1 $rc"; }
    make_service "$d" 'echo >&3; exec sleep 1000'
    echo 3 > "$d/notification-fd"
    touch "$d/down"
    start_sv "$d" "$sv"
    say s6-svok "$d"
    s6-svstat "$d"; s6-svstat -o "$o" "$d"
    s6-svc -u "$d"; say s6-svwait -U -t 5000 "$d"
    s6-svstat "$d"; s6-svstat -o "$o,paused" "$d"
    s6-svc -p "$d"; wait_for 5 eval '[ "$(s6-svstat -o paused "$d")" = true ]'
    s6-svstat "$d"; s6-svstat -o paused "$d"; s6-svc -c "$d"
    s6-svc -d "$d"; say s6-svwait -D -t 5000 "$d"
    s6-svstat "$d"; s6-svstat -o "$o,paused" "$d"
    s6-svc -u "$d"; say s6-svwait -u -t 5000 "$d"
    say s6-svc -wr -T 5000 -r "$d"
    # -wr returns at "u": readiness follows at its own pace, so wait for it before reading.
    say s6-svwait -U -t 5000 "$d"
    s6-svstat -o "$o" "$d"
    # (the status changes when the supervisor has read the byte: wait for it, not for luck)
    s6-svc -O "$d"; wait_for 5 eval '[ "$(s6-svstat -o wantedup "$d")" = false ]'; s6-svstat "$d"
    # -D, not -d: s6-supervise writes "down" and then, with no finish, "down and ready" in two
    # steps (keel in one); a status read between them would differ.
    s6-svc -k "$d"; say s6-svwait -D -t 5000 "$d"
    s6-svstat "$d"; s6-svstat -o "$o" "$d"
    s6-svc -x "$d"
    say wait "$(sv_pid "$d")"
    say s6-svok "$d"
    say s6-svc -u "$d"
}

@test "interop: s6-svc, s6-svstat, s6-svwait, s6-svok answer the same for supervise and s6-supervise" {
    need_s6 s6-supervise
    need_s6 s6-svstat
    transcript "$SV" "$T/keel" > "$T/keel.out" 2>&1
    transcript "$(command -v s6-supervise)" "$T/s6" > "$T/s6.out" 2>&1
    mask() { sed -E "s#$T/(keel|s6)#DIR#g; s/pid [0-9]+/pid P/; s/[0-9]+ seconds/N seconds/g" "$1"; }
    diff <(mask "$T/keel.out") <(mask "$T/s6.out")
    grep -qx 's6-svwait 0' "$T/keel.out"
    grep -qx 'wait 0' "$T/keel.out"
    grep -qx 's6-svok 1' "$T/keel.out"
}

@test "interop: s6-svstat sees keel's not-started-yet mark (paused while never started)" {
    need_s6 s6-svstat
    make_service "$S"
    touch "$S/down"
    start_sv "$S"
    # s6 2.13.2+ writes this mark; 2.11's s6-svstat reads it as a plain paused bit.
    [ "$(s6-svstat -o up,paused,pid "$S")" = "false true -1" ]
    ctl "$S" u
    wait_for 5 eval '[ "$(s6-svstat -o up,paused "$S")" = "true false" ]'
}
