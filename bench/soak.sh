#!/bin/sh
# The long run: one keel svscan over SOAK_SERVICES (200) crash-looping services for SOAK_MINUTES
# (10), to show that nothing grows. Every supervise restarts its service about once a second for
# the whole run; the harness samples the tree every SOAK_SAMPLE_SECS (10) and compares the first
# minute with the last one. Not part of `make check`: `make soak` runs it.
#
# The services (service i, named svNNN-FLAGS, its run and finish a symlink to one tiny static C
# program, bench/soak-lib.sh, which reads its behaviour from the FLAGS of its name):
#   every one   appends a byte to data/starts at each start (the start counter) and dies: exit
#               0, 1 or 2, or one time in 8 SIGTERM, one in 8 SIGKILL (random);
#   i / s       odd i (s) lives a random 0-400 ms first, even i (i) exits at once: the restart
#               comes 1 s after the death (supervise's throttle), so about 60 or 50 starts a
#               minute;
#   n           i % 3 == 0: notification-fd 3, and run writes its readiness newline on it 3 times
#               in 4 (the 4th dies without: EOF on the notification pipe);
#   f           i % 4 >= 2: a finish script too (the same program: appends to data/finishes);
#   l           i % 5 == 0: a log/ service, `svlog t n3 s4096 ./main` (a #!/bin/sh run that execs
#               it), and run writes 5 lines to it per start, so the logdir rotates every 15 s or
#               so and drops archives from the first minute on.
# svscan gets -t SOAK_RESCAN ms (2000): the scan code runs all along too.
#
# It all runs in a private pid namespace, the harness (python3) its pid 1: `unshare --pid --fork
# --mount-proc --kill-child`, so when the harness ends, however it ends, the kernel kills every
# process of the tree, and the host's processes are never touched. The scan directory is a tmpfs
# mounted in the namespace's private mount table (gone with it too).
#
# Figures, sampled every SOAK_SAMPLE_SECS from t = 0 (svscan started), the first minute (0, 60]
# against the last minute (T-60, T], for svscan, every supervise (sum, max, worst growth of one
# process) and every svlog:
#   VmRSS       /proc/PID/status, the largest value seen in the window;
#   Pss, Private_Dirty    /proc/PID/smaps_rollup, the same way (Pss depends on how many other
#               processes map the same pages: shown, not judged);
#   fds         entries of /proc/PID/fd; each sample is the smallest of 3 reads 0.15 s apart (a
#               supervise holds the notification pipe only while its service is up) and the
#               window's figure the smallest sample: the process's steady count; the largest
#               read is shown too;
#   CPU         utime + stime (/proc/PID/stat), ms used in the minute; and the same from the
#               first field of /proc/PID/schedstat (ns on CPU: finer than stat's 10 ms ticks);
#   starts      bytes of every data/starts; finishes likewise.
# PASS needs all of:
#   - for every process measured in both windows, VmRSS and Private_Dirty end <= start + 4 KiB
#     (one page of page-cache noise), and fds end == start;
#   - the service starts of the last minute >= 80% of the expected count (each service: 60 / (1
#     + its mean life) a minute; a service made ready restarts 1 s after readiness, sooner), and
#     every single service started at least half its expected count in the last minute;
#   - svscan alive to the end, no supervise restarted (the same pids at the end), and after
#     `svscanctl -t` the whole tree gone within 30 s.
# Otherwise FAIL, and the exit status is 1 (100: usage or missing programs, 111: the harness could
# not run). The table goes to stdout and to build/soak/report.txt (SOAK_OUT=dir to change),
# with the raw samples in samples.txt and the tree's stderr in tree.log next to it.
#
# Run: make soak, or sh bench/soak.sh, as root (the namespace and the tmpfs); needs python3,
# unshare (util-linux) and cc; uses bin/svscan, bin/supervise, bin/svscanctl and bin/svlog of this
# build. Quicker: SOAK_MINUTES=2 SOAK_SERVICES=50 sh bench/soak.sh. The machine's load is printed
# at start and end: other jobs slow the restarts down, not the memory figures.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
prog=bench/soak.sh
minutes=${SOAK_MINUTES:-10}
services=${SOAK_SERVICES:-200}
rescan=${SOAK_RESCAN:-2000}
every=${SOAK_SAMPLE_SECS:-10}
out=${SOAK_OUT:-$top/build/soak}

isnum() { case $1 in '' | *[!0-9]*) return 1 ;; esac; }
isnum "$minutes" && [ "$minutes" -ge 2 ] || { echo "$prog: SOAK_MINUTES must be 2 or more" >&2; exit 100; }
isnum "$services" && [ "$services" -ge 1 ] && [ "$services" -le 5000 ] ||
    { echo "$prog: SOAK_SERVICES must be 1 to 5000" >&2; exit 100; }
isnum "$rescan" || { echo "$prog: SOAK_RESCAN must be a number of ms" >&2; exit 100; }
case $every in 1 | 2 | 3 | 4 | 5 | 6 | 10 | 12 | 15 | 20 | 30) ;;
*) echo "$prog: SOAK_SAMPLE_SECS must divide 60 (1 to 30)" >&2; exit 100 ;;
esac
. "$top/bench/soak-lib.sh"
soak_prepare "$prog" soak "python3 unshare ${CC:-cc}" "svscan supervise svscanctl svlog"

cat > "$work/soak.py" <<'EOF'
import os, signal, subprocess, sys, time

TOP, OUT, WORK, HELPER = sys.argv[1:5]
sys.path.insert(0, WORK)
from soakcommon import flags_of, make_service, private_tmpfs, read, reap, say
MINUTES, NSV, RESCAN, EVERY = (int(x) for x in sys.argv[5:9])
BIN = TOP + "/bin"
T = MINUTES * 60
TICK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
now = time.monotonic
SHORT_MEAN = 0.2  # the mean life of an s service, in s
STOP_SECS = 30


def die(msg, code=111):
    say("bench/soak.sh: fatal: " + msg)
    sys.exit(code)


if os.getpid() != 1:
    die("the harness must be pid 1 of its own pid namespace")
stop_asked = []
signal.signal(signal.SIGTERM, lambda s, f: stop_asked.append(s))
signal.signal(signal.SIGINT, lambda s, f: stop_asked.append(s))

# The scan directory on a tmpfs of this namespace only.
tree = WORK + "/t"
if not private_tmpfs(tree, "512m"):
    die("unable to mount a tmpfs on " + tree)
scan = tree + "/scan"
os.mkdir(scan, 0o755)


names = []
for i in range(NSV):
    names.append("sv%03d-%s" % (i, flags_of(i)))
    make_service(scan + "/" + names[-1], flags_of(i), HELPER, BIN)


def expected_per_min(name):
    return 60.0 / (1.0 + (SHORT_MEAN if "-s" in name else 0.0))


def count(name, what):
    try:
        return os.stat("%s/%s/data/%s" % (scan, name, what)).st_size
    except OSError:
        return 0


# /proc readers. Every one returns None when the process is gone.
def stat_of(pid):
    s = read("/proc/%d/stat" % pid)
    if s is None:
        return None
    head, rest = s.rsplit(")", 1)
    f = rest.split()
    # after the comm: state ppid ... utime (11) stime (12)
    return head.split("(", 1)[1], int(f[1]), (int(f[11]) + int(f[12])) * 1000 // TICK


def kib(text, key):
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def mem(pid):
    st, sm = read("/proc/%d/status" % pid), read("/proc/%d/smaps_rollup" % pid)
    if st is None or sm is None:
        return None
    return kib(st, "VmRSS"), kib(sm, "Pss"), kib(sm, "Private_Dirty")


def nfds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def cmdline(pid):
    c = read("/proc/%d/cmdline" % pid)
    return c.split("\0")[1] if c and c.count("\0") >= 2 else "?"


def processes():
    ps = {}
    for e in os.listdir("/proc"):
        if e.isdigit():
            s = stat_of(int(e))
            if s:
                ps[int(e)] = s
    return ps


def sample(svscan, t):
    """One sample: {pid: (role, name, rss, pss, pd, fdmin, fdmax, cpu, oncpu)}, starts,
    finishes."""
    ps = processes()
    sups = [p for p, (comm, ppid, _) in ps.items() if ppid == svscan and comm == "supervise"]
    logs = [p for p, (comm, ppid, _) in ps.items() if comm == "svlog" and ppid in sups]
    roles = [(svscan, "svscan", "svscan")] + [(p, "supervise", cmdline(p)) for p in sups] \
        + [(p, "svlog", cmdline(ps[p][1]) if ps[p][1] in ps else "?") for p in logs]
    fds = {}
    for k in range(3):
        if k:
            time.sleep(0.15)
        for p, _, _ in roles:
            n = nfds(p)
            if n is not None:
                fds.setdefault(p, []).append(n)
    procs = {}
    for p, role, name in roles:
        m, s, o = mem(p), stat_of(p), read("/proc/%d/schedstat" % p)
        if m is None or s is None or o is None or p not in fds:
            continue
        procs[p] = (role, name, *m, min(fds[p]), max(fds[p]), s[2], int(o.split()[0]) // 1000000)
    starts = {n: count(n, "starts") for n in names}
    finishes = sum(count(n, "finishes") for n in names)
    return {"t": t, "procs": procs, "starts": starts, "finishes": finishes}


def loadavg():
    return (read("/proc/loadavg") or "?").split(" ")[:3]


os.makedirs(OUT, exist_ok=True)
treelog = open(OUT + "/tree.log", "wb")
env = dict(os.environ, KEEL_BINDIR=BIN)
load0 = loadavg()
say("soak: %d services for %d min, svscan -t %d, a sample every %d s; load average %s"
    % (NSV, MINUTES, RESCAN, EVERY, " ".join(load0)))
t0 = now()
# Popen kept: a forgotten one would reap svscan behind our back.
svp = subprocess.Popen([BIN + "/svscan", "-C", str(2 * NSV + 10), "-t", str(RESCAN), scan],
                       stdin=subprocess.DEVNULL, stdout=treelog, stderr=treelog, env=env,
                       start_new_session=True)
svscan = svp.pid
samples = []
dead = None
k = 0
while True:
    t = k * EVERY
    while now() - t0 < t and not stop_asked:
        time.sleep(min(0.5, t - (now() - t0)))
    if stop_asked:
        break
    dead = reap().get(svscan)
    if dead is not None:
        break
    samples.append(sample(svscan, t))
    s = samples[-1]
    if t % 60 == 0 and t:
        say("  t=%4ds: %d supervise, %d svlog, %d starts, load %s" % (
            t, sum(1 for v in s["procs"].values() if v[0] == "supervise"),
            sum(1 for v in s["procs"].values() if v[0] == "svlog"),
            sum(s["starts"].values()), " ".join(loadavg())))
    if t >= T:
        break
    k += 1
load1 = loadavg()

# Stop the tree: svscanctl -t, then everything must be gone.
stopped, left, shutdown = False, -1, None
if dead is None and not stop_asked:
    ts = now()
    subprocess.run([BIN + "/svscanctl", "-t", scan], stdin=subprocess.DEVNULL)
    while now() - ts < STOP_SECS:
        st = reap().get(svscan)
        if st is not None:
            dead = st
        if dead is not None:
            left = len([p for p in processes() if p != 1])
            if left == 0:
                break
        time.sleep(0.1)
    shutdown = now() - ts
    stopped = dead is not None and left == 0

with open(OUT + "/samples.txt", "w") as fh:
    fh.write("# t role pid name VmRSS Pss Private_Dirty fdmin fdmax cpu_ms oncpu_ms"
             " | t total starts N finishes N\n")
    for s in samples:
        for p, v in sorted(s["procs"].items()):
            fh.write("%d %s %d %s %d %d %d %d %d %d %d\n" % (s["t"], v[0], p, v[1], *v[2:]))
        fh.write("%d total starts %d finishes %d\n" % (s["t"], sum(s["starts"].values()),
                                                     s["finishes"]))

if stop_asked:
    die("stopped by a signal", 130)
if not samples or samples[-1]["t"] < T:
    die("svscan died at t=%ds (wait status %s): see %s/tree.log"
        % (samples[-1]["t"] if samples else 0, dead, OUT), 1)

# The windows: (0, 60] and (T-60, T]; cpu and starts from the samples at 0, 60, T-60, T.
first = [s for s in samples if 0 < s["t"] <= 60]
last = [s for s in samples if T - 60 < s["t"] <= T]
at = {s["t"]: s for s in samples}
s0, s60, sT60, sT = at[0], at[60], at[T - 60], at[T]


def window(ws, pid, i, agg):
    vals = [s["procs"][pid][i] for s in ws if pid in s["procs"]]
    return agg(vals) if vals else None


RSS, PSS, PD, FDMIN, FDMAX, CPU, ONCPU = 2, 3, 4, 5, 6, 7, 8
rows, verdicts = [], []


def cpu_min(pid, a, b, i=CPU):
    ca = a["procs"][pid][i] if pid in a["procs"] else 0
    return b["procs"][pid][i] - ca if pid in b["procs"] else 0


def group(role):
    """Per-process first/last figures for the processes of role seen in both windows."""
    pids = [p for p in sT["procs"] if sT["procs"][p][0] == role
            and any(p in s["procs"] for s in first)]
    per = {}
    for p in pids:
        per[p] = {
            "name": sT["procs"][p][1],
            "rss": (window(first, p, RSS, max), window(last, p, RSS, max)),
            "pss": (window(first, p, PSS, max), window(last, p, PSS, max)),
            "pd": (window(first, p, PD, max), window(last, p, PD, max)),
            "fd": (window(first, p, FDMIN, min), window(last, p, FDMIN, min)),
            "fdmax": (window(first, p, FDMAX, max), window(last, p, FDMAX, max)),
            "cpu": (cpu_min(p, s0, s60), cpu_min(p, sT60, sT)),
            "oncpu": (cpu_min(p, s0, s60, ONCPU), cpu_min(p, sT60, sT, ONCPU)),
        }
    return per


def line(label, a, b, verdict=""):
    rows.append((label, a, b, verdict))


def judge(role, per):
    n = len(per)
    if not n:
        line(role + ": none measured", "", "", "")
        return
    tag = role if role == "svscan" else "%s (%d)" % (role, n)

    def worst(key):
        p = max(per, key=lambda p: per[p][key][1] - per[p][key][0])
        return p, per[p][key][1] - per[p][key][0]

    for key, label, tol in (("rss", "VmRSS KiB", PAGE_KIB), ("pd", "Private_Dirty KiB", PAGE_KIB),
                            ("pss", "Pss KiB", None), ("fd", "fds (steady)", 0),
                            ("fdmax", "fds (largest read)", None), ("cpu", "CPU ms/minute", None),
                            ("oncpu", "CPU ms/minute, schedstat", None)):
        a = sum(v[key][0] for v in per.values())
        b = sum(v[key][1] for v in per.values())
        if tol is None:
            v = "(shown)"
        else:
            bad = [p for p in per if (per[p][key][1] > per[p][key][0] + tol if key != "fd"
                                      else per[p][key][1] != per[p][key][0])]
            v = "PASS" if not bad else "FAIL (%d: %s)" % (len(bad), per[bad[0]]["name"])
            verdicts.append(v == "PASS")
        if n == 1:
            line("%s %s" % (tag, label), a, b, v)
            continue
        line("%s %s, sum" % (tag, label), a, b, v)
        line("%s %s, max" % (tag, label), max(v[key][0] for v in per.values()),
             max(v[key][1] for v in per.values()))
        if key not in ("cpu", "oncpu", "fdmax"):
            p, g = worst(key)
            line("%s %s, worst growth" % (tag, label), "", "%+d" % g, "(%s)" % per[p]["name"])


judge("svscan", group("svscan"))
sup = group("supervise")
judge("supervise", sup)
judge("svlog", group("svlog"))

# The restarts.
st_first = sum(s60["starts"].values()) - sum(s0["starts"].values())
st_last = sum(sT["starts"].values()) - sum(sT60["starts"].values())
expect = sum(expected_per_min(n) for n in names)
ok_rate = st_last >= 0.8 * expect
line("service starts in the minute (expected %.0f)" % expect, st_first, st_last,
     "PASS" if ok_rate else "FAIL (< 80%)")
per_last = {n: sT["starts"][n] - sT60["starts"][n] for n in names}
slow = [n for n in names if per_last[n] < 0.5 * expected_per_min(n)]
lo = min(names, key=lambda n: per_last[n])
per_first = {n: s60["starts"][n] - s0["starts"][n] for n in names}
line("slowest service's starts in the minute", min(per_first.values()), per_last[lo],
     "PASS" if not slow else "FAIL (%d below half: %s)" % (len(slow), slow[0]))
line("finish runs in the minute", s60["finishes"] - s0["finishes"],
     sT["finishes"] - sT60["finishes"], "(shown)")
verdicts += [ok_rate, not slow]
restarted = [p for p in s60["procs"] if s60["procs"][p][0] == "supervise" and p not in sT["procs"]]
n60 = sum(1 for v in s60["procs"].values() if v[0] == "supervise")
nT = sum(1 for v in sT["procs"].values() if v[0] == "supervise")
line("supervise processes (same pids at the end)", n60, nT,
     "PASS" if not restarted and n60 == nT else "FAIL (%d gone)" % len(restarted))
verdicts.append(not restarted and n60 == nT)
line("tree gone after svscanctl -t (s)", "", "%.1f" % shutdown if shutdown is not None else "-",
     "PASS" if stopped else "FAIL (%s processes left)" % left)
verdicts.append(stopped)
total = sum(sT["starts"].values())
ok = all(verdicts)

uname = os.uname()
out = []
out.append("keel soak: %d services, %d minutes, svscan -t %d, samples every %d s"
           % (NSV, MINUTES, RESCAN, EVERY))
out.append("%s %s, %d CPUs, %s; build: %s" % (
    uname.sysname, uname.release, os.cpu_count(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    (read(TOP + "/build/flags") or "?").strip()))
out.append("load average at start %s, at end %s (other jobs share the machine)"
           % (" ".join(load0), " ".join(load1)))
out.append("total service starts %d (%.2f a second per service), finish runs %d"
           % (total, total / NSV / T, sT["finishes"]))
out.append("")
w = max(len(r[0]) for r in rows) + 2
out.append("%-*s %12s %12s   %s" % (w, "figure", "first min", "last min", "verdict"))
for label, a, b, v in rows:
    out.append("%-*s %12s %12s   %s" % (w, label, a, b, v))
out.append("")
out.append("Memory: the largest sample of each window; fds: the steady count (smallest read);")
out.append("growth is judged per process: VmRSS and Private_Dirty within %d KiB, fds equal." % PAGE_KIB)
out.append("RESULT: " + ("PASS" if ok else "FAIL"))
text = "\n".join(out) + "\n"
with open(OUT + "/report.txt", "w") as fh:
    fh.write(text)
say("")
say(text, end="")
sys.exit(0 if ok else 1)
EOF

echo "$prog: results in $out (report.txt, samples.txt, tree.log)"
soak_in_namespace "$work/soak.py" "$minutes" "$services" "$rescan" "$every"
