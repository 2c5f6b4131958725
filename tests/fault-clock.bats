#!/usr/bin/env bats
# Fault injection: clock jumps. supervise's restart throttle (1 s between starts) and the
# waiting tools' timeouts follow CLOCK_MONOTONIC, so a wall clock that jumps an hour back or
# forward (tests/shim/clockjump.cc, LD_PRELOAD) changes nothing, and neither does a monotonic
# clock that is huge or near 0 (a time namespace: unshare --time).

load helper

SHIM=$KEEL_ROOT/build/test/clockjump.so

need_shim() {
    build_is STATIC && skip "static build: LD_PRELOAD does not reach static programs"
    build_is SANITIZE && skip "sanitizer build: its runtime must come first in LD_PRELOAD"
    [ -f "$SHIM" ] || skip "$SHIM not built (make check builds it)"
}

# starts_in DIR SECONDS: how many times DIR's run started during the next SECONDS.
starts_in() {
    local before
    before=$(wc -l < "$1/starts")
    sleep "$2"
    echo $(( $(wc -l < "$1/starts") - before ))
}

# A crash loop: ~1 start a second (throttled), 3 s windows: 2 to 5 starts, whatever the clock.
rate_ok() { [ "$1" -ge 2 ] && [ "$1" -le 5 ] || { echo "starts in 3 s: $1" >&2; return 1; }; }

crash_loop() { make_service "$1" 'echo x >> starts; exit 1'; : > "$1/starts"; }

@test "clock jumps: supervise's restart throttle ignores the wall clock jumping 1 h back and forward" {
    need_shim
    crash_loop "$T/s"
    echo 0 > "$T/offset"
    KEEL_CLOCK_OFFSET=$T/offset LD_PRELOAD=$SHIM fault_bg "$T/s" supervise "$T/s"
    local pid
    pid=$(cat "$T/s.pid")
    wait_for 5 grep -q x "$T/s/starts"
    grep -qF clockjump.so "/proc/$pid/maps"
    rate_ok "$(starts_in "$T/s" 3)"
    echo -3600 > "$T/offset"
    rate_ok "$(starts_in "$T/s" 3)"
    # The shim is in force: the status stamp is an hour behind (TAI64 label: 2^62 + 37 + unix).
    local stamp
    stamp=$(od -An -tu8 -N8 --endian=big "$T/s/supervise/status" | tr -d ' ')
    local behind=$(( $(date +%s) + 37 + (1 << 62) - stamp ))
    [ "$behind" -ge 3590 ] && [ "$behind" -le 3610 ]
    echo 3600 > "$T/offset"
    rate_ok "$(starts_in "$T/s" 3)"
    kill -0 "$pid"
    svc -dx "$T/s"
    wait_for 5 gone "$pid"
}

@test "clock jumps: svwait -t and svc -wU -T time out after their time, the wall clock jumping meanwhile" {
    need_shim
    # Never ready: it has a notification-fd but never writes to it.
    make_service "$T/s"
    echo 3 > "$T/s/notification-fd"
    touch "$T/s/down"
    start_sv "$T/s"
    echo 3600 > "$T/offset"
    local t0 t1
    t0=$(now_ms)
    KEEL_CLOCK_OFFSET=$T/offset LD_PRELOAD=$SHIM bg w svwait -U -t 2000 "$T/s"
    sleep 0.5
    echo -3600 > "$T/offset"
    bg_wait w
    t1=$(now_ms)
    [ "$bg_status" = 99 ]
    [ $((t1 - t0)) -ge 1900 ] && [ $((t1 - t0)) -le 5000 ]
    echo -3600 > "$T/offset"
    t0=$(now_ms)
    KEEL_CLOCK_OFFSET=$T/offset LD_PRELOAD=$SHIM bg c svc -wU -T 1500 -u "$T/s"
    sleep 0.3
    echo 3600 > "$T/offset"
    bg_wait c
    t1=$(now_ms)
    [ "$bg_status" = 99 ]
    [ $((t1 - t0)) -ge 1400 ] && [ $((t1 - t0)) -le 5000 ]
    stop_sv "$T/s"
}

@test "time namespace: supervise's throttle is the same with a monotonic clock 10 years on and near 0" {
    need_root
    need_cmd unshare
    unshare --time true 2>/dev/null || skip "no time namespaces here"
    crash_loop "$T/a"
    fault_bg "$T/a" unshare --time --monotonic 315360000 --boottime 315360000 supervise "$T/a"
    wait_for 5 grep -q x "$T/a/starts"
    rate_ok "$(starts_in "$T/a" 3)"
    crash_loop "$T/b"
    local up
    up=$(cut -d. -f1 /proc/uptime)
    fault_bg "$T/b" unshare --time --monotonic "-$((up - 1))" --boottime "-$((up - 1))" supervise "$T/b"
    wait_for 5 grep -q x "$T/b/starts"
    rate_ok "$(starts_in "$T/b" 3)"
    svc -dx "$T/a" "$T/b"
    wait_for 5 gone "$(cat "$T/a.pid")"
    wait_for 5 gone "$(cat "$T/b.pid")"
}
