#!/usr/bin/env bats
# Fault injection: fork and descriptor exhaustion (RLIMIT_NPROC, RLIMIT_NOFILE). The programs
# warn, keep running without spinning, and recover once the limit is raised at run time.
# RLIMIT_NPROC does not bind root, so those tests run supervise and svscan under a uid of
# their own (FAULT_UID); only soft limits change: this host's root has no CAP_SYS_RESOURCE,
# and prlimit --pid on another uid's process must come from that uid.

load helper

as_fault() { applyuidgid -u "$FAULT_UID" -g "$FAULT_UID" -G "" "$@"; }

# raise_nproc PID: lifts PID's soft RLIMIT_NPROC, from its own uid.
raise_nproc() { as_fault prlimit --pid "$1" --nproc=1000:; }

@test "fork failure: supervise under RLIMIT_NPROC warns once, does not spin, starts when the limit is raised" {
    need_root
    need_cmd prlimit
    make_service "$T/s" 'echo started >> started; exec sleep 100000'
    chown -R "$FAULT_UID:$FAULT_UID" "$T/s"
    # Soft limit 1: the supervisor is its uid's one process, every fork fails with EAGAIN.
    fault_bg "$T/s" prlimit --nproc=1: applyuidgid -u "$FAULT_UID" -g "$FAULT_UID" -G "" \
        supervise "$T/s"
    local pid
    pid=$(cat "$T/s.pid")
    wait_for 5 grep -qF 'supervise '"$T/s"': warning: unable to spawn ./run (waiting 60 seconds): Resource temporarily unavailable' "$T/s.log"
    # A bounded rate: over the next 2 seconds, no second attempt and next to no CPU time.
    local t0
    t0=$(fault_cpu_ticks "$pid")
    sleep 2
    [ "$(fault_warnings "$T/s.log" 'unable to spawn')" = 1 ]
    [ $(( $(fault_cpu_ticks "$pid") - t0 )) -lt 20 ]
    kill -0 "$pid"
    [ ! -e "$T/s/started" ]
    [ "$(status_size "$T/s")" = 35 ]
    [ "$(svstat -o up,wantedup "$T/s")" = "false true" ]
    # Raised at run time: the next attempt (60 s later, or now on svc -u) starts the service.
    raise_nproc "$pid"
    svc -u "$T/s"
    wait_for 5 is_up "$T/s"
    [ "$(cat "$T/s/started")" = started ]
    [ "$(status_size "$T/s")" = 35 ]
    # And it is supervised as ever: a kill is followed by a restart.
    local first
    first=$(up_pid "$T/s")
    svc -k "$T/s"
    restarted() { local p; p=$(up_pid "$T/s") && [ "$p" != "$first" ]; }
    wait_for 5 restarted
    svc -dx "$T/s"
    wait_for 5 gone "$pid"
}

@test "fork failure: svscan under RLIMIT_NPROC warns, retries every 10 s, starts supervise when raised" {
    need_root
    need_cmd prlimit
    mkdir -p "$T/scan"
    make_service "$T/scan/a" 'exec sleep 100000'
    chown -R "$FAULT_UID:$FAULT_UID" "$T/scan"
    fault_bg "$T/scan" prlimit --nproc=1: applyuidgid -u "$FAULT_UID" -g "$FAULT_UID" -G "" \
        svscan "$T/scan"
    local pid
    pid=$(cat "$T/scan.pid")
    wait_for 5 grep -qF "svscan: warning: unable to spawn $KEEL_BIN/supervise for a (waiting 10 seconds): Resource temporarily unavailable" "$T/scan.log"
    local t0
    t0=$(fault_cpu_ticks "$pid")
    sleep 2
    [ "$(fault_warnings "$T/scan.log" 'unable to spawn')" = 1 ]
    [ $(( $(fault_cpu_ticks "$pid") - t0 )) -lt 20 ]
    kill -0 "$pid"
    ! supervised "$T/scan/a"
    # Raised: the retry (10 s after the failure) starts the supervisor without being asked.
    raise_nproc "$pid"
    wait_for 15 supervised "$T/scan/a"
    wait_for 5 is_up "$T/scan/a"
    [ "$(fault_warnings "$T/scan.log" 'unable to spawn')" = 1 ]
    timeout 2 svscanctl -t "$T/scan"
    wait_for 10 gone "$pid"
}
