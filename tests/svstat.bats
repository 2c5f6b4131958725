#!/usr/bin/env bats
# svstat: the human line and the fields, for every state, against every supervisor (keel's
# supervise when built, s6-supervise); s6-svstat must agree; damaged status files.

load helper

# --- local helpers (the same in the other svc/svstat/svok/svdt tests) -----------------------

# The fields of DIR/supervise/status.
is_up() { local p f; p=$(st_pid "$1"); f=$(st_flags "$1"); [ "${p:-0}" != 0 ] && (( (f & 2) == 0 )); }
is_down() { [ "$(st_pid "$1")" = 0 ]; }
is_ready() { is_up "$1" && (( $(st_flags "$1") & 8 )); }
is_finishing() { (( $(st_flags "$1") & 2 )); }

# Kill what a failed test may leave: supervisors first (so nothing restarts), then the
# services' process groups (pid = pgid: supervise starts each in its own session).
teardown() {
    local s p groups=
    for s in "$T"/*/supervise/status "$T"/*/*/supervise/status; do
        [ -f "$s" ] && p=$(st_pid "${s%/supervise/status}") && [ "${p:-0}" != 0 ] && groups="$groups $p"
    done
    if [ -f "$T/pids" ]; then while read -r p; do kill -9 "$p" 2>/dev/null; done < "$T/pids"; fi
    for p in $groups; do kill -9 -- "-$p" 2>/dev/null || true; done
    keel_teardown
}

# sv_name SUPERVISOR: a short name for service dirs ("supervise", "s6-supervise").
sv_name() { basename "$1"; }
is_keel() { [ "$1" = "$KEEL_BIN/supervise" ]; }

# The same line with times, pids and 2.11's missing pgid normalised away.
norm() { sed -E 's/ pgid [0-9]+//; s/[0-9]+ seconds/N seconds/g; s/pid [0-9]+/pid P/'; }

# same_as_s6 DIR ARGS...: svstat and s6-svstat print the same (modulo norm).
same_as_s6() {
    local dir=$1; shift
    command -v s6-svstat >/dev/null || return 0
    local k s
    k=$(svstat "$@" "$dir" | norm)
    s=$(s6-svstat "$@" "$dir" | norm)
    [ "$k" = "$s" ] || { echo "svstat: $k"; echo "s6-svstat: $s"; return 1; }
}

# put_hex FILE HEX...: FILE gets exactly these bytes.
put_hex() { local h; h=$(printf '%s' "${*:2}" | tr -d ' '); perl -e 'print pack("H*", $ARGV[0])' "$h" > "$1"; }
# The 16 hex digits of a TAI64 label OFFSET seconds from now.
tai_hex() { printf '%016x' $(( (1 << 62) + $(date +%s) + 37 + ${1:-0} )); }

# fake_supervised DIR: DIR/supervise/lock held (by setlock), so a hand-written status is read.
fake_supervised() {
    mkdir -p "$1/supervise"
    setlock "$1/supervise/lock" sleep 100000 </dev/null >/dev/null 2>&1 3>&- &
    track_pid $!
    disown $!
    wait_for 5 svok "$1"
}

# --- live services -------------------------------------------------------------------------

@test "svstat: up, then down by signal; -n gives the number; s6-svstat agrees" {
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        pid=$(st_pid "$d")
        run svstat "$d"
        [ "$status" -eq 0 ]
        [[ "$output" =~ ^up\ \(pid\ $pid\ pgid\ $pid\)\ [0-9]+\ seconds$ ]]
        same_as_s6 "$d"
        svc -d "$d"
        wait_for 5 is_down "$d"
        run svstat "$d"
        [[ "$output" =~ ^down\ \(signal\ SIGTERM\)\ [0-9]+\ seconds,\ normally\ up,\ ready\ [0-9]+\ seconds$ ]]
        same_as_s6 "$d"
        run svstat -n "$d"
        [[ "$output" =~ ^down\ \(signal\ 15\)\ [0-9]+\ seconds,\ normally\ up,\ ready ]]
        same_as_s6 "$d" -n
        stop_sv "$d"
    done
}

@test "svstat: down by exit code, normally down" {
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d" 'exit 3'
        touch "$d/down"
        start_sv "$d" "$sv"
        svc -o "$d"
        wait_for 5 test -s "$d/supervise/death_tally"
        wait_for 5 is_down "$d"
        run svstat "$d"
        [[ "$output" =~ ^down\ \(exitcode\ 3\)\ [0-9]+\ seconds,\ ready\ [0-9]+\ seconds$ ]]
        same_as_s6 "$d"
        run svstat -o up,exitcode,signal,signum,pid,normallyup,wantedup "$d"
        [ "$output" = "false 3 NA -1 -1 false false" ]
        same_as_s6 "$d" -o up,exitcode,signal,signum,pid,normallyup,wantedup
        stop_sv "$d"
    done
}

@test "svstat: paused, want down, normally down while up" {
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        svc -p "$d"
        wait_for 5 eval "(( \$(st_flags '$d') & 1 ))"
        run svstat "$d"
        [[ "$output" =~ ^up\ .*\ seconds,\ paused$ ]]
        same_as_s6 "$d"
        run svstat -o paused "$d"
        [ "$output" = true ]
        svc -c "$d"
        wait_for 5 eval "(( (\$(st_flags '$d') & 1) == 0 ))"
        svc -O "$d"
        wait_for 5 eval "(( (\$(st_flags '$d') & 4) == 0 ))"
        run svstat "$d"
        [[ "$output" =~ ^up\ .*\ seconds,\ want\ down$ ]]
        same_as_s6 "$d"
        touch "$d/down"
        run svstat "$d"
        [[ "$output" =~ ^up\ .*\ seconds,\ normally\ down,\ want\ down$ ]]
        same_as_s6 "$d"
        run svstat -o normallyup,wantedup,paused "$d"
        [ "$output" = "false false false" ]
        stop_sv "$d"
    done
}

@test "svstat: while finish runs: down, want up, and no pid" {
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d" 'exit 0'
        printf '#!/bin/sh\nexec sleep 100000\n' > "$d/finish"
        chmod 755 "$d/finish"
        start_sv "$d" "$sv"
        wait_for 5 is_finishing "$d"
        run svstat "$d"
        [[ "$output" =~ ^down\ \(exitcode\ 0\)\ [0-9]+\ seconds,\ normally\ up,\ want\ up$ ]]
        same_as_s6 "$d"
        run svstat -upr -o exitcode "$d"
        [ "$output" = "false -1 false 0" ]
        same_as_s6 "$d" -upr -o exitcode
        svc -O "$d"
        kill "$(st_pid "$d")"
        wait_for 5 is_down "$d"
        stop_sv "$d"
    done
}

@test "svstat: ready after the service notified readiness" {
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d" 'echo >&3; exec sleep 100000 3>&-'
        echo 3 > "$d/notification-fd"
        start_sv "$d" "$sv"
        wait_for 5 is_ready "$d"
        run svstat "$d"
        [[ "$output" =~ ^up\ \(pid\ [0-9]+\ pgid\ [0-9]+\)\ [0-9]+\ seconds,\ ready\ [0-9]+\ seconds$ ]]
        same_as_s6 "$d"
        run svstat -r -o ready,readyfor "$d"
        [[ "$output" =~ ^true\ true\ [0-9]+$ ]]
        stop_sv "$d"
    done
}

@test "svstat: not started yet (keel's supervise with a down file)" {
    [ -x "$KEEL_BIN/supervise" ] || skip "keel's supervise is not built yet"
    d=$T/svc
    make_service "$d"
    touch "$d/down"
    start_sv "$d"
    run svstat "$d"
    [ "$status" -eq 0 ]
    [ "$output" = "down (not started yet)" ]
    run svstat -o up,paused,pid,exitcode,signal,signum "$d"
    [ "$output" = "false false -1 -1 NA -1" ]
    stop_sv "$d"
}

@test "svstat: every field, by -o name and by letter, against s6-svstat" {
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        wait_for 5 is_up "$d"
        pid=$(st_pid "$d")
        run svstat -uwNrpgest "$d"
        [[ "$output" =~ ^true\ true\ true\ false\ $pid\ $pid\ -1\ NA\ [0-9]+$ ]]
        # s6 2.11 has no pgid: compare the rest
        all=up,wantedup,normallyup,ready,paused,pid,exitcode,signal,signum,updownsince,readysince
        same_as_s6 "$d" -o "$all"
        same_as_s6 "$d" -uwNrpest
        run svstat -o "$all,updownfor,readyfor,pgid" "$d"
        [[ "$output" =~ ^true\ true\ true\ false\ false\ $pid\ -1\ NA\ -1\ @[0-9a-f]{24}\ @[0-9a-f]{24}\ [0-9]+\ [0-9]+\ $pid$ ]]
        # updownsince is the status stamp itself
        stamp=$(od -An -tx1 -N12 "$d/supervise/status" | tr -d ' \n')
        [ "$(svstat -o updownsince "$d")" = "@$stamp" ]
        stop_sv "$d"
    done
}

# --- -o names -----------------------------------------------------------------------------

@test "svstat -o: exact names first, else the first name (2.11 order) they begin" {
    d=$T/svc
    fake_supervised "$d"
    put_hex "$d/supervise/status" "$(tai_hex)00000000 $(tai_hex)00000000 000000000000002a 0000 0c"
    run svstat -o p,pg,pi,r,re,readys,readyf,s,sign,u,upd,updownf,w,n,e "$d"
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^false\ 42\ 42\ true\ true\ @[0-9a-f]{24}\ [0-9]+\ NA\ NA\ true\ @[0-9a-f]{24}\ [0-9]+\ true\ true\ -1$ ]]
    need_s6 s6-svstat
    # s6-svstat 2.11 reads the same abbreviations the same way
    [ "$(s6-svstat -o p,pi,r,re,s,u,w,n,e "$d")" = "$(svstat -o p,pi,r,re,s,u,w,n,e "$d")" ]
}

@test "svstat: bad -o fields and too many fields" {
    d=$T/svc
    fake_supervised "$d"
    put_hex "$d/supervise/status" "$(tai_hex)00000000 $(tai_hex)00000000 0000000000000000 0000 0c"
    expect_fail 100 "svstat: fatal: invalid option field: bogus" svstat -o up,bogus "$d"
    expect_fail 100 "svstat: fatal: invalid option field: upx" svstat -o upx "$d"
    expect_fail 100 "svstat: fatal: invalid null option field" svstat -o up,,pid "$d"
    expect_fail 100 "svstat: fatal: invalid null option field" svstat -o ,up "$d"
    run svstat -o up, "$d"
    [ "$status" -eq 0 ]
    [ "$output" = false ]
    run svstat -uuuuuuuuuuuuuuuu "$d"
    [ "$status" -eq 0 ]
    [ "$output" = "false false false false false false false false false false false false false false false false" ]
    expect_fail 100 "svstat: fatal: too many option fields" svstat -uuuuuuuuuuuuuuuuu "$d"
    expect_fail 100 "svstat: fatal: too many option fields" svstat -uuuuuuuu -o up,up,up,up,up,up,up,up,up "$d"
    # a bad name is reported before the count
    expect_fail 100 "svstat: fatal: invalid option field: x" svstat -o up,up,up,up,up,up,up,up,up,up,up,up,up,up,up,up,x "$d"
    # -o '' is no field at all: the human line
    run svstat -o '' "$d"
    [[ "$output" =~ ^down ]]
    need_s6 s6-svstat
    for args in "-o up,bogus" "-o up,,pid" "-uuuuuuuuuuuuuuuuu"; do
        run --separate-stderr s6-svstat $args "$d"
        s6err=$stderr s6status=$status
        run --separate-stderr svstat $args "$d"
        [ "$status" = "$s6status" ]
        [ "s6-$stderr" = "$s6err" ]
    done
}

@test "svstat: usage errors" {
    expect_usage svstat
    expect_usage svstat -x "$T"
    expect_usage svstat -o
    expect_usage svstat -n
}

# --- not supervised, damaged files ----------------------------------------------------------

@test "svstat: not supervised exits 1; missing status 111" {
    mkdir "$T/svc"
    expect_fail 1 "svstat: fatal: unable to read status for $T/svc: supervise not running" svstat "$T/svc"
    expect_fail 1 "svstat: fatal: unable to read status for $T/none: supervise not running" svstat "$T/none"
    mkdir "$T/svc/supervise"
    : > "$T/svc/supervise/lock"
    expect_fail 1 "svstat: fatal: unable to read status for $T/svc: supervise not running" svstat -u "$T/svc"
    fake_supervised "$T/svc"
    expect_fail 111 "svstat: fatal: unable to read status for $T/svc: No such file or directory" svstat "$T/svc"
    touch "$T/file"
    expect_fail 111 "svstat: fatal: unable to check $T/file: Not a directory" svstat "$T/file"
}

@test "svstat: a service that is no longer supervised, against s6-svstat" {
    for sv in $(supervisors); do
        d=$T/$(sv_name "$sv")
        make_service "$d"
        start_sv "$d" "$sv"
        stop_sv "$d"
        expect_fail 1 "svstat: fatal: unable to read status for $d: supervise not running" svstat "$d"
        need_s6 s6-svstat
        run s6-svstat "$d"
        [ "$status" -eq 1 ]
    done
}

@test "svstat: a truncated, an empty, or an oversized status file: 111 and a clear message" {
    d=$T/svc
    fake_supervised "$d"
    now=$(tai_hex)
    put_hex "$d/supervise/status" "${now}00000000 ${now}00000000 0000000000000000 0000"
    expect_fail 111 "svstat: fatal: unable to read status for $d: status file is truncated" svstat "$d"
    : > "$d/supervise/status"
    expect_fail 111 "svstat: fatal: unable to read status for $d: status file is truncated" svstat -u "$d"
    put_hex "$d/supervise/status" "${now}00000000 ${now}00000000 0000000000000000 0000 0c 00"
    expect_fail 111 "svstat: fatal: unable to read status for $d: status file is too long" svstat "$d"
    head -c 4096 /dev/urandom > "$d/supervise/status"
    expect_fail 111 "svstat: fatal: unable to read status for $d: status file is too long" svstat -o pid "$d"
    # nanoseconds beyond 999999999
    put_hex "$d/supervise/status" "${now}ffffffff ${now}00000000 0000000000000000 0000 0c"
    expect_fail 111 "svstat: fatal: unable to read status for $d: status file holds an invalid timestamp" svstat "$d"
}

@test "svstat: the 43-byte layout of s6 2.13 is decoded, its pgid shown" {
    d=$T/svc
    fake_supervised "$d"
    now=$(tai_hex -5)
    # stamp | readystamp | pid 1000 | pgid 999 | wstat | flags: up, want up
    put_hex "$d/supervise/status" "${now}00000000 ${now}00000000 00000000000003e8 00000000000003e7 0000 04"
    run svstat "$d"
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^up\ \(pid\ 1000\ pgid\ 999\)\ [56]\ seconds$ ]]
    run svstat -o pid,pgid,up,wantedup,ready -g "$d"
    [ "$output" = "1000 999 true true false 999" ]
    # down after SIGKILL (wstat 9), want up, ready
    put_hex "$d/supervise/status" "${now}00000000 ${now}00000000 0000000000000000 0000000000000000 0009 0c"
    run svstat "$d"
    [[ "$output" =~ ^down\ \(signal\ SIGKILL\)\ [56]\ seconds,\ normally\ up,\ want\ up,\ ready\ [56]\ seconds$ ]]
}

@test "svstat: hand-written 35-byte statuses (pid, wstat, flags)" {
    d=$T/svc
    fake_supervised "$d"
    now=$(tai_hex -100)
    # svstat prints 100 or 101 seconds, depending on when the second turns
    sv100() { svstat "$@" "$d" | sed -E 's/\b10[01]\b/100/g'; }
    st() { put_hex "$d/supervise/status" "${now}00000000 ${now}00000000 $1 $2 $3"; }
    st 0000000000000000 0700 08       # exited 7, wanted down
    [ "$(sv100)" = "down (exitcode 7) 100 seconds, normally up, ready 100 seconds" ]
    [ "$(sv100 -o exitcode,signal,signum,ready,updownfor)" = "7 NA -1 false 100" ]
    st 0000000000000000 008b 08       # SIGSEGV, core dumped
    [ "$(sv100)" = "down (signal SIGSEGV) 100 seconds, normally up, ready 100 seconds" ]
    [ "$(sv100 -n)" = "down (signal 11) 100 seconds, normally up, ready 100 seconds" ]
    st 0000000000000000 0028 08       # a real-time signal (40) has no name
    [ "$(sv100 -o signal,signum)" = "SIG40 40" ]
    st 0000000000001234 0000 05       # up, paused, want up
    [ "$(sv100)" = "up (pid 4660 pgid 4660) 100 seconds, paused" ]
    st 0000000000001234 0000 0d       # up, paused, ready
    [ "$(sv100)" = "up (pid 4660 pgid 4660) 100 seconds, paused, ready 100 seconds" ]
    st 0000000000000000 0000 0d       # 2.13.2+ marker: never started, want up
    [ "$(sv100)" = "down (not started yet), normally up, want up" ]
    [ "$(sv100 -o paused,exitcode)" = "false -1" ]
    st 0000000000000000 0000 09       # 2.15's marker with a down file
    touch "$d/down"
    [ "$(sv100)" = "down (not started yet)" ]
}

@test "svstat: a stamp in the future, or before 1970, counts as now" {
    d=$T/svc
    fake_supervised "$d"
    future=$(tai_hex 100000)
    past=$(tai_hex)
    put_hex "$d/supervise/status" "${future}00000000 ${future}00000000 0000000000000000 0000 08"
    [ "$(svstat "$d")" = "down (exitcode 0) 0 seconds, normally up, ready 0 seconds" ]
    [ "$(svstat -o updownfor,readyfor "$d")" = "0 0" ]
    # updownsince shows now, not the stored stamp
    [ "$(svstat -o updownsince "$d")" != "@${future}00000000" ]
    put_hex "$d/supervise/status" "000000000000000000000000 ${past}00000000 0000000000000000 0000 08"
    [ "$(svstat -o updownfor "$d")" = 0 ]
    put_hex "$d/supervise/status" "ffffffffffffffff00000000 ffffffffffffffff3b9ac9ff 0000000000000000 0000 08"
    [ "$(svstat -t -o readyfor "$d")" = "0 0" ]
}

@test "svstat: service dir names with spaces and newlines" {
    d="$T/my
svc dir"
    fake_supervised "$d"
    put_hex "$d/supervise/status" "$(tai_hex)00000000 $(tai_hex)00000000 0000000000000000 0000 08"
    run svstat -u "$d"
    [ "$status" -eq 0 ]
    [ "$output" = false ]
}
