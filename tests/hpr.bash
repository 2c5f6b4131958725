# Shared by tests/init-hpr.bats and tests/init-shutdown.bats: a private mount + UTS namespace
# with its own /run (a fresh tmpfs), /var/log and /etc, where a fake shutdownd FIFO, utmp and
# wtmp live, and a pty helper that plays a logged-in user's terminal.
# shellcheck shell=bash

# Host namespaces, to check that a test really left them before it writes anything.
HOST_MNTNS=$(readlink /proc/self/ns/mnt)
export HOST_MNTNS HOST_PIDNS

# What every namespace script starts with. Afterwards:
#   /run/service/s6-linux-init-shutdownd/fifo exists, nobody reads it (listen: this shell
#   reads it on fd 3; fifo_hex: prints in hex what was written to it since);
#   /run/utmp is empty (user NAME LINE: adds a USER_PROCESS entry), /var/log/wtmp is empty;
#   /etc is an overlay (writes stay in the namespace); the host name is keel-test.example.org.
ns_prelude='
set -e
[ "$(readlink /proc/self/ns/mnt)" != "$HOST_MNTNS" ] || { echo "not in a private mount namespace" >&2; exit 90; }
mount --make-rprivate /
mount -t tmpfs -o mode=0755 tmpfs /run
[ -z "$(ls -A /run)" ] || { echo "/run is not a fresh tmpfs" >&2; exit 90; }
mount -t tmpfs tmpfs /var/log
: > /var/log/wtmp
: > /run/utmp
mkdir -p /run/etc.up /run/etc.work
mount -t overlay overlay -o lowerdir=/etc,upperdir=/run/etc.up,workdir=/run/etc.work /etc
rm -f /etc/shutdown.allow
hostname keel-test.example.org
mkdir -p /run/service/s6-linux-init-shutdownd
mkfifo -m 0600 /run/service/s6-linux-init-shutdownd/fifo
listen() { exec 3<>/run/service/s6-linux-init-shutdownd/fifo; }
fifo_hex() {
    printf Z >&3
    python3 -c "import os, sys
b = b\"\"
while not b.endswith(b\"Z\"): b += os.read(3, 4096)
print(b[:-1].hex())"
}
user() { python3 "$T/pty.py" --utmp-only "$1" "$2"; }
set +e
'

# in_ns 'BASH COMMANDS': runs them after ns_prelude in a new mount and UTS namespace.
in_ns() {
    write_pty_helper
    T=$T unshare --mount --uts --propagation private bash -c "$ns_prelude
$1"
}

# pty.py: the terminal of a logged-in user, for wall and -i tests.
#   pty.py --utmp-only USER LINE        append a USER_PROCESS entry to /run/utmp and exit
#   pty.py [--user NAME] [--answer TEXT] OUT -- CMD...
#     opens a pty (raw mode unless --answer), adds a USER_PROCESS entry for NAME (default
#     root) on it, runs CMD (with the pty as stdin and stdout when --answer: TEXT + "\n" is
#     typed once CMD waits in read(0)), then writes everything the pty received to OUT and
#     exits with CMD's exit status. --before-answer SH runs SH just before the answer is typed.
write_pty_helper() {
    [ -f "$T/pty.py" ] && return 0
    cat > "$T/pty.py" <<'EOF'
import os, struct, subprocess, sys, time, tty

def add_utmp(user, line):
    rec = struct.pack("<hxxi32s4s32s256shhiii4i20x", 7, os.getpid(), line.encode(),
                      line[-4:].encode(), user.encode(), b"", 0, 0, 0, int(time.time()), 0,
                      0, 0, 0, 0)
    with open("/run/utmp", "ab") as f:
        f.write(rec)

args = sys.argv[1:]
if args[0] == "--utmp-only":
    add_utmp(args[1], args[2])
    sys.exit(0)
user, answer, before = "root", None, None
while args[0].startswith("--"):
    if args[0] == "--user": user = args[1]; args = args[2:]
    elif args[0] == "--answer": answer = args[1]; args = args[2:]
    elif args[0] == "--before-answer": before = args[1]; args = args[2:]
out, cmd = args[0], args[2:]
with open("/run/utmp", "rb") as f:
    utmp_before = f.read()
master, slave = os.openpty()
if answer is None:
    tty.setraw(slave)
add_utmp(user, os.ttyname(slave)[len("/dev/"):])
io = {"stdin": slave, "stdout": slave} if answer is not None else {"stdin": subprocess.DEVNULL}
p = subprocess.Popen(cmd, **io)
got = b""
def pump(timeout):
    global got
    import select
    r, _, _ = select.select([master], [], [], timeout)
    if r:
        got += os.read(master, 4096)
if answer is not None:
    deadline = time.time() + 10
    # wait for the prompt, then until the program blocks in read(0): an answer typed
    # earlier would be flushed by its tcflush
    while b"hostname: " not in got and p.poll() is None and time.time() < deadline:
        pump(0.05)
    while p.poll() is None and time.time() < deadline:
        try:
            with open("/proc/%d/syscall" % p.pid) as f:
                if f.read().startswith("0 0x0 "):
                    break
        except OSError:
            pass
        time.sleep(0.02)
    if before:
        subprocess.run(["sh", "-c", before], check=True)
    os.write(master, answer.encode() + b"\n")
while p.poll() is None:
    pump(0.05)
os.write(slave, b"\x00END\x00")
deadline = time.time() + 10
while not got.endswith(b"\x00END\x00") and time.time() < deadline:
    pump(0.2)
with open(out, "wb") as f:
    f.write(got[:-5] if got.endswith(b"\x00END\x00") else got + b"<no end marker>")
# (pty numbers are reused: leave no entry behind for the next pty of that number)
with open("/run/utmp", "wb") as f:
    f.write(utmp_before)
rc = p.returncode
sys.exit(rc if rc >= 0 else 128 - rc)
EOF
}

# hex of a string (printf-style escapes interpreted), for comparisons with fifo_hex.
hex_of() { printf '%b' "$1" | od -An -tx1 -v | tr -d ' \n'; echo; }

# The 17-byte order: WHAT, delay seconds, nanoseconds, grace ms, in hex.
order_hex() {
    printf '%s%016x%08x%08x\n' "$(printf %s "$1" | od -An -tx1 | tr -d ' ')" "$2" "$3" "$4"
}
