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

# fds_of PID: how many descriptors PID has open.
fds_of() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }

@test "fd exhaustion: svscan under RLIMIT_NOFILE supervises what fits, warns, and takes the rest once raised" {
    need_root
    need_cmd prlimit
    local i
    for i in 1 2 3 4 5 6; do
        make_service "$T/scan/s$i" 'exec sleep 100000'
        make_service "$T/scan/s$i/log" 'exec cat'
    done
    # 0-2, the lock, the control FIFO twice and the signalfd: 7; the other 5 hold 2 pipes.
    fault_bg "$T/scan" prlimit --nofile=12: svscan "$T/scan"
    local pid
    pid=$(cat "$T/scan.pid")
    wait_for 5 grep -qF 'svscan: warning: unable to create a pipe for s' "$T/scan.log"
    grep -F 'unable to create a pipe for' "$T/scan.log" | grep -qF ': Too many open files'
    count() { local n=0 i; for i in 1 2 3 4 5 6; do supervised "$T/scan/s$i/log" && n=$((n + 1)); done; echo "$n"; }
    wait_for 5 sh -c '[ "$(ls "$1"/s*/log/supervise/status 2>/dev/null | wc -l)" -ge 1 ]' sh "$T/scan"
    local some
    some=$(count)
    [ "$some" -ge 1 ] && [ "$some" -lt 6 ]
    # Retries every 3 s, not a loop: a few warnings a second at most, little CPU.
    local w0 t0
    w0=$(fault_warnings "$T/scan.log" 'unable to create a pipe')
    t0=$(fault_cpu_ticks "$pid")
    sleep 2
    [ $(( $(fault_warnings "$T/scan.log" 'unable to create a pipe') - w0 )) -le $(( 2 * (6 - some) )) ]
    [ $(( $(fault_cpu_ticks "$pid") - t0 )) -lt 20 ]
    kill -0 "$pid"
    # Raised at run time: the next scan starts the rest, and the first ones were kept.
    prlimit --pid "$pid" --nofile=1024:
    all() { [ "$(count)" = 6 ]; }
    wait_for 10 all
    for i in 1 2 3 4 5 6; do wait_for 5 is_up "$T/scan/s$i"; wait_for 5 is_up "$T/scan/s$i/log"; done
    timeout 2 svscanctl -t "$T/scan"
    wait_for 10 gone "$pid"
}

@test "fd exhaustion: supervise out of descriptors says what failed, keeps the service restarting, writes status again when raised" {
    need_root
    need_cmd prlimit
    need_cmd perl
    # A run that needs no descriptor of its own (sh moves its script to fd 10 and up).
    mkdir -p "$T/s"
    printf '#!/usr/bin/perl\nsleep 100000;\n' > "$T/s/run"
    chmod 755 "$T/s/run"
    fault_bg "$T/s" supervise "$T/s"
    local pid first
    pid=$(cat "$T/s.pid")
    wait_for 5 is_up "$T/s"
    first=$(up_pid "$T/s")
    # Down to the descriptors it holds: every open from now on fails with EMFILE.
    prlimit --pid "$pid" --nofile="$(fds_of "$pid")":
    svc -k "$T/s"
    restarted() { local c; c=$(fault_children "$pid") && [ -n "$c" ] && [ "$c" != "$first" ]; }
    wait_for 5 restarted
    wait_for 5 grep -qF "supervise $T/s: warning: unable to write status file: Too many open files" "$T/s.log"
    grep -qF "supervise $T/s: warning: unable to write supervise/death_tally: Too many open files" "$T/s.log"
    # The status file is the old one, whole.
    [ "$(status_size "$T/s")" = 35 ]
    [ "$(st_pid "$T/s")" = "$first" ]
    svstat "$T/s"
    # Control still works: a second kill, a second restart.
    local second
    second=$(fault_children "$pid")
    svc -k "$T/s"
    restarted2() { local c; c=$(fault_children "$pid") && [ -n "$c" ] && [ "$c" != "$second" ]; }
    wait_for 5 restarted2
    kill -0 "$pid"
    # Raised: the next event writes the status, with the service's real pid.
    prlimit --pid "$pid" --nofile=1024:
    local third
    third=$(fault_children "$pid")
    svc -k "$T/s"
    current() { local p c; p=$(up_pid "$T/s") && c=$(fault_children "$pid") && [ "$p" = "$c" ] && [ "$p" != "$third" ]; }
    wait_for 5 current
    [ "$(status_size "$T/s")" = 35 ]
    svc -dx "$T/s"
    wait_for 5 gone "$pid"
}
