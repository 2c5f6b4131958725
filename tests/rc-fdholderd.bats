#!/usr/bin/env bats
# rc-fdholderd: usage and start errors, the socket (mode 0600, stale one replaced), readiness,
# SIGTERM, the same pipe for every request of a name (data kept between clients), descriptors
# that do not grow, the -n limit, and bad clients it survives (exact answers and warnings).
# Clients: rc-pipe, and python3 for hand-made bytes. Sockets live in $T.

load helper

ready() { [ "$(od -An -c "$T/ready" 2>/dev/null | tr -d ' ')" = '\n' ]; }

# fh_start [OPTIONS...]: rc-fdholderd -d 3 OPTIONS $T/s, stderr in $T/log; its pid in $FH_PID.
fh_start() {
    "$KEEL_BIN/rc-fdholderd" -d 3 "$@" "$T/s" 3>"$T/ready" 2>>"$T/log" </dev/null >/dev/null &
    FH_PID=$!
    track_pid "$FH_PID"
    wait_for 5 ready
}

fh_stop() {
    kill -TERM "$FH_PID"
    wait "$FH_PID" && fh_status=0 || fh_status=$?
}

# pipe_of r|w NAME: the pipe (pipe:[INODE]) the holder gives for that end of NAME.
pipe_of() {
    if [ "$1" = r ]; then rc-pipe -r "$2" "$T/s" readlink /proc/self/fd/0
    else rc-pipe -w "$2" "$T/s" sh -c 'readlink /proc/self/fd/3 3>&1 >&2' 2>&1; fi
}

# raw HEX: sends the bytes HEX to the holder, prints the answer in hex and whether a
# descriptor came with it, then "eof" once the server has closed.
raw() {
    python3 - "$T/s" "$1" <<'PY'
import socket, sys, array
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(bytes.fromhex(sys.argv[2]))
out = b''; fds = 0
end = 'eof'
while True:
    try:
        msg, anc, flags, addr = s.recvmsg(64, socket.CMSG_SPACE(16 * 4))
    except ConnectionResetError:
        end = 'reset'; break
    for level, kind, data in anc:
        fds += len(data) // 4
    if not msg: break
    out += msg
print(out.hex(), 'fds=%d' % fds, end)
PY
}

nfds() { ls "/proc/$FH_PID/fd" | wc -l; }

@test "rc-fdholderd: usage errors exit 100" {
    expect_usage rc-fdholderd
    expect_usage rc-fdholderd "$T/s" "$T/t"
    expect_usage rc-fdholderd -x "$T/s"
    expect_usage rc-fdholderd -n 0 "$T/s"
    expect_usage rc-fdholderd -n x "$T/s"
    expect_usage rc-fdholderd -n 100001 "$T/s"
    expect_usage rc-fdholderd -d x "$T/s"
    [ ! -e "$T/s" ]
}

@test "rc-fdholderd: a path that is not a socket is left alone, a missing dir fails (111)" {
    echo keep > "$T/s"
    expect_fail 111 "rc-fdholderd: fatal: $T/s exists and is not a socket" rc-fdholderd "$T/s"
    [ "$(cat "$T/s")" = keep ]
    expect_fail 111 "rc-fdholderd: fatal: unable to listen on $T/nodir/s: No such file or directory" \
        rc-fdholderd "$T/nodir/s"
}

@test "rc-fdholderd: socket 0600 (stale one replaced, umask ignored), readiness, SIGTERM exits 0 and removes it" {
    python3 -c "import socket; socket.socket(socket.AF_UNIX).bind('$T/s')"
    [ "$(stat -c %F "$T/s")" = socket ]
    umask 0
    fh_start
    [ "$(stat -c '%F %a' "$T/s")" = "socket 600" ]
    [ ! -e "/proc/$FH_PID/fd/3" ]       # the notification descriptor is closed
    run pipe_of r x
    [ "$status" = 0 ] && [[ $output == "pipe:["*"]" ]]
    fh_stop
    [ "$fh_status" = 0 ]
    [ ! -e "$T/s" ]
    [ ! -s "$T/log" ]
}

@test "rc-fdholderd: one pipe per name, the same for every request; data waits between clients" {
    fh_start
    a=$(pipe_of r a)
    [[ $a == "pipe:["*"]" ]]
    [ "$(pipe_of r a)" = "$a" ]
    [ "$(pipe_of w a)" = "$a" ]
    b=$(pipe_of w b)
    [[ $b == "pipe:["*"]" ]] && [ "$b" != "$a" ]
    [ "$(pipe_of r b)" = "$b" ]
    # the holder keeps both ends: what a writer left is read by a later reader, and a
    # reader does not see end of file once the writer has gone
    rc-pipe -w a "$T/s" sh -c 'echo one; echo two'
    run rc-pipe -r a "$T/s" sh -c 'read -r x; read -r y; echo "$x $y"'
    [ "$output" = "one two" ]
    run timeout 0.3 rc-pipe -r a "$T/s" cat
    [ "$status" = 124 ] && [ -z "$output" ]
    # descriptors: two per pipe, none left per request
    n=$(nfds)
    for i in 1 2 3 4 5 6 7 8 9 10; do pipe_of r a >/dev/null; pipe_of w b >/dev/null; done
    [ "$(nfds)" = "$n" ]
    pipe_of r c >/dev/null
    [ "$(nfds)" = $((n + 2)) ]
    # the answer's bytes: "kfd1", 'f', 0, with one descriptor ("a" read end)
    run raw 6b666431720000000161
    [ "$output" = "6b6664316600000000 fds=1 eof" ]
    [ ! -s "$T/log" ]
}

@test "rc-fdholderd: -n max: more names are refused (ENOSPC), known ones still served" {
    fh_start -n 2
    pipe_of r a >/dev/null
    pipe_of w b >/dev/null
    expect_fail 111 "rc-pipe: fatal: unable to get the read end of pipe c from $T/s: No space left on device" \
        rc-pipe -r c "$T/s" true
    [ "$(pipe_of r a)" = "$(pipe_of w a)" ]
    pipe_of r b >/dev/null
    [ "$(cat "$T/log")" = "rc-fdholderd: warning: unable to make pipe c: table full" ]
}

@test "rc-fdholderd: bad clients get an error answer and a warning; the holder goes on" {
    fh_start
    # bad magic, bad op: EPROTO (71)
    run raw 6b6664327200000001
    [ "$output" = "6b6664316500000047 fds=0 eof" ]
    run raw 6b6664317800000001
    [ "$output" = "6b6664316500000047 fds=0 eof" ]
    # empty, too long (256), with a slash, with a newline, "..": EINVAL (22)
    run raw 6b6664317200000000
    [ "$output" = "6b6664316500000016 fds=0 eof" ]
    run raw 6b6664317200000100
    [ "$output" = "6b6664316500000016 fds=0 eof" ]
    run raw 6b6664317200000003612f62
    [ "$output" = "6b6664316500000016 fds=0 eof" ]
    run raw 6b66643172000000020a61
    [ "$output" = "6b6664316500000016 fds=0 eof" ]
    run raw 6b66643172000000022e2e
    [ "$output" = "6b6664316500000016 fds=0 eof" ]
    # a 255-byte name is fine
    run raw "6b66643177000000ff$(printf '78%.0s' $(seq 255))"
    [ "$output" = "6b6664316600000000 fds=1 eof" ]
    # incomplete requests: the client closes before the end (header, then name)
    python3 -c "
import socket
for req in (b'kfd1r', b'kfd1r\0\0\0\x05ab'):
    s = socket.socket(socket.AF_UNIX); s.connect('$T/s'); s.sendall(req); s.close()"
    # a client that sends descriptors with its request: they are ignored (and not kept)
    n=$(nfds)
    python3 -c "
import socket, os
s = socket.socket(socket.AF_UNIX); s.connect('$T/s')
s.sendmsg([b'kfd1r\0\0\0\x01q'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(memoryview(__import__('array').array('i', [0, 1, 2]))))])
print(s.recv(64).hex())" > "$T/out"
    [ "$(cat "$T/out")" = 6b6664316600000000 ]
    [ "$(nfds)" = $((n + 2)) ]     # only the new pipe q
    # a silent client does not hold up the others
    python3 -c "
import socket, time
s = socket.socket(socket.AF_UNIX); s.connect('$T/s'); time.sleep(100000)" 3>&- &
    track_pid $!
    [[ $(pipe_of r ok) == "pipe:["*"]" ]]
    kill -0 "$FH_PID"
    [ "$(cat "$T/log")" = "rc-fdholderd: warning: dropping client: malformed request
rc-fdholderd: warning: dropping client: malformed request
rc-fdholderd: warning: dropping client: invalid pipe name
rc-fdholderd: warning: dropping client: invalid pipe name
rc-fdholderd: warning: dropping client: invalid pipe name
rc-fdholderd: warning: dropping client: invalid pipe name
rc-fdholderd: warning: dropping client: invalid pipe name
rc-fdholderd: warning: dropping client: incomplete request
rc-fdholderd: warning: dropping client: incomplete request" ]
}

@test "rc-fdholderd: a client too slow to send its request is dropped after 5 seconds" {
    fh_start
    run python3 -c "
import socket, time
s = socket.socket(socket.AF_UNIX); s.connect('$T/s'); s.sendall(b'kfd1')
t = time.time(); d = s.recv(64); print(len(d), round(time.time() - t))"
    [ "$output" = "0 5" ]
    [ "$(cat "$T/log")" = "rc-fdholderd: warning: dropping client: too slow to send its request" ]
}
