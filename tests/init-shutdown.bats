#!/usr/bin/env bats
# init-shutdown: every TIME form and action as the 17 bytes it writes to shutdownd's FIFO, the
# wall messages, -t, -c, -a (/etc/shutdown.allow and utmp) and -i, and every error. All of it
# runs in a private mount namespace with a fresh /run (in_ns, tests/hpr.bash).

load helper
load hpr

setup() {
    keel_setup
    export TZ=UTC
}

# --- usage and TIME --------------------------------------------------------------------------

@test "init-shutdown: usage errors" {
    expect_usage init-shutdown
    expect_usage init-shutdown -r
    expect_usage init-shutdown -x now
    expect_usage init-shutdown -t
    expect_usage init-shutdown -t x now
    expect_usage init-shutdown -t -1 now
    expect_usage init-shutdown -H now
    expect_usage init-shutdown -P -r now
    expect_usage init-shutdown -p -H now
}

@test "init-shutdown: invalid TIME: 100, before anything else" {
    for t in 24:00 12:60 123:00 1:5 1:005 :30 12: 1x:00 12:3x abc + +x 5m +-5 '' ' 5' \
        99999999999999999999 76861433640456465 8:-2 -1:30 -0:05; do
        expect_fail 100 "init-shutdown: fatal: invalid time format" init-shutdown -r -- "$t"
    done
}

# --- the order -------------------------------------------------------------------------------

@test "init-shutdown: the action byte: -h -hH -hP -p -r, none = S; -f -F ignored" {
    need_root
    run in_ns '
        listen
        for o in -h -hH -Hh -hP -Ph -p -r "" -fr -Fp; do
            init-shutdown $o now; echo "rc=$?"
        done
        fifo_hex
    '
    [ "$status" = 0 ]
    hex=
    for w in h h h p p p r S r p; do hex=$hex$(order_hex $w 0 0 0); done
    [ "$output" = "$(printf 'rc=0\n%.0s' {1..10})
$hex" ]
}

@test "init-shutdown: +M and M minutes: a relative delay of M*60 s, no TAI epoch" {
    need_root
    run in_ns '
        listen
        init-shutdown -r +5 && init-shutdown -p 5 && init-shutdown -h +0 && init-shutdown 1501
        init-shutdown -r +0005
        fifo_hex
    '
    [ "$status" = 0 ]
    [ "$output" = "$(order_hex r 300 0 0)$(order_hex p 300 0 0)$(order_hex h 0 0 0)$(order_hex S 90060 0 0)$(order_hex r 300 0 0)" ]
    [ "$(order_hex r 300 0 0)" = 72000000000000012c0000000000000000 ]
}

# delay_of HEX: the delay in the order, in whole seconds.
delay_of() { echo $(( 16#${1:2:16} )); }
nano_of() { echo $(( 16#${1:18:8} )); }

@test "init-shutdown hh:mm: the delay to that local time today, or tomorrow once past" {
    need_root
    # (UTC: no daylight saving time change in the way)
    ahead=$(date -d '+3 min' +%H:%M)
    behind=$(date -d '-2 min' +%H:%M)
    e_ahead=$(date -d "$(date -d '+3 min' '+%F %H:%M'):00" +%s)
    e_behind=$(( $(date -d "$(date -d '-2 min' '+%F %H:%M'):00" +%s) + 86400 ))
    t0=$(date +%s)
    run in_ns "
        listen
        init-shutdown -r $ahead && fifo_hex
        init-shutdown -r $behind && fifo_hex
        init-shutdown -r ${ahead#0} && fifo_hex
    "
    t1=$(date +%s)
    [ "$status" = 0 ]
    lines=($output)
    [ "${#lines[@]}" = 3 ]
    for i in 0 1 2; do
        e=$e_ahead; [ "$i" = 1 ] && e=$e_behind
        d=$(delay_of "${lines[$i]}")
        n=$(nano_of "${lines[$i]}")
        echo "order ${lines[$i]}: delay $d.$n, expected in [$((e - t1 - 1)), $((e - t0))]"
        [ "${lines[$i]:0:2}" = 72 ] && [ "${lines[$i]:26:8}" = 00000000 ]
        [ "$d" -ge $((e - t1 - 1)) ] && [ "$d" -le $((e - t0)) ] && [ "$n" -lt 1000000000 ]
    done
}

@test "init-shutdown -t: grace in ms, capped to 300 s with a warning" {
    need_root
    run in_ns '
        listen
        init-shutdown -t 5 -r now 2>&1
        init-shutdown -t300 -h +1 2>&1
        init-shutdown -t 301 -p now 2>&1
        init-shutdown -t 4294967296 now 2>&1
        init-shutdown -k -t 999 now 2>&1
        fifo_hex
    '
    [ "$status" = 0 ]
    [ "$output" = "init-shutdown: warning: delay between SIGTERM and SIGKILL is capped to 300 seconds
init-shutdown: warning: delay between SIGTERM and SIGKILL is capped to 300 seconds
$(order_hex r 0 0 5000)$(order_hex h 60 0 300000)$(order_hex p 0 0 300000)$(order_hex S 0 0 300000)" ]
    [ "$(order_hex r 0 0 5000)" = 72000000000000000000000000"00001388" ]
}

@test "init-shutdown -c: the cancel byte, with an optional wall message" {
    need_root
    run in_ns '
        listen
        init-shutdown -c; echo "rc=$?"
        python3 "$T/pty.py" "$T/wall" -- init-shutdown -r -c "never mind" ignored; echo "rc=$?"
        python3 "$T/pty.py" "$T/none" -- init-shutdown -c; echo "rc=$?"
        fifo_hex
    '
    [ "$status" = 0 ]
    [ "$output" = "rc=0
rc=0
rc=0
636363" ]
    [ "$(cat "$T/wall")" = "never mind" ]
    [ "$(od -An -c "$T/wall" | tr -d ' ')" = 'nevermind\n' ]
    [ ! -s "$T/none" ]
}

# --- wall ------------------------------------------------------------------------------------

@test "init-shutdown: the wall message: NOW, the delay without zero units, or MESSAGE" {
    need_root
    run in_ns '
        listen
        i=0
        for t in now +0 +1 +90 +1501 +1440 +10080; do
            python3 "$T/pty.py" "$T/wall$i" -- init-shutdown -k $t || echo "failed: $t"
            i=$((i + 1))
        done
        python3 "$T/pty.py" "$T/msg" -- init-shutdown -r +5 "going down for a kernel update" || echo failed
        echo "fifo=$(fifo_hex)"
    '
    [ "$status" = 0 ]
    [ "$output" = "fifo=$(order_hex r 300 0 0)" ]
    banner() { printf '\n\n*** WARNING ***\nThe system is going down %s!\n\n' "$1"; }
    i=0
    for want in NOW NOW "1 minutes" "1 hours 30 minutes" "1 days 1 hours 1 minutes" "1 days" \
        "7 days"; do
        [ "$(od -An -c "$T/wall$i")" = "$(banner "$want" | od -An -c)" ] || { echo "wall$i: $(cat "$T/wall$i")"; false; }
        i=$((i + 1))
    done
    [ "$(od -An -c "$T/msg")" = "$(printf 'going down for a kernel update\n' | od -An -c)" ]
}

@test "init-shutdown: the wall reaches every logged-in terminal, and only terminals" {
    need_root
    run in_ns '
        listen
        user ghost no-such-tty
        user evil ../etc/passwd
        user evil2 /etc/hostname
        user plain null
        python3 "$T/pty.py" --user alice "$T/wall" -- init-shutdown -r now "bye"; echo "rc=$?"
        echo "fifo=$(fifo_hex)"
        cat /etc/hostname
    '
    [ "$status" = 0 ]
    [ "${lines[0]}" = "rc=0" ]
    [ "${lines[1]}" = "fifo=$(order_hex r 0 0 0)" ]
    [ "${lines[2]}" = "$(cat /etc/hostname)" ]
    [ "$(cat "$T/wall")" = bye ]
}

# --- errors ----------------------------------------------------------------------------------

@test "init-shutdown: no shutdownd: 111; a reader gone before the write: 111" {
    need_root
    run in_ns '
        init-shutdown -r now 2>&1; echo "rc=$?"
        init-shutdown -c 2>&1; echo "rc=$?"
        rm /run/service/s6-linux-init-shutdownd/fifo
        init-shutdown -k now 2>&1; echo "rc=$?"
    '
    [ "$status" = 0 ]
    [ "$output" = "init-shutdown: fatal: unable to talk to shutdownd: No such device or address
rc=111
init-shutdown: fatal: unable to talk to shutdownd: No such device or address
rc=111
init-shutdown: fatal: unable to talk to shutdownd: No such file or directory
rc=111" ]
    # The probe opens the FIFO; -i then waits for an answer, while the only reader goes away.
    run in_ns '
        sleep 100000 3<>/run/service/s6-linux-init-shutdownd/fifo &
        reader=$!
        until ls -l /proc/$reader/fd 2>/dev/null | grep -q fifo; do sleep 0.02; done
        python3 "$T/pty.py" --answer keel-test --before-answer "kill $reader; while kill -0 $reader; do sleep 0.02; done 2>/dev/null" \
            "$T/tty" -- init-shutdown -i -r now 2>&1
        echo "rc=$?"
    '
    [ "$status" = 0 ]
    [ "$output" = "init-shutdown: fatal: unable to write to /run/service/s6-linux-init-shutdownd/fifo: Broken pipe
rc=111" ]
}

# --- -a and -i -------------------------------------------------------------------------------

@test "init-shutdown -a: a user of /etc/shutdown.allow must be logged in; no file: anyone" {
    need_root
    run in_ns '
        listen
        user carol pts/90
        init-shutdown -a -r now 2>&1; echo "rc=$?"
        printf "# who may shut down\n\n#carol\nalice\n  bob\nbob\n" > /etc/shutdown.allow
        init-shutdown -a -r now 2>&1; echo "rc=$?"
        init-shutdown -a -c 2>&1; echo "rc=$?"
        init-shutdown -r now; echo "rc=$?"
        user bob pts/91
        init-shutdown -a -p now 2>&1; echo "rc=$?"
        : > /etc/shutdown.allow
        init-shutdown -a -h now 2>&1; echo "rc=$?"
        fifo_hex
    '
    [ "$status" = 0 ]
    [ "$output" = "rc=0
init-shutdown: fatal: no authorized users logged in
rc=1
init-shutdown: fatal: no authorized users logged in
rc=1
rc=0
rc=0
init-shutdown: fatal: no authorized users logged in
rc=1
$(order_hex r 0 0 0)$(order_hex r 0 0 0)$(order_hex p 0 0 0)" ]
}

@test "init-shutdown -a: at most 4095 bytes and 64 users" {
    need_root
    run in_ns '
        listen
        user u64 pts/90
        { for i in $(seq 1 64); do echo "u$i"; done; echo u65; } > /etc/shutdown.allow
        init-shutdown -a -r now 2>&1; echo "rc=$?"
        : > /run/utmp
        user u65 pts/90
        init-shutdown -a -r now 2>&1; echo "rc=$?"
        { head -c 4091 /dev/zero | tr "\0" "#"; printf "\nu65"; } > /etc/shutdown.allow
        init-shutdown -a -p now 2>&1; echo "rc=$?"
        echo >> /etc/shutdown.allow
        init-shutdown -a -h now 2>&1; echo "rc=$?"
        fifo_hex
    '
    [ "$status" = 0 ]
    [ "$output" = "init-shutdown: warning: /etc/shutdown.allow lists more than 64 authorized users - ignoring the extra ones
rc=0
init-shutdown: warning: /etc/shutdown.allow lists more than 64 authorized users - ignoring the extra ones
init-shutdown: fatal: no authorized users logged in
rc=1
rc=0
init-shutdown: fatal: /etc/shutdown.allow is too big: it needs to be 4095 bytes or less
rc=1
$(order_hex r 0 0 0)$(order_hex p 0 0 0)" ]
}

@test "init-shutdown -i: hostname confirmation after the probe" {
    need_root
    run in_ns '
        init-shutdown -i -r now </dev/null 2>&1; echo "rc=$?"
        listen
        init-shutdown -i -r now </dev/null 2>&1; echo "rc=$?"
        python3 "$T/pty.py" --answer keel-TEST "$T/tty1" -- init-shutdown -i -r +2 2>&1; echo "rc=$?"
        python3 "$T/pty.py" --answer keel-test.example.org "$T/tty2" -- init-shutdown -i -c 2>&1; echo "rc=$?"
        python3 "$T/pty.py" --answer vm "$T/tty3" -- init-shutdown -i -p now 2>&1; echo "rc=$?"
        fifo_hex
    '
    [ "$status" = 0 ]
    [ "$output" = "init-shutdown: fatal: unable to talk to shutdownd: No such device or address
rc=111
init-shutdown: fatal: unable to ask hostname confirmation: stdin or stdout is not a tty
rc=100
rc=0
rc=0
init-shutdown: fatal: hostname mismatch: expecting keel-test
rc=1
$(order_hex r 120 0 0)63" ]
}
