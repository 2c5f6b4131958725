#!/usr/bin/env bats
# Fault injection: a logger that stops. svscan joins a service and its log/ (svlog -b) with a
# pipe it keeps; a SIGSTOPped svlog blocks the producer (nothing dropped), and a restarted
# svlog takes over the same pipe: every line reaches the logdir once, in order.

load helper

# A producer that writes lines FROM to TO (files of its dir) when DIR/go exists, once.
producer() {
    make_service "$1" 'if [ -e go ]; then rm go; seq -f "line %06g" "$(cat from)" "$(cat to)"; fi
exec sleep 100000'
    make_service "$1/log" 'exec svlog -b -- n100 s1000000 ./main'
}

# seq_running: the producer's seq runs (a child of its run script).
seq_running() { pgrep -x seq -P "$(up_pid "$T/scan/p")" >/dev/null 2>&1; }

# produce DIR FROM TO: restarts the producer so that it writes FROM..TO.
produce() {
    echo "$2" > "$1/from"
    echo "$3" > "$1/to"
    touch "$1/go"
    svc -t "$1"
}

logged() { grep -q "^line $(printf %06d "$2")\$" "$1/log/main/current" 2>/dev/null; }

@test "SIGSTOPped logger: the producer blocks, nothing is lost; after SIGCONT every line is logged once, in order" {
    need_cmd seq
    producer "$T/scan/p"
    start_scan "$T/scan"
    wait_for 5 is_up "$T/scan/p"
    wait_for 5 is_up "$T/scan/p/log"
    local logger
    logger=$(up_pid "$T/scan/p/log")
    kill -STOP "$logger"
    produce "$T/scan/p" 1 100000
    # seq is blocked on the full pipe: it stays there, and nothing reaches the logdir.
    wait_for 5 seq_running
    sleep 1
    seq_running
    ! logged "$T/scan/p" 100000
    kill -CONT "$logger"
    wait_for 20 logged "$T/scan/p" 100000
    seq -f 'line %06g' 1 100000 > "$T/expected"
    fault_lines "$T/scan/p/log/main" > "$T/got"
    fault_same "$T/got" "$T/expected"
    stop_scan "$T/scan"
}

@test "restarted logger: svscan keeps the pipe, the next svlog goes on where the last stopped, no line lost or doubled" {
    need_cmd seq
    producer "$T/scan/p"
    start_scan "$T/scan"
    wait_for 5 is_up "$T/scan/p"
    wait_for 5 is_up "$T/scan/p/log"
    # The first restart surely mid-stream: the logger stopped, the producer blocked.
    kill -STOP "$(up_pid "$T/scan/p/log")"
    produce "$T/scan/p" 1 300000
    wait_for 5 seq_running
    # Restart the logger (SIGTERM: it ends its line and exits) three times.
    local i old
    for i in 1 2 3; do
        old=$(up_pid "$T/scan/p/log")
        svc -t "$T/scan/p/log"
        # Only the first one is stopped; a running one may be gone already when CONT comes.
        kill -CONT "$old" 2>/dev/null || gone "$old"
        newer() { local p; p=$(up_pid "$T/scan/p/log") && [ "$p" != "$old" ]; }
        wait_for 5 newer
    done
    wait_for 30 logged "$T/scan/p" 300000
    seq -f 'line %06g' 1 300000 > "$T/expected"
    fault_lines "$T/scan/p/log/main" > "$T/got"
    fault_same "$T/got" "$T/expected"
    stop_scan "$T/scan"
}
