#!/bin/sh
# The short run under valgrind (memcheck): supervise, then svscan, each driven through all of its
# commands, must end with 0 errors, no definitely lost byte and no leaked file descriptor.
# `make soak-valgrind` runs it; not part of `make check`.
#
# 1. supervise under valgrind on one crash-looping service (the program of bench/soak-lib.sh,
#    svNNN-snfl: a random life of up to 400 ms, notification-fd 3, a finish script, 5 lines of
#    output per start; max-death-tally 10 so the tally is cut all along) for SOAK_VALGRIND_SECONDS
#    (60). Through its control FIFO, with bin/svc, it gets: a held-up service (data/hold: run
#    waits for a signal) for p, c, P, C, y, k, t, h, a, i, 1, 2, q, K, r, then d, o, d, u, O, D,
#    U, Q (and k: no restart), U; back to crash-looping until the end, then d and x.
# 2. svscan under valgrind over SOAK_VALGRIND_SERVICES (20) such services (some logged, svlog),
#    with -t 3000, for the same time: svscanctl -a and -z; one service moved out then -h; a logged
#    one moved out then -n; a new one added, the first moved back (same inode), -a; a logged one
#    moved out then -N; one replaced by a new directory of the same name, then -an; SIGHUP and
#    SIGALRM; at last svscanctl -t, and svscan exits by itself (no .s6-svscan/finish). The
#    supervisors it runs are the plain ones (--trace-children=no), but for the first two
#    services and the first one's logger, run under valgrind too by a wrapper in KEEL_BINDIR
#    (logs valgrind-tree-PID.log; the second service is stopped and restarted: one more log).
#    valgrind logs their forked children too: those that died before their exec (a d or a
#    svscanctl -t as the run starts) are judged on their errors only.
#
# valgrind: --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99
# --track-fds=yes --trace-children=no, on the normal (dynamic, -Os) build. Its logs:
# build/soak/valgrind-supervise.log and valgrind-svscan.log (SOAK_OUT=dir to change), and
# the verdicts in valgrind-report.txt. Judged, for each program:
#   - exit status 0 (not 99: valgrind's error exit), "ERROR SUMMARY: 0 errors";
#   - no "definitely lost" (or "no leaks are possible");
#   - the file descriptors open at exit, besides 0 1 2: only those the program holds for its
#     whole life by design, and no more of them: supervise/lock and supervise/control (read and
#     write ends) for supervise, .s6-svscan/lock, .s6-svscan/control twice and its signalfd for
#     svscan (s6 exits with them open too). Any other one is a leak. (valgrind may list the fd
#     of its own log as inherited: ignored.)
#   - every command had its effect (the harness checks the service's start counter and the
#     supervisors as it goes), and the whole tree is gone at the end.
# Runs as root in a private pid namespace (unshare --pid --fork --mount-proc --kill-child), like
# bench/soak.sh. Needs valgrind, python3, unshare and cc. Takes about 2 x SOAK_VALGRIND_SECONDS.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
prog=bench/soak-valgrind.sh
secs=${SOAK_VALGRIND_SECONDS:-60}
services=${SOAK_VALGRIND_SERVICES:-20}
out=${SOAK_OUT:-$top/build/soak}

isnum() { case $1 in '' | *[!0-9]*) return 1 ;; esac; }
isnum "$secs" && [ "$secs" -ge 30 ] || { echo "$prog: SOAK_VALGRIND_SECONDS must be 30 or more" >&2; exit 100; }
isnum "$services" && [ "$services" -ge 8 ] && [ "$services" -le 500 ] ||
    { echo "$prog: SOAK_VALGRIND_SERVICES must be 8 to 500" >&2; exit 100; }
. "$top/bench/soak-lib.sh"
soak_prepare "$prog" soak-vg "valgrind python3 unshare ${CC:-cc}" "svscan supervise svscanctl svc svok svlog"

cat > "$work/vg.py" <<'EOF'
import os, re, resource, signal, subprocess, sys, time

TOP, OUT, WORK, HELPER = sys.argv[1:5]
sys.path.insert(0, WORK)
from soakcommon import flags_of, make_service, private_tmpfs, reap, say
SECS, NSV = int(sys.argv[5]), int(sys.argv[6])
BIN = TOP + "/bin"
now = time.monotonic
VG = ["valgrind", "--tool=memcheck", "--leak-check=full", "--errors-for-leak-kinds=definite",
      "--error-exitcode=99", "--track-fds=yes", "--trace-children=no"]
verdicts = []
report = []


def note(ok, what):
    verdicts.append(ok)
    report.append("%s  %s" % ("PASS" if ok else "FAIL", what))
    say("  %s  %s" % ("PASS" if ok else "FAIL", what))


if os.getpid() != 1:
    sys.exit("bench/soak-valgrind.sh: the harness must be pid 1 of its own pid namespace")
signal.signal(signal.SIGTERM, lambda s, f: sys.exit(130))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # q and a make the service dump core: no file

tree = WORK + "/t"
if not private_tmpfs(tree, "256m"):
    sys.exit("bench/soak-valgrind.sh: unable to mount a tmpfs on " + tree)
exited = {}


def wait_for(what, cond, secs):
    deadline = now() + secs
    while True:
        exited.update(reap())
        if cond():
            return True
        if now() > deadline:
            if what:
                say("  (timed out after %gs waiting for %s)" % (secs, what))
            return False
        time.sleep(0.05)


def pause(secs):
    wait_for(None, lambda: False, secs)


def starts(d):
    try:
        return os.stat(d + "/data/starts").st_size
    except OSError:
        return 0


def run(*argv):
    return subprocess.run(list(argv), stdin=subprocess.DEVNULL).returncode


def svok(d):
    return subprocess.run([BIN + "/svok", d], stdin=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def check_log(name, log, allowed):
    """The verdicts on one valgrind log; allowed = the fds held for life: their paths, or
    "(how)" for one valgrind names by the call that made it."""
    text = open(log, errors="replace").read()
    m = re.findall(r"ERROR SUMMARY: (\d+) errors", text)
    note(len(m) == 1 and m[0] == "0", "%s: valgrind ERROR SUMMARY: %s errors"
         % (name, m[0] if len(m) == 1 else "?(%d summaries)" % len(m)))
    lost = re.findall(r"definitely lost: ([\d,]+) bytes", text)
    note(all(x == "0" for x in lost), "%s: definitely lost: %s" % (
        name, ", ".join(lost) + " bytes" if lost else "none (no leaks are possible)"))
    fds = re.findall(r"Open file descriptor (\d+): ?(.*)\n==\d+==\s+(.*)", text)
    held, extra = [], []
    want = list(allowed)
    for fd, path, how in fds:
        if int(fd) <= 2:
            continue
        if "inherited from parent" in how and os.path.dirname(path) == OUT and \
                os.path.basename(path).startswith("valgrind-"):
            continue  # valgrind's own log, or the valgrind'd parent's
        mine = path if path else next((w for w in want if w.startswith("(") and
                                       w[1:-1] in how), "")
        if mine and mine in want:
            want.remove(mine)
            held.append("%s %s" % (fd, mine))
        else:
            extra.append("%s %s (%s)" % (fd, path or "?", how.strip()))
    line = re.findall(r"FILE DESCRIPTORS: .*", text)
    note(not extra, "%s: fds at exit besides 0 1 2: %s; %s" % (
        name, "; ".join(held) or "none", "leaked: " + "; ".join(extra) if extra else "no other"))
    for l in re.findall(r"==\d+== (?:ERROR SUMMARY|.*definitely lost|All heap blocks|"
                        r"FILE DESCRIPTORS|.*in use at exit).*", text):
        report.append("      " + l)


# 1. supervise
say("== supervise under valgrind, %d s" % SECS)
sv = tree + "/sv000-snfl"
make_service(sv, "snfl", HELPER, BIN)
with open(sv + "/max-death-tally", "w") as fh:
    fh.write("10\n")
log = OUT + "/valgrind-supervise.log"
errf = open(OUT + "/valgrind-supervise.stderr", "wb")
t0 = now()
p = subprocess.Popen(VG + ["--log-file=" + log, BIN + "/supervise", sv], cwd=tree,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf)
note(wait_for("supervise up", lambda: svok(sv) and starts(sv) > 0, 60),
     "supervise started its service")
svc = lambda *letters: run(BIN + "/svc", *["-" + l for l in letters], sv)


def restarted(what, secs=10):
    c = starts(sv)
    return wait_for("a start after " + what, lambda: starts(sv) > c, secs)


# Crash-looping for a while.
pause(SECS * 0.25)
c0 = starts(sv)
note(c0 >= SECS * 0.25 * 0.5, "crash-looping: %d starts in the first %.0f s" % (c0, now() - t0))
# Held up, then every signal command: each one (but p c P C y) kills the run, which restarts.
open(sv + "/data/hold", "w").close()
ok = restarted("data/hold", 10)
for cmd in ("p", "c", "P", "C", "y"):
    svc(cmd)
    pause(0.5)
for cmd in ("k", "t", "h", "a", "i", "1", "2", "q", "K", "r"):
    svc(cmd)
    ok = restarted(cmd) and ok
note(ok, "held up: p c P C y, then k t h a i 1 2 q K r each restarted the service")
# The wanted state.
ok = True
svc("d")
ok = wait_for("down", lambda: not os.path.exists(sv + "/data/hold") or
              open(sv + "/supervise/status", "rb").read()[24:32] == bytes(8), 10) and ok
svc("o")
ok = restarted("o") and ok
svc("d")
pause(1)
svc("u")
ok = restarted("u") and ok
svc("O")
svc("D")
ok = wait_for("the down file", lambda: os.path.exists(sv + "/down"), 5) and ok
svc("U")
ok = wait_for("no down file", lambda: not os.path.exists(sv + "/down"), 5) and ok
ok = restarted("U") and ok
svc("Q")
ok = wait_for("the down file after Q", lambda: os.path.exists(sv + "/down"), 5) and ok
os.unlink(sv + "/data/hold")
c = starts(sv)
svc("k")
pause(2)
ok = starts(sv) == c and ok  # wanted down: no restart
svc("U")
ok = restarted("U again") and ok
note(ok, "d o d u O D U Q (k: no restart) U each had its effect")
# Crash-looping to the end, then down and out.
c1 = starts(sv)
pause(max(SECS * 0.25, SECS - (now() - t0)))
note(starts(sv) > c1, "crash-looping again: %d starts to the end" % (starts(sv) - c1))
svc("d")
svc("x")
note(wait_for("supervise's exit", lambda: p.pid in exited, 60),
     "svc -d -x: supervise exited after %.0f s in all" % (now() - t0))
st = exited.get(p.pid)
note(st is not None and os.waitstatus_to_exitcode(st) == 0,
     "supervise under valgrind: exit status %s" % (os.waitstatus_to_exitcode(st) if st is not None else "-"))
check_log("supervise", log, ["supervise/lock", "supervise/control", "supervise/control"])

# 2. svscan
say("== svscan under valgrind, %d services, %d s" % (NSV, SECS))
scan = tree + "/scan"
away = tree + "/away"
os.mkdir(scan, 0o755)
os.mkdir(away, 0o755)


names = ["sv%03d-%s" % (i, flags_of(i)) for i in range(NSV)]
for n in names:
    make_service(scan + "/" + n, flags_of(int(n[2:5])), HELPER, BIN)
log = OUT + "/valgrind-svscan.log"
errf = open(OUT + "/valgrind-svscan.stderr", "wb")
# svscan runs supervise from KEEL_BINDIR: there, a wrapper runs the first two services' (and
# the first one's logger's) under valgrind too, the others' natively.
wrap = WORK + "/bin"
os.mkdir(wrap, 0o755)
for e in os.listdir(BIN):
    if e != "supervise":
        os.symlink(BIN + "/" + e, wrap + "/" + e)
traced = names[:2]
with open(wrap + "/supervise", "w") as fh:
    fh.write("#!/bin/sh\ncase $1 in\n%s)\n    exec %s --log-file=%s/valgrind-tree-%%p.log %s/supervise \"$@\" ;;\n"
             "esac\nexec %s/supervise \"$@\"\n"
             % ("|".join(traced + [traced[0] + "/log"]), " ".join(VG), OUT, BIN, BIN))
os.chmod(wrap + "/supervise", 0o755)
for f in os.listdir(OUT):
    if f.startswith("valgrind-tree-"):
        os.unlink(OUT + "/" + f)
env = dict(os.environ, KEEL_BINDIR=wrap)
t0 = now()
p = subprocess.Popen(VG + ["--log-file=" + log, BIN + "/svscan", "-C", str(2 * NSV + 20),
                           "-t", "3000", scan], cwd=tree, env=env,
                     stdin=subprocess.DEVNULL, stdout=errf, stderr=errf)


def all_supervised(ds):
    return all(svok(d) for d in ds)


def ps():
    """{pid: (comm, ppid, argv)} of the namespace."""
    r = {}
    for e in os.listdir("/proc"):
        if e.isdigit():
            try:
                s = open("/proc/%s/stat" % e).read()
                a = open("/proc/%s/cmdline" % e).read().split("\0")
            except OSError:
                continue
            r[int(e)] = (s[s.index("(") + 1:s.rindex(")")], int(s[s.rindex(")") + 2:].split()[1]), a)
    return r


def sup_name(comm, argv):
    """The NAME of a supervise NAME process (also one under valgrind), else None."""
    if comm == "supervise" and len(argv) > 1:
        return argv[1]
    if comm.startswith("memcheck"):
        for i, a in enumerate(argv[:-1]):
            if a.endswith("/supervise"):
                return argv[i + 1]
    return None


def sups_of(name):
    return [q for q, (cm, _, ar) in ps().items() if sup_name(cm, ar) == name]


def supervising(name):
    """True if a supervise NAME process runs."""
    return bool(sups_of(name))


logged = [n for n in names if n.endswith("l")]
dirs = [scan + "/" + n for n in names] + [scan + "/" + n + "/log" for n in logged]
note(wait_for("every service supervised", lambda: all_supervised(dirs), 60),
     "svscan started %d supervisors" % len(dirs))
pause(SECS * 0.2)
ok = run(BIN + "/svscanctl", "-a", scan) == 0 and run(BIN + "/svscanctl", "-z", scan) == 0
note(ok, "svscanctl -a, -z")
plain = [n for n in names if not n.endswith("l")]
# One moved out, then h: its supervisor stops.
a = plain[0]
os.rename(scan + "/" + a, away + "/" + a)
run(BIN + "/svscanctl", "-h", scan)
note(wait_for("supervise %s gone" % a, lambda: not supervising(a), 20),
     "%s moved out, svscanctl -h: its supervise stopped" % a)
# A logged one moved out, then n: both supervisors stop (the logger at EOF).
b = logged[1]
os.rename(scan + "/" + b, away + "/" + b)
run(BIN + "/svscanctl", "-an", scan)
note(wait_for("supervise %s gone" % b, lambda: not supervising(b) and not supervising(b + "/log"), 20),
     "%s (logged) moved out, svscanctl -an: both supervisors stopped" % b)
# A new one, and the first one back (the same inode): -a starts both.
new = "sv%03d-snf" % (NSV + 1)
make_service(scan + "/" + new, "snf", HELPER, BIN)
os.rename(away + "/" + a, scan + "/" + a)
run(BIN + "/svscanctl", "-a", scan)
note(wait_for("new ones supervised", lambda: supervising(new) and supervising(a), 20),
     "%s added and %s moved back, svscanctl -a: both supervised" % (new, a))
# Another logged one moved out, then N (the logger's supervisor gets SIGTERM too).
c = logged[2] if len(logged) > 2 else logged[0]
os.rename(scan + "/" + c, away + "/" + c)
run(BIN + "/svscanctl", "-aN", scan)
note(wait_for("supervise %s gone" % c, lambda: not supervising(c) and not supervising(c + "/log"), 20),
     "%s (logged) moved out, svscanctl -aN: both supervisors stopped" % c)
# One replaced by a new directory of the same name: a new service; -an stops the old one.
d = plain[1]
old = sups_of(d)
os.rename(scan + "/" + d, away + "/" + d)
make_service(scan + "/" + d, "i", HELPER, BIN)
run(BIN + "/svscanctl", "-an", scan)
def replaced():
    now_sups = sups_of(d)
    return len(old) == 1 and len(now_sups) == 1 and now_sups[0] not in old


note(wait_for("the new %s" % d, replaced, 20),
     "%s replaced by a new directory, svscanctl -an: a new supervisor, the old one gone" % d)
# The signals.
os.kill(p.pid, signal.SIGHUP)
os.kill(p.pid, signal.SIGALRM)
pause(max(1.0, SECS - (now() - t0)))
live = [n for n in names if os.path.isdir(scan + "/" + n)] + [new]
note(p.pid not in exited and all(supervising(n) for n in live),
     "SIGHUP, SIGALRM, %.0f s in all: svscan and every supervisor still there" % (now() - t0))
run(BIN + "/svscanctl", "-t", scan)
note(wait_for("svscan's exit", lambda: p.pid in exited, 60), "svscanctl -t: svscan exited")
st = exited.get(p.pid)
note(st is not None and os.waitstatus_to_exitcode(st) == 0,
     "svscan under valgrind: exit status %s" % (os.waitstatus_to_exitcode(st) if st is not None else "-"))
note(wait_for("an empty namespace", lambda: not [q for q in ps() if q != 1], 20),
     "the whole tree is gone")
check_log("svscan", log, [".s6-svscan/lock", ".s6-svscan/control", ".s6-svscan/control",
                          "(signalfd)"])
# valgrind also writes a log for every child a traced supervise forks (with %p in --log-file):
# the supervise processes are those whose parent is svscan; a child that execs ./run or ./finish
# leaves only the header, one killed before its exec (a d as it starts) a summary with the
# parent's fds, as they are between fork and exec. Children are judged on their errors only.
sups, forks, killed = [], 0, []
for f in sorted(os.listdir(OUT)):
    if f.startswith("valgrind-tree-"):
        text = open(OUT + "/" + f, errors="replace").read()
        parent = re.search(r"Parent PID: (\d+)", text)
        if parent and int(parent.group(1)) == p.pid:
            sups.append(f)
        elif "ERROR SUMMARY" not in text:
            forks += 1
        else:
            killed.append(f)
note(len(sups) >= len(traced) + 1, "%d supervise processes run by svscan under valgrind (%s); "
     "%d children forked by them exec'd, %d died before" % (
         len(sups), " ".join(traced + [traced[0] + "/log"]), forks, len(killed)))
for f in sups:
    check_log("svscan's supervise (%s)" % f, OUT + "/" + f,
              ["supervise/lock", "supervise/control", "supervise/control"])
for f in killed:
    m = re.findall(r"ERROR SUMMARY: (\d+) errors", open(OUT + "/" + f, errors="replace").read())
    note(m == ["0"], "a child of supervise that died before its exec (%s): ERROR SUMMARY: %s"
         " errors" % (f, m[0] if len(m) == 1 else "?"))

ok = all(verdicts)
text = "keel soak-valgrind: %s, %d s each, %d services for svscan; load average %s\n" % (
    subprocess.run(["valgrind", "--version"], capture_output=True, text=True).stdout.strip(),
    SECS, NSV, " ".join(open("/proc/loadavg").read().split()[:3]))
text += "\n".join(report) + "\nRESULT: " + ("PASS" if ok else "FAIL") + "\n"
with open(OUT + "/valgrind-report.txt", "w") as fh:
    fh.write(text)
say("")
print(text, end="", flush=True)
sys.exit(0 if ok else 1)
EOF

echo "$prog: logs in $out (valgrind-*.log, valgrind-report.txt)"
soak_in_namespace "$work/vg.py" "$secs" "$services"
