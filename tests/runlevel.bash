# Shared by tests/init-runleveld.bats and tests/init-telinit.bats: init-runleveld on its fixed
# socket /run/service/s6-linux-init-runleveld/s, in a private mount namespace with a fresh
# tmpfs on /run (the host's /run is never touched), and clients run inside that namespace.
# shellcheck shell=bash

RL_DIR=/run/service/s6-linux-init-runleveld
RL_SOCK=$RL_DIR/s

# rl_basedir DIR: DIR/scripts/runlevel records its arguments (DIR/args), its environment
# (DIR/env) and its stdin (DIR/in), writes "out RL" to stdout and "err RL" to stderr, runs
# $RL_EXTRA (shell code) if set, then exits $CODE (default 0).
rl_basedir() {
    mkdir -p "$1/scripts"
    cat > "$1/scripts/runlevel" <<EOF
#!/bin/sh
printf '%s\n' "\$@" > "$1/args"
env > "$1/env"
cat > "$1/in"
echo "out \$1"
echo "err \$1" >&2
eval "\${RL_EXTRA:-}"
exit "\${CODE:-0}"
EOF
    chmod 755 "$1/scripts/runlevel"
}

rl_ready() { [ "$(od -An -c "$1.ready" 2>/dev/null | tr -d ' ')" = '\n' ]; }

# rl_start BASE [OPTIONS...]: init-runleveld -d 3 OPTIONS on $RL_SOCK in a new mount namespace
# (tmpfs on /run), with stderr in BASE.log; its host pid goes to BASE.pid. $RL_PRE, if set, is
# shell code run in the namespace before it starts (e.g. to leave a stale socket behind).
rl_start() {
    local base=$1
    shift
    unshare --mount sh -c '
        mount --make-rprivate / && mount -t tmpfs tmpfs /run || exit 90
        mkdir -p "$1" || exit 90
        eval "$2"
        shift 2
        exec "$@"' sh "$RL_DIR" "${RL_PRE:-}" "$KEEL_BIN/init-runleveld" -d 3 "$@" "$RL_SOCK" \
        3>"$base.ready" 2>>"$base.log" </dev/null &
    echo $! > "$base.pid"
    track_pid $!
    wait_for 5 rl_ready "$base"
    [ "$(cat /proc/$!/comm)" = init-runleveld ]
}

rl_pid() { cat "$1.pid"; }

# rl_in BASE CMD...: runs CMD in the mount namespace of BASE's runleveld; refuses (90) unless
# that namespace is not ours and has its own /run.
rl_in() {
    local pid
    pid=$(rl_pid "$1")
    shift
    [ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] ||
        { echo "rl_in: not a private mount namespace" >&2; return 90; }
    nsenter -t "$pid" -m -- "$@"
}

# rl_stop BASE: SIGTERM, then the exit status of runleveld (our child) in rl_status.
rl_stop() {
    local pid
    pid=$(rl_pid "$1")
    kill -TERM "$pid" 2>/dev/null || true # it may be leaving already
    wait "$pid" && rl_status=0 || rl_status=$?
}

rl_logged() { grep -qF -- "$2" "$1.log"; }

# rl_client BASE MODE: a raw client of the protocol (python3) in BASE's namespace, for good
# and bad requests; prints the answer in hex, or "closed" when the server hung up without one.
rl_client() {
    rl_in "$1" python3 - "$2" "$RL_SOCK" <<'EOF'
import os, socket, struct, sys, time
mode, path = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
def frame(b): return struct.pack('>I', len(b)) + b
env = b''.join(k + b'=' + v + b'\0' for k, v in os.environb.items())
good = frame(b'3\0') + frame(env)
fds = [0, 1, 2]
sends = {
    'good': lambda: socket.send_fds(s, [good], fds),
    'random': lambda: s.sendall(os.urandom(4096)),
    'nofds': lambda: s.sendall(good),
    'twofds': lambda: socket.send_fds(s, [good], [0, 1]),
    'extrafds': lambda: socket.send_fds(s, [good], [0, 1, 2, 0, 1]),
    'short': lambda: socket.send_fds(s, [b'\0\0'], fds),
    'huge': lambda: socket.send_fds(s, [b'\xff\xff\xff\xff'], fds),
    'hugeenv': lambda: socket.send_fds(s, [frame(b'3\0') + b'\x7f\xff\xff\xff'], fds),
    'nonul': lambda: socket.send_fds(s, [frame(b'33') + frame(b'')], fds),
    'innernul': lambda: socket.send_fds(s, [frame(b'3\0003\0') + frame(b'')], fds),
    'emptyrl': lambda: socket.send_fds(s, [frame(b'\0') + frame(b'')], fds),
    'badenv': lambda: socket.send_fds(s, [frame(b'3\0') + frame(b'NOEQUALS\0')], fds),
    'envnonul': lambda: socket.send_fds(s, [frame(b'3\0') + frame(b'A=1')], fds),
    'idle': lambda: time.sleep(15),
}
sends[mode]()
try:
    s.shutdown(socket.SHUT_WR)
    answer = s.recv(16)
except OSError:
    answer = b''
print(answer.hex() if answer else 'closed')
EOF
}

# fd_count PID: how many descriptors PID has open.
fd_count() { ls "/proc/$1/fd" | wc -l; }
