#!/bin/sh
# The supervisor, keel's supervise against s6-supervise, side by side in one run:
#   (a) private memory per supervisor with SERVICES (200) services up, each supervisor started
#       directly (no scanner) on a `sleep` service: Private_Clean + Private_Dirty from
#       /proc/PID/smaps_rollup, in KiB per supervisor;
#   (b) restart round trip, ROUNDS (300) times: write `t` to supervise/control and time until
#       the `u` event (new pid up) reaches a listener in event/; and the client round trip
#       `svc -r -wr DIR` against `s6-svc -r -wr DIR` (process start to exit). Median and p99;
#   (c) crash loop: CRASH_SERVICES (10) services whose run exits at once, for CRASH_SECS (10)
#       seconds: restarts per service (the throttle allows one a second) and the supervisor's
#       own CPU time per restart (utime+stime of /proc/PID/stat; schedstat for finer grain).
# Then a table: keel, keel static (if any), s6, and the keel/s6 ratios.
#
# Run: sh bench/supervise.sh (or make bench). Needs python3 (the timing harness) and, for the
# s6 column, Debian's s6 (s6-supervise, s6-svc in PATH). Run it as root, as the issue's figures
# were taken: as another user it needs room for about 450 processes (RLIMIT_NPROC). Columns
# whose programs are missing are skipped: keel's needs bin/supervise (and bin/svc for the
# client row). Takes about a minute per implementation with the defaults; quicker:
#   ROUNDS=50 SERVICES=50 CRASH_SECS=3 sh bench/supervise.sh
# Static build (the issue's STATIC=1 target): KEEL_STATIC_BIN=/dir/with/static/bin, or
# KEEL_BUILD_STATIC=1 to build one here in a private copy of the sources, never touching the
# main tree. By hand, the same thing:
#   mkdir /tmp/keel-static && cp -r Makefile lib tools /tmp/keel-static/ &&
#   make -C /tmp/keel-static STATIC=1 bin/supervise bin/svc
#   KEEL_STATIC_BIN=/tmp/keel-static/bin sh bench/supervise.sh
# (`git worktree add /tmp/keel-static` works too, for committed sources.)
# Restart timing: a service that has been ready for 1 s or more restarts at once, otherwise
# the 1-second throttle delays it. So the services of (b) notify readiness (notification-fd)
# and the harness rotates over RT_SERVICES (30) of them, restarting each only once it has been
# ready for 1.05 s: every round measures an immediate restart, for both supervisors alike.
# Client runs that hang are killed after CLIENT_TIMEOUT (5) seconds and counted apart: s6 2.11's
# s6-svlisten1 -r can miss the restart when `dD`, `u` and `U` reach its FIFO in one read, which
# happens on a loaded machine (keel's svc -wr keeps the unread events for its second phase).
# Figures vary with load: run on an otherwise idle machine.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
command -v python3 >/dev/null 2>&1 || { echo "bench/supervise.sh: needs python3" >&2; exit 100; }

tmp=$(mktemp -d /tmp/keel-bench-sv.XXXXXX)
# Last resort after a crash or ^C: kill whatever still works in the scratch directory.
cleanup() {
    for p in /proc/[0-9]*; do
        case $(readlink "$p/cwd" 2>/dev/null) in "$tmp"/*) kill -9 "${p#/proc/}" 2>/dev/null ;; esac
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${KEEL_STATIC_BIN:-}" ] && [ "${KEEL_BUILD_STATIC:-}" = 1 ]; then
    echo "(building a STATIC=1 supervise and svc in $tmp/static)"
    mkdir "$tmp/static"
    cp -r "$top/Makefile" "$top/lib" "$top/tools" "$tmp/static/"
    rm -f "$tmp/static/lib/libkeel.a"
    make -s -C "$tmp/static" STATIC=1 bin/supervise bin/svc >/dev/null
    KEEL_STATIC_BIN=$tmp/static/bin
fi

# NAME=SUPERVISE:SVC for each implementation present.
set --
if [ -x "$top/bin/supervise" ]; then
    set -- "$@" "keel=$top/bin/supervise:$top/bin/svc"
else
    echo "(no bin/supervise: no keel column; build it with make bin/supervise)"
fi
if [ -n "${KEEL_STATIC_BIN:-}" ]; then
    if [ -x "$KEEL_STATIC_BIN/supervise" ]; then
        set -- "$@" "keel-static=$KEEL_STATIC_BIN/supervise:$KEEL_STATIC_BIN/svc"
    else
        echo "(no $KEEL_STATIC_BIN/supervise: no keel-static column)"
    fi
fi
if command -v s6-supervise >/dev/null 2>&1; then
    set -- "$@" "s6=$(command -v s6-supervise):$(command -v s6-svc || echo /nonexistent)"
else
    echo "(s6 not installed: no s6 column)"
fi
[ $# -gt 0 ] || { echo "nothing to measure"; exit 0; }

echo "supervisor bench: $(uname -sr), $(nproc) CPUs, $(date -u '+%Y-%m-%d %H:%M UTC')"
if command -v dpkg-query >/dev/null 2>&1 && dpkg-query -W s6 >/dev/null 2>&1; then
    echo "s6 $(dpkg-query -W -f '${Version}' s6)"
fi

cat > "$tmp/bench.py" <<'EOF'
import os, random, select, statistics, subprocess, sys, time

TMP = sys.argv[1]
IMPLS = [(a.split("=", 1)[0], *a.split("=", 1)[1].split(":", 1)) for a in sys.argv[2:]]
ROUNDS = int(os.environ.get("ROUNDS", "300"))
SERVICES = int(os.environ.get("SERVICES", "200"))
RT_SERVICES = int(os.environ.get("RT_SERVICES", "30"))
CRASH_SERVICES = int(os.environ.get("CRASH_SERVICES", "10"))
CRASH_SECS = float(os.environ.get("CRASH_SECS", "10"))
CLIENT_TIMEOUT = float(os.environ.get("CLIENT_TIMEOUT", "5"))
REST = 1.05  # seconds a service stays ready before the next restart: no throttle
HZ = os.sysconf("SC_CLK_TCK")
now = time.monotonic


class Failed(Exception):
    pass


def make_service(d, body, notif=False):
    os.makedirs(d)
    with open(d + "/run", "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(d + "/run", 0o755)
    if notif:
        with open(d + "/notification-fd", "w") as f:
            f.write("3\n")
    os.mkdir(d + "/event")
    os.chmod(d + "/event", 0o3730)


def status(d):
    """(pid, flags) from supervise/status, or None before the first write."""
    try:
        with open(d + "/supervise/status", "rb") as f:
            b = f.read(64)
    except OSError:
        return None
    if len(b) < 35:
        return None
    return int.from_bytes(b[24:32], "big"), b[34]


class Listener:
    """A subscription to DIR/event, made by hand as an s6 listener makes it."""
    ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

    def __init__(self, d):
        label = (1 << 62) + int(time.time()) + 37
        tag = "".join(random.choice(self.ALPHA) for _ in range(6))
        self.path = "%s/event/ftrig1:@%016x%08x:%s" % (d, label, random.randrange(10**9), tag)
        os.mkfifo(self.path, 0o600)
        self.rd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self.wr = os.open(self.path, os.O_WRONLY)  # never EOF
        self.buf = b""

    def fill(self):
        try:
            self.buf += os.read(self.rd, 4096)
        except BlockingIOError:
            pass

    def drain(self):
        self.fill()
        self.buf = b""

    def wait(self, letter, timeout=10.0):
        """Waits for the event letter; returns the monotonic time it was seen."""
        end = now() + timeout
        while True:
            i = self.buf.find(letter)
            if i >= 0:
                self.buf = self.buf[i + 1:]
                return now()
            left = end - now()
            if left <= 0:
                raise Failed("no %r event within %gs (got %r)" % (letter, timeout, self.buf))
            select.select([self.rd], [], [], left)
            self.fill()

    def close(self):
        os.close(self.rd)
        os.close(self.wr)
        try:
            os.unlink(self.path)
        except OSError:
            pass


class Fleet:
    """Services DIR/NAME-i, each under its own supervisor."""

    def __init__(self, name, exe, n, body, notif=False, listen=False):
        self.dirs = ["%s/%s-%d" % (TMP, name, i) for i in range(n)]
        self.procs, self.listeners = [], []
        self.log = open("%s/%s.log" % (TMP, name), "ab")
        for d in self.dirs:
            make_service(d, body, notif)
            if listen:
                self.listeners.append(Listener(d))
        for d in self.dirs:
            self.procs.append(subprocess.Popen([exe, d], stdin=subprocess.DEVNULL,
                                               stdout=self.log, stderr=self.log))

    def wait_up(self, timeout=60.0):
        end = now() + timeout
        for d, p in zip(self.dirs, self.procs):
            while True:
                s = status(d)
                if s and s[0] and not s[1] & 2:
                    break
                if p.poll() is not None:
                    raise Failed("supervisor of %s exited %d (see %s)"
                                 % (d, p.returncode, self.log.name))
                if now() > end:
                    raise Failed("%s not up after %gs" % (d, timeout))
                time.sleep(0.01)

    def stop(self):
        for d in self.dirs:
            try:
                fd = os.open(d + "/supervise/control", os.O_WRONLY | os.O_NONBLOCK)
                os.write(fd, b"dx")
                os.close(fd)
            except OSError:
                pass
        end = now() + 10
        for d, p in zip(self.dirs, self.procs):
            try:
                p.wait(max(0.1, end - now()))
            except subprocess.TimeoutExpired:
                s = status(d)
                p.kill()
                p.wait()
                if s and s[0]:
                    try:
                        os.kill(s[0], 9)
                    except OSError:
                        pass
        for l in self.listeners:
            l.close()
        self.log.close()


def private_kib(pid):
    total = 0
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total


def cpu(pid):
    """CPU ms: (utime+stime, time on CPU from schedstat, cutime+cstime of reaped children)"""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    children = int(fields[13]) + int(fields[14])
    with open("/proc/%d/schedstat" % pid) as f:
        ns = int(f.read().split()[0])
    return ticks * 1000.0 / HZ, ns / 1e6, children * 1000.0 / HZ


def pct(xs, p):
    xs = sorted(xs)
    return xs[max(0, min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1))]


def bench_memory(name, exe):
    f = Fleet(name + "-mem", exe, SERVICES, "exec sleep 100000")
    try:
        f.wait_up()
        kib = [private_kib(p.pid) for p in f.procs]
    finally:
        f.stop()
    return sum(kib) / len(kib)


def bench_restart(name, exe, svc=None):
    """Round trips of `t` -> u event (svc None), or of `svc -r -wr DIR` (start to exit).
    Returns the median and p99 in ms, the median from `t` to U (ready), and how many client
    runs hung (killed after CLIENT_TIMEOUT seconds; they count in no other figure)."""
    f = Fleet(name + ("-cli" if svc else "-rt"), exe, min(RT_SERVICES, ROUNDS),
              "echo >&3\nexec sleep 100000", notif=True, listen=True)
    try:
        ready = [l.wait(b"U") for l in f.listeners]
        ctl = [os.open(d + "/supervise/control", os.O_WRONLY | os.O_NONBLOCK) for d in f.dirs]
        times, to_ready, hung = [], [], 0
        for _ in range(ROUNDS):
            i = min(range(len(ready)), key=ready.__getitem__)
            rest = ready[i] + REST - now()
            if rest > 0:
                time.sleep(rest)
            l = f.listeners[i]
            l.drain()
            t0 = now()
            if svc:
                p = subprocess.Popen([svc, "-r", "-wr", f.dirs[i]], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True)
                try:
                    err = p.communicate(timeout=CLIENT_TIMEOUT)[1]
                    t1 = now()
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, 9)
                    p.communicate()
                    hung += 1
                    t1 = None
                if t1 and p.returncode:
                    raise Failed("%s -r -wr exited %d: %s" % (svc, p.returncode,
                                                              err.decode().strip()))
                l.wait(b"u")
            else:
                os.write(ctl[i], b"t")
                t1 = l.wait(b"u")
            ready[i] = l.wait(b"U")
            if t1:
                times.append((t1 - t0) * 1000)
                to_ready.append((ready[i] - t0) * 1000)
        for fd in ctl:
            os.close(fd)
    finally:
        f.stop()
    if not times:
        raise Failed("every round hung")
    return statistics.median(times), pct(times, 99), statistics.median(to_ready), hung


def bench_crash(name, exe):
    f = Fleet(name + "-crash", exe, CRASH_SERVICES, "exit 0", listen=True)
    try:
        for l in f.listeners:
            l.wait(b"u")
        for l in f.listeners:
            l.drain()
        c0 = [cpu(p.pid) for p in f.procs]
        end = now() + CRASH_SECS
        starts = 0
        while True:
            left = end - now()
            if left <= 0:
                break
            ready, _, _ = select.select([l.rd for l in f.listeners], [], [], left)
            for l in f.listeners:
                if l.rd in ready:
                    l.fill()
                    starts += l.buf.count(b"u")
                    l.buf = b""
        c1 = [cpu(p.pid) for p in f.procs]
    finally:
        f.stop()
    n = max(starts, 1)
    used = [sum(b[k] - a[k] for a, b in zip(c0, c1)) / n for k in range(3)]
    return (starts / CRASH_SERVICES, *used)


ROWS = [
    ("(a) private KiB per supervisor, %d up" % SERVICES, "%.1f"),
    ("(b) restart t -> u, median ms", "%.2f"),
    ("(b) restart t -> u, p99 ms", "%.2f"),
    ("(b) restart t -> U (ready), median ms", "%.2f"),
    ("(b) svc -r -wr, median ms", "%.2f"),
    ("(b) svc -r -wr, p99 ms", "%.2f"),
    ("(b) svc -r -wr, runs that hung", "%d"),
    ("(c) restarts per service in %gs" % CRASH_SECS, "%.1f"),
    ("(c) CPU ms per restart, utime+stime", "%.3f"),
    ("(c) CPU ms per restart, schedstat", "%.3f"),
    ("(c) ... children's cutime+cstime", "%.3f"),
]
results = {}


def attempt(name, what, fn, *args):
    try:
        return fn(*args)
    except (Failed, OSError, subprocess.SubprocessError) as e:
        print("  %s %s: failed: %s" % (name, what, e), flush=True)
        return None


for name, exe, svc in IMPLS:
    print("%s: %s" % (name, exe), flush=True)
    r = [None] * len(ROWS)
    r[0] = attempt(name, "memory", bench_memory, name, exe)
    rt = attempt(name, "restart", bench_restart, name, exe)
    if rt:
        r[1], r[2], r[3] = rt[:3]
    if os.access(svc, os.X_OK):
        cl = attempt(name, "client", bench_restart, name, exe, svc)
        if cl:
            r[4], r[5], r[6] = cl[0], cl[1], cl[3]
    else:
        print("  %s: no %s: no client row" % (name, svc))
    cr = attempt(name, "crash loop", bench_crash, name, exe)
    if cr:
        r[7:11] = cr
    results[name] = r

names = [n for n, _, _ in IMPLS]
ratios = [n for n in names if n != "s6" and "s6" in results]
W = 15
head = "%-40s" % "" + "".join("%*s" % (W, n) for n in names)
head += "".join("%*s" % (W, n + "/s6") for n in ratios)
print()
print(head)
for i, (label, fmt) in enumerate(ROWS):
    line = "%-40s" % label
    for n in names:
        v = results[n][i]
        line += "%*s" % (W, fmt % v if v is not None else "n/a")
    for n in ratios:
        a, b = results[n][i], results["s6"][i]
        line += "%*s" % (W, "%.2f" % (a / b) if a is not None and b and "hung" not in label
                         else "n/a")
    print(line)
print("\n(b) %d rounds over %d services; (c) %d services. A client run that hung was killed"
      "\nafter %gs and left out of the timings." %
      (ROUNDS, min(RT_SERVICES, ROUNDS), CRASH_SERVICES, CLIENT_TIMEOUT))
EOF
python3 "$tmp/bench.py" "$tmp" "$@"
