#!/usr/bin/env bats
# reap-all: wait until no child is left, then exec. As pid 1 of a PID namespace (orphans
# included) it runs in a child namespace (tests/final.bash); as an ordinary process it only
# waits for its own children, which is safe anywhere.

load helper
load final

# ns_init_of PID: the host pid of the first process under PID (a background in_ns_sh: bash,
# timeout, unshare, then pid 1) that is pid 1 of its namespace (last NSpid field 1).
ns_init_of() {
    local p
    for p in $(pgrep -P "$1"); do
        [ "$(awk '/^NSpid:/ { print $NF }' "/proc/$p/status" 2>/dev/null)" = 1 ] && { echo "$p"; return 0; }
        ns_init_of "$p" && return 0
    done
    return 1
}
comm_is() { [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]; }
count_files() { find "$T" -maxdepth 1 -name "$1" | wc -l; }
files_are() { [ "$(count_files "$1")" -eq "$2" ]; }

@test "as pid 1: waits for every orphan, even ones that exit later, then execs prog" {
    # shellcheck disable=SC2016
    in_ns_sh '
        for i in 1 2 3; do
            # The subshell exits at once: its background child is an orphan of pid 1.
            ( sh -c "touch \"\$0/started.\$1\"; until [ -e \"\$0/go\" ]; do sleep 0.02; done
                     touch \"\$0/done.\$1\"" "$1" "$i" & )
        done
        exec reap-all sh -c "ls \"\$0\" | grep -c ^done > \"\$0/prog.saw\"; echo ran" "$1"' \
        "$T" >"$T/out" 2>"$T/err" &
    local ns=$!
    track_pid "$ns"
    wait_for 10 files_are 'started.*' 3
    local init
    wait_for 10 ns_init_of "$ns" >/dev/null
    init=$(ns_init_of "$ns")
    track_pid "$init"
    wait_for 10 comm_is "$init" reap-all
    # The orphans are still there, so prog has not run.
    [ ! -e "$T/prog.saw" ]
    [ "$(count_files 'done.*')" -eq 0 ]
    touch "$T/go"
    wait "$ns"
    [ "$(cat "$T/prog.saw")" = 3 ]
    [ "$(cat "$T/out")" = ran ]
    [ ! -s "$T/err" ]
}

@test "-t: gives up after timeout_ms with a warning and execs prog anyway" {
    run --separate-stderr in_ns_sh '( sleep 1000 & ); exec reap-all -t 300 sh -c "echo ran"'
    [ "$status" -eq 0 ]
    [ "$output" = ran ]
    [ "$stderr" = "reap-all: warning: timed out waiting for children to exit" ]
}

@test "-t: children that exit in time mean no warning" {
    run --separate-stderr in_ns_sh '( sleep 0.2 & ); exec reap-all -t 30000 sh -c "echo ran"'
    [ "$status" -eq 0 ]
    [ "$output" = ran ]
    [ -z "$stderr" ]
}

@test "as an ordinary process: waits for its own children first" {
    # shellcheck disable=SC2016
    run --separate-stderr sh -c '
        (sleep 0.3; touch "$0/child.done") &
        (sleep 0.1; exit 3) &
        exec reap-all sh -c "test -e \"\$0/child.done\" && echo after" "$0"' "$T"
    [ "$status" -eq 0 ]
    [ "$output" = after ]
    [ -z "$stderr" ]
}

@test "no child at all: execs at once; prog gets the signal mask and SIGCHLD as given" {
    run reap-all sh -c 'grep -E "^Sig(Blk|Ign)" /proc/self/status'
    [ "$status" -eq 0 ]
    blk=$(grep SigBlk <<<"$output")
    [ "$blk" = "SigBlk:	0000000000000000" ]
    # SIGCHLD ignored on entry (bit 17 = 0x10000) stays ignored for prog.
    run perl -e '$SIG{CHLD} = "IGNORE"; exec @ARGV' reap-all grep SigIgn /proc/self/status
    [ "$status" -eq 0 ]
    (( 0x${output##*:	} & 0x10000 ))
}

@test "options after prog are prog's; exec failures are 127 and 126" {
    run reap-all echo -t 5
    [ "$output" = "-t 5" ]
    expect_fail 127 "reap-all: fatal: unable to exec $T/nope: No such file or directory" \
        reap-all "$T/nope"
    touch "$T/noexec"
    expect_fail 126 "reap-all: fatal: unable to exec $T/noexec: Permission denied" \
        reap-all "$T/noexec"
}

@test "bad options: 100 and the usage line" {
    expect_usage reap-all
    expect_usage reap-all -t 5
    expect_usage reap-all -t abc true
    expect_usage reap-all -t -1 true
    expect_usage reap-all -x true
    expect_usage reap-all -t
}
