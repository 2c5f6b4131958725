#!/usr/bin/env bats
# kill-all: kill(-1) rounds. Every run, bad options included, happens inside a child PID
# namespace (tests/final.bash): on the host it would kill the machine.

load helper
load final

@test "refuses to run anything outside a child PID namespace (the test guard)" {
    # The guard itself: a PID namespace shared with the host is refused before the script.
    run timeout 10 unshare --mount sh -c '
        [ "$(readlink /proc/self/ns/pid)" != "$0" ] || { echo refused; exit 90; }
        echo ran' "$HOST_PIDNS"
    [ "$status" -eq 90 ]
    [ "$output" = refused ]
}

@test "spares pid 1 and itself, TERMs the rest, exits 0" {
    run --separate-stderr in_ns_sh '
        sleep 1000 & a=$!
        sh -c "sleep 1000; echo not-killed" & b=$!
        # Both must run their own programs first: a child still between fork and exec may
        # have its signals blocked by the shell, and with no grace KILL then gets there first.
        word() { tr "\0" "\n" < "/proc/$1/cmdline" 2>/dev/null | sed -n "$2p"; }
        poll 10 "[ \"\$(word $a 1)\" = sleep ] && [ \"\$(word $b 3)\" = \"sleep 1000; echo not-killed\" ]"
        kill-all -t 0; echo "kill-all $?"
        wait $a; echo "a $?"
        wait $b; echo "b $?"
        echo "pid 1 $$ alive"'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "kill-all 0" ]
    [ "${lines[1]}" = "a 143" ]
    [ "${lines[2]}" = "b 143" ]
    [ "${lines[3]}" = "pid 1 1 alive" ]
}

@test "a TERM-ignoring process lives through the grace time, then is KILLed" {
    run --separate-stderr in_ns_sh '
        sh -c "trap \"\" TERM; exec sleep 1000" & ig=$!
        sleep 1000 & plain=$!
        poll 5 "grep -q \"^SigIgn:.*[4-7c-f]...\$\" /proc/$ig/status"
        t0=$(date +%s%N)
        kill-all -t 2500 & ka=$!
        wait $plain; echo "plain $?"
        during=$(ms_since $t0)
        state=$(sed -n "s/^State:[[:space:]]*\(.\).*/\1/p" /proc/$ig/status)
        echo "ignorer ${state:-gone} after $during ms"
        wait $ka; echo "kill-all $?"
        echo "kill-all took $(ms_since $t0) ms"
        wait $ig; echo "ignorer $?"'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "plain 143" ]
    # Alive (sleeping) when the TERM round is over; a check that came late on a busy machine
    # cannot tell, but a KILL before the grace time is over always fails here.
    read -r _ state _ during _ <<<"${lines[1]}"
    [ "$state" = S ] || [ "$during" -ge 2500 ]
    [ "${lines[2]}" = "kill-all 0" ]
    read -r _ _ took _ <<<"${lines[3]}"
    [ "$took" -ge 2500 ]
    [ "${lines[4]}" = "ignorer 137" ]
}

@test "the shielded signals (HUP INT TERM QUIT PIPE TSTP) and STOP/CONT leave the rounds whole" {
    run --separate-stderr in_ns_sh '
        sh -c "trap \"\" TERM; exec sleep 1000" & ig=$!
        sleep 1000 & plain=$!
        poll 5 "grep -q \"^SigIgn:.*[4-7c-f]...\$\" /proc/$ig/status"
        t0=$(date +%s%N)
        kill-all -t 1500 & ka=$!
        wait $plain
        for s in HUP INT TERM QUIT PIPE CHLD WINCH CONT STOP CONT TSTP CONT; do
            kill -$s $ka
        done
        wait $ka; echo "kill-all $?"
        echo "took $(ms_since $t0)"
        wait $ig; echo "ignorer $?"'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "kill-all 0" ]
    read -r _ took <<<"${lines[1]}"
    [ "$took" -ge 1500 ]
    [ "${lines[2]}" = "ignorer 137" ]
}

@test "a stopped process gets TERM then CONT, and dies of the TERM" {
    run --separate-stderr in_ns_sh '
        sleep 1000 & p=$!
        kill -STOP $p
        poll 5 "grep -q \"^State:.*T\" /proc/$p/status"
        kill-all -t 5000 & ka=$!
        wait $p; echo "stopped $?"
        wait $ka; echo "kill-all $?"'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "stopped 143" ]
    [ "${lines[1]}" = "kill-all 0" ]
}

@test "-k sends KILL only, at once: no TERM, no grace" {
    run --separate-stderr in_ns_sh '
        sleep 1000 & p=$!
        kill -STOP $p
        sh -c "trap \"\" TERM; exec sleep 1000" & ig=$!
        poll 5 "grep -q \"^SigIgn:.*[4-7c-f]...\$\" /proc/$ig/status"
        t0=$(date +%s%N)
        kill-all -k -t 100000; echo "kill-all $?"
        wait $p; echo "stopped $?"
        wait $ig; echo "ignorer $?"
        echo "took $(ms_since $t0)"'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "kill-all 0" ]
    # A stopped process hit by TERM+CONT would die of TERM (143); KILL alone gives 137.
    [ "${lines[1]}" = "stopped 137" ]
    [ "${lines[2]}" = "ignorer 137" ]
    read -r _ took <<<"${lines[3]}"
    [ "$took" -lt 100000 ]
}

@test "-s (sync before each round) kills the same way" {
    run --separate-stderr in_ns_sh '
        sh -c "trap \"\" TERM; exec sleep 1000" & ig=$!
        sleep 1000 & plain=$!
        poll 5 "grep -q \"^SigIgn:.*[4-7c-f]...\$\" /proc/$ig/status"
        kill-all -s -t 200; echo "kill-all $?"
        wait $plain; echo "plain $?"
        wait $ig; echo "ignorer $?"
        kill-all -sk; echo "kill-all -sk $?"'
    [ "$status" -eq 0 ]
    [ "$output" = "kill-all 0
plain 143
ignorer 137
kill-all -sk 0" ]
}

@test "nothing left to kill is not an error" {
    run in_ns kill-all -t 0
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    run in_ns kill-all -k
    [ "$status" -eq 0 ]
}

@test "bad options: 100 and the usage line, nothing killed" {
    for args in "-t abc" "-t -1" "-t 4294967296" "-t 1.5" "-x" "-k extra" "-t"; do
        # shellcheck disable=SC2086
        expect_fail 100 "kill-all: usage: $(usage_of kill-all)" in_ns kill-all $args
    done
    expect_fail 100 "kill-all: usage: $(usage_of kill-all)" in_ns kill-all -t ""
    # A usage error happens before any round: a sibling is still alive afterwards.
    run --separate-stderr in_ns_sh 'sleep 1000 & p=$!; kill-all -t nope 2>/dev/null; echo "$?"; kill -0 $p && echo alive'
    [ "$output" = "100
alive" ]
}
