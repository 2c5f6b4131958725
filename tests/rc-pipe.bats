#!/usr/bin/env bats
# rc-pipe: pipe ends from rc-fdholderd as fd 0 and 1 (no other descriptor left), usage, every
# error (111 naming the end, the pipe and the socket; 126/127 for prog); then the whole design
# end to end: a compiled pipeline p -> plog under a real svscan, where killing plog or p loses
# no line and the other side keeps running; and the -h fdhuser holder, usable by root.

load helper

ready() { [ "$(od -An -c "$T/ready" 2>/dev/null | tr -d ' ')" = '\n' ]; }

fh_start() {
    rc-fdholderd -d 3 "$T/s" 3>"$T/ready" 2>>"$T/log" </dev/null >/dev/null &
    track_pid $!
    wait_for 5 ready
}

@test "rc-pipe: usage errors exit 100" {
    expect_usage rc-pipe
    expect_usage rc-pipe "$T/s"
    expect_usage rc-pipe -r a "$T/s"
    expect_usage rc-pipe -r
    expect_usage rc-pipe -x "$T/s" true
}

@test "rc-pipe: -r is stdin, -w is stdout, both blocking; nothing else is left open" {
    fh_start
    a=$(rc-pipe -r a "$T/s" readlink /proc/self/fd/0)
    b=$(rc-pipe -r b "$T/s" readlink /proc/self/fd/0)
    [[ $a == "pipe:["*"]" ]] && [[ $b == "pipe:["*"]" ]] && [ "$a" != "$b" ]
    echo in | rc-pipe -w a "$T/s" cat
    rc-pipe -r a -w b "$T/s" sh -c 'read -r x; echo "got $x"
        readlink /proc/self/fd/0 /proc/self/fd/3 3>&1 >&2
        grep -h ^flags: /proc/self/fdinfo/0 /proc/self/fdinfo/3 3>&1 >&2
        for f in /proc/$$/fd/*; do readlink "$f" || :; done >&2' 2>"$T/err"
    [ "$(rc-pipe -r b "$T/s" head -1)" = "got in" ]
    [ "$(head -2 "$T/err")" = "$a
$b" ]
    # O_RDONLY and O_WRONLY, without O_NONBLOCK (04000)
    f0=$(sed -n 3p "$T/err" | cut -f2)
    f1=$(sed -n 4p "$T/err" | cut -f2)
    [ $((8#$f0 & 8#4003)) = 0 ] && [ $((8#$f1 & 8#4003)) = 1 ]
    # no socket left open for prog
    run grep -c socket: "$T/err"
    [ "$output" = 0 ]
    # without options it just runs prog
    run rc-pipe "$T/s" echo hi
    [ "$output" = hi ]
}

@test "rc-pipe: errors: no holder, a refused name, a garbled answer, prog not found" {
    expect_fail 111 "rc-pipe: fatal: unable to get the read end of pipe a from $T/s: No such file or directory" \
        rc-pipe -r a "$T/s" true
    python3 -c "import socket; socket.socket(socket.AF_UNIX).bind('$T/s')"
    expect_fail 111 "rc-pipe: fatal: unable to get the write end of pipe a from $T/s: Connection refused" \
        rc-pipe -w a "$T/s" true
    rm "$T/s"
    fh_start
    expect_fail 111 "rc-pipe: fatal: unable to get the write end of pipe a/b from $T/s: Invalid argument" \
        rc-pipe -r ok -w a/b "$T/s" true
    expect_fail 127 "rc-pipe: fatal: unable to exec $T/nope: No such file or directory" \
        rc-pipe -r a "$T/s" "$T/nope"
    : > "$T/noexec"
    expect_fail 126 "rc-pipe: fatal: unable to exec $T/noexec: Permission denied" \
        rc-pipe -r a "$T/s" "$T/noexec"
    # a server that answers garbage, or closes at once
    python3 -c "
import socket, os, sys
l = socket.socket(socket.AF_UNIX); l.bind('$T/g'); l.listen(5)
sys.stdout.write('x\n'); sys.stdout.flush()
c, _ = l.accept(); c.recv(64); c.sendall(b'kfd1f\0\0\0\0'); c.close()
c, _ = l.accept(); c.recv(64); c.sendall(b'junkjunkj'); c.close()
c, _ = l.accept(); c.recv(64); c.close()" > "$T/g.ready" 3>&- &
    track_pid $!
    wait_for 5 grep -q x "$T/g.ready"
    expect_fail 111 "rc-pipe: fatal: unable to get the read end of pipe a from $T/g: Protocol error" \
        rc-pipe -r a "$T/g" true
    expect_fail 111 "rc-pipe: fatal: unable to get the read end of pipe a from $T/g: Protocol error" \
        rc-pipe -r a "$T/g" true
    expect_fail 111 "rc-pipe: fatal: unable to get the read end of pipe a from $T/g: Broken pipe" \
        rc-pipe -r a "$T/g" true
}

# --- End to end -----------------------------------------------------------------------------

# lines FILE: its number of lines (0 if missing).
lines() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }
# in_order: $T/recv holds exactly 1, 2, ... N, one per line.
in_order() { [ "$(cat "$T/recv")" = "$(seq "$(lines "$T/recv")")" ]; }
synced() { [ -e "$T/held" ] && [ "$(lines "$T/recv")" = "$(lines "$T/sent")" ]; }
more_than() { [ "$(lines "$1")" -gt "$2" ]; }
new_pid() { local p; p=$(up_pid "$1") && [ "$p" != "$2" ]; }

# hold: p stops writing at the end of a line, and plog has everything p wrote.
hold() { touch "$T/hold"; wait_for 10 synced; }
# release: p writes again.
release() {
    local n
    n=$(lines "$T/sent")
    rm "$T/hold"
    wait_for 10 more_than "$T/sent" "$n"
    rm -f "$T/held"
}

@test "rc-pipe: a compiled pipeline keeps its pipe across restarts of the consumer and the producer" {
    local s=$T/src
    mkdir -p "$s/p" "$s/plog"
    echo longrun > "$s/p/type"; echo longrun > "$s/plog/type"
    echo plog > "$s/p/producer-for"; echo p > "$s/plog/consumer-for"
    # p writes numbered lines, going on from the last one it wrote, and stops between lines
    # while $T/hold exists; plog appends what it reads to $T/recv.
    cat > "$s/p/run" <<EOS
#!/bin/sh
i=\$(cat "$T/sent" 2>/dev/null | wc -l)
while :; do
    if [ -e "$T/hold" ]; then : > "$T/held"; sleep 0.01; continue; fi
    i=\$((i + 1)); echo \$i; echo \$i >> "$T/sent"; sleep 0.005
done
EOS
    printf '#!/bin/sh\nexec cat >> %s/recv\n' "$T" > "$s/plog/run"
    chmod 755 "$s/p/run" "$s/plog/run"
    rc-compile "$T/db" "$s"
    start_scan "$T/scan"
    rc-init -c "$T/db" -l "$T/live" -t 10000 "$T/scan"
    local sd=$T/live/servicedirs
    svc -u "$sd/s6rc-fdholder"
    wait_for 10 is_ready "$sd/s6rc-fdholder"
    svc -u "$sd/plog"
    wait_for 10 is_up "$sd/plog"
    svc -u "$sd/p"
    wait_for 10 more_than "$T/recv" 20
    # plog dies while p goes on writing into the held pipe: nothing is lost
    hold
    plog1=$(up_pid "$sd/plog")
    svc -k "$sd/plog"
    wait_for 5 gone "$plog1"
    release
    n=$(lines "$T/sent")
    wait_for 10 more_than "$T/sent" $((n + 20))  # written while plog is down or restarting
    wait_for 10 new_pid "$sd/plog" "$plog1"
    plog2=$(up_pid "$sd/plog")
    hold
    in_order
    [ "$(lines "$T/recv")" -gt $((n + 20)) ]
    # p dies and restarts: plog goes on (the same process) and reads the new p's lines
    p1=$(up_pid "$sd/p")
    svc -k "$sd/p"
    wait_for 10 new_pid "$sd/p" "$p1"
    n=$(lines "$T/recv")
    release
    wait_for 10 more_than "$T/recv" $((n + 20))
    hold
    in_order
    [ "$(up_pid "$sd/plog")" = "$plog2" ]
    stop_scan "$T/scan"
}

@test "rc-pipe: with rc-compile -h, the holder runs as fdhuser and root services still use it" {
    need_root
    local s=$T/src
    mkdir -p "$s/p" "$s/c"
    echo longrun > "$s/p/type"; echo longrun > "$s/c/type"
    printf '#!/bin/sh\nexec true\n' > "$s/p/run"; cp "$s/p/run" "$s/c/run"
    echo c > "$s/p/producer-for"; echo p > "$s/c/consumer-for"
    rc-compile -h nobody "$T/db" "$s"
    cp -r "$T/db/servicedirs/s6rc-fdholder" "$T/fdh"
    chmod 755 "$T/fdh"
    (cd "$T/fdh" && exec ./run 3>"$T/ready" 2>>"$T/log" </dev/null >/dev/null) &
    track_pid $!
    wait_for 5 ready
    [ "$(stat -c '%U %a' "$T/fdh/h")" = "nobody 700" ]
    [ "$(readlink "$T/fdh/s")" = h/s ]
    [ "$(stat -c '%U %a' "$T/fdh/h/s")" = "nobody 600" ]
    pid=$(tail -1 "$T/pids")
    [ "$(stat -c %U "/proc/$pid")" = nobody ]
    [ "$(cat "/proc/$pid/comm")" = rc-fdholderd ]
    run rc-pipe -r c "$T/fdh/s" readlink /proc/self/fd/0
    [ "$status" = 0 ] && [[ $output == "pipe:["*"]" ]]
}
