#!/bin/sh
# The logger, keel's svlog against s6-log, multilog and svlogd, side by side in one run:
# SIZE_MB (200) MB of 100-byte lines (MB = 10^6 bytes: 10^4 distinct numbered lines a MB)
# through the script `t s1000000 n20 ./d` and through `s1000000 n20 ./d` (no timestamps), with
# `cat > file` as the limit. Per implementation and script:
#   MB/s          input size / wall time, from just before the logger is spawned to its exit
#                 (it exits at EOF, after writing, fsync()ing and closing everything);
#   CPU s/100MB   the logger's user + system CPU time (rusage from wait4() of its pid: its own,
#                 not the producer's), per 100 MB of input;
# the median of REPS (3) runs of each, the implementations in turn within each repetition (the
# first one rotates), and the ratios to s6-log and to cat.
# The input is generated once, in a file on each file system measured (FS, "/tmp /dev/shm": a
# disk and a tmpfs here), beside the log directories, and fed one way or two (FEEDS, "file"):
#   file   the logger's stdin is the file itself (measures the logger alone);
#   pipe   `cat FILE | logger`, as loggers run (cat's CPU is not counted; the wall time is until
#          the logger's exit). FEEDS="file pipe" gives both, in twice the time.
# The same script for every implementation: keel's svlog, s6-log and daemontools' multilog take
# it as arguments (multilog's `t` is the same TAI64N stamp); runit's svlogd takes `s1000000`
# and `n20` in d/config and `-t` on its command line (-t is its TAI64N stamp, the equivalent of
# `t`: -tt and -ttt are human-readable UTC stamps), and runs with its default 1024-byte buffer
# (-b), as a stock svlogd does. `cat > file` writes one file, never rotates and never fsync()s,
# while every logger fsync()s each 1 MB archive and its current at exit: on a disk file system
# the limit is optimistic, so a last row, cat+fsync, adds one fsync() of the file at the end
# (done by the harness, its time counted: the disk's own limit, for the same bytes written once;
# its CPU is cat's plus the harness's during the fsync(), without the kernel's writeback threads).
# Checked after every run (a run that fails a check is reported and left out): exit status 0;
# the logdir holds only lock/state/config, current and archives named @<24 hex>.s; it keeps as
# many archives as its n20 means (20; multilog's n counts current, so 19), unless the input
# never filled them; the kept files, oldest archive first and current last, with the `t` stamps
# (`@` + 24 hex digits + space, on every line) taken off, are byte for byte the tail of the
# input, beginning at a line boundary: no line lost, doubled, reordered or split within what was
# kept, and the last line is there. Since n20 keeps only ~20 MB of 200, a separate unmeasured
# check first (CHECK=1, on the first file system, from the file) runs each implementation on
# the whole input with both scripts and n1000 (svlogd: n0, no limit): everything kept must be
# byte for byte the whole input. cat's file must equal the input.
#
# Run: sh bench/svlog.sh (or make bench). Needs python3 (the harness) and, for their columns,
# s6-log (Debian's s6), multilog (daemontools) and svlogd (runit) in PATH; columns whose programs
# are missing are skipped; keel's needs bin/svlog. svlogd from runit's package without
# installing it (its postinst would start runsvdir):
#   apt-get download runit && dpkg-deb -x runit_*.deb /tmp/runit &&
#   SVLOGD=/tmp/runit/usr/bin/svlogd sh bench/svlog.sh
# With the defaults it takes about 5 minutes on 2 CPUs (the disk's speed decides); quicker:
#   SIZE_MB=20 REPS=1 CHECK=0 sh bench/svlog.sh          (or FS=/dev/shm for one file system)
# A run still going after TIMEOUT (30 + SIZE_MB / 2) seconds is killed and reported as failed.
# Static build (the STATIC=1 target): KEEL_STATIC_BIN=/dir/with/static/bin, or
# KEEL_BUILD_STATIC=1 to build one here in a private copy of the sources, never touching the
# main tree. By hand, the same thing:
#   mkdir /tmp/keel-static && cp -r Makefile lib tools /tmp/keel-static/ &&
#   make -C /tmp/keel-static STATIC=1 bin/svlog
#   KEEL_STATIC_BIN=/tmp/keel-static/bin sh bench/svlog.sh
# Figures vary with load and, on a disk, with its writeback: run on an otherwise idle machine.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
command -v python3 >/dev/null 2>&1 || { echo "bench/svlog.sh: needs python3" >&2; exit 100; }

# One scratch directory per file system measured.
dirs=
build=
harness=
cleanup() {
    set +e
    [ -z "$harness" ] || { kill -TERM "$harness" 2>/dev/null; wait "$harness"; }
    for d in $dirs; do
        for p in /proc/[0-9]*; do
            case $(readlink "$p/cwd" 2>/dev/null) in
            "$d"/*) kill -9 "${p#/proc/}" 2>/dev/null ;;
            esac
        done
        rm -rf "$d"
    done
    [ -z "$build" ] || rm -rf "$build"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for fs in ${FS:-/tmp /dev/shm}; do
    if [ -d "$fs" ] && [ -w "$fs" ]; then
        d=$(mktemp -d "$fs/keel-bench-log.XXXXXX")
        dirs="$dirs $d"
    else
        echo "($fs: not a writable directory: skipped)"
    fi
done
[ -n "$dirs" ] || { echo "no file system to measure"; exit 0; }

if [ -z "${KEEL_STATIC_BIN:-}" ] && [ "${KEEL_BUILD_STATIC:-}" = 1 ]; then
    build=$(mktemp -d "${TMPDIR:-/tmp}/keel-bench-static.XXXXXX")
    echo "(building a STATIC=1 svlog in $build)"
    cp -r "$top/Makefile" "$top/lib" "$top/tools" "$build/"
    rm -f "$build/lib/libkeel.a"
    make -s -C "$build" STATIC=1 bin/svlog >/dev/null
    KEEL_STATIC_BIN=$build/bin
fi

# NAME=KIND:PROGRAM for each implementation present. KIND: s6 (the script as arguments),
# multilog (the same, n counts current), svlogd (config file), cat.
set --
if [ -x "$top/bin/svlog" ]; then
    set -- "$@" "svlog=s6:$top/bin/svlog"
else
    echo "(no bin/svlog: no svlog column; build it with make bin/svlog)"
fi
if [ -n "${KEEL_STATIC_BIN:-}" ]; then
    if [ -x "$KEEL_STATIC_BIN/svlog" ]; then
        set -- "$@" "svlog-static=s6:$KEEL_STATIC_BIN/svlog"
    else
        echo "(no $KEEL_STATIC_BIN/svlog: no svlog-static column)"
    fi
fi
if command -v s6-log >/dev/null 2>&1; then
    set -- "$@" "s6-log=s6:$(command -v s6-log)"
else
    echo "(s6 not installed: no s6-log column, no ratios to it)"
fi
if command -v multilog >/dev/null 2>&1; then
    set -- "$@" "multilog=multilog:$(command -v multilog)"
else
    echo "(daemontools not installed: no multilog column)"
fi
svlogd=${SVLOGD:-$(command -v svlogd || true)}
if [ -n "$svlogd" ] && [ -x "$svlogd" ]; then
    set -- "$@" "svlogd=svlogd:$svlogd"
else
    echo "(runit not installed: no svlogd column; SVLOGD=/path/to/svlogd to give one)"
fi
set -- "$@" "cat=cat:$(command -v cat)" "cat+fsync=catsync:$(command -v cat)"

echo "logger bench: $(uname -sr), $(nproc) CPUs, $(date -u '+%Y-%m-%d %H:%M UTC')"
if command -v dpkg-query >/dev/null 2>&1; then
    for p in s6 daemontools runit; do
        v=$(dpkg-query -W -f '${Version}' "$p" 2>/dev/null || true)
        [ -z "$v" ] || echo "$p $v"
    done
fi

py=$(echo $dirs | cut -d' ' -f1)/bench.py
cat > "$py" <<'EOF'
import os, re, resource, signal, statistics, subprocess, sys, time

DIRS = sys.argv[1].split()
IMPLS = [(a.split("=", 1)[0], *a.split("=", 1)[1].split(":", 1)) for a in sys.argv[2:]]
SIZE_MB = int(os.environ.get("SIZE_MB", "200"))
REPS = int(os.environ.get("REPS", "3"))
FEEDS = os.environ.get("FEEDS", "file").split()
CHECK = os.environ.get("CHECK", "1") == "1"
if set(FEEDS) - {"file", "pipe"}:
    sys.exit("bench/svlog.sh: FEEDS: only file and pipe")
LINES = SIZE_MB * 10000
SIZE = LINES * 100
S, N = 1000000, 20
SCRIPTS = [("t", "t s%d n%d ./d" % (S, N)), ("", "s%d n%d ./d" % (S, N))]
ARCHIVE = re.compile(r"@[0-9a-f]{24}\.s\Z")
STAMP = re.compile(rb"^@[0-9a-f]{24} ", re.M)
CATS = {"cat": "cat > file", "catsync": "cat > file; fsync"}
now = time.monotonic


class Failed(Exception):
    pass


class Timeout(Exception):
    pass


def alarm(sig, frame):
    raise Timeout()


signal.signal(signal.SIGALRM, alarm)
TIMEOUT = int(os.environ.get("TIMEOUT", str(30 + SIZE_MB // 2)))


def make_input(path):
    """LINES distinct numbered lines of exactly 100 bytes."""
    fill = b" svc[4242]: info: request served in 17 ms, status 200, path /api/v1/items/"
    with open(path, "wb", buffering=1 << 20) as f:
        for base in range(0, LINES, 10000):
            f.write(b"".join(b"%010d%s%015d\n" % (i, fill, i * 7919 % 10**15)
                             for i in range(base, min(base + 10000, LINES))))
        f.flush()
        os.fsync(f.fileno())  # written back now, not during the first runs
    assert os.path.getsize(path) == SIZE


def setup(kind, exe, t, n):
    """argv and the logdir's preparation for a run in the current directory."""
    if kind in CATS:
        return [exe]
    if kind == "svlogd":
        os.mkdir("d")
        with open("d/config", "w") as f:
            f.write("s%d\nn%d\n" % (S, n))
        return [exe] + (["-t"] if t else []) + ["d"]
    return [exe] + (["t"] if t else []) + ["s%d" % S, "n%d" % n, "./d"]


def spawn(argv, stdin, stdout):
    acts = [(os.POSIX_SPAWN_DUP2, stdin, 0), (os.POSIX_SPAWN_DUP2, stdout, 1),
            (os.POSIX_SPAWN_OPEN, 2, "stderr", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)]
    return os.posix_spawn(argv[0], argv, os.environ, file_actions=acts)


def run_once(kind, exe, inp, t, feed, n):
    """Runs one logger in the current directory. Returns (wall s, CPU s)."""
    argv = setup(kind, exe, t, n)
    fin = os.open(inp, os.O_RDONLY)
    if kind in CATS:
        out = os.open("out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    else:
        out = os.open("/dev/null", os.O_WRONLY)
    producer = None
    try:
        if feed == "pipe":
            r, w = os.pipe()
            t0 = now()
            producer = spawn([CAT, inp], fin, w)
            os.close(w)
            pid = spawn(argv, r, out)
            os.close(r)
        else:
            t0 = now()
            pid = spawn(argv, fin, out)
    finally:
        os.close(fin)
        os.close(out)
    signal.alarm(TIMEOUT)
    try:
        _, status, ru = os.wait4(pid, 0)
    except Timeout:
        for p in (pid, producer):
            if p:
                os.kill(p, signal.SIGKILL)
                os.waitpid(p, 0)
        raise Failed("still running after %d s: killed" % TIMEOUT)
    finally:
        signal.alarm(0)
    t1 = now()
    if producer:
        _, pstatus = os.waitpid(producer, 0)
        if pstatus:
            raise Failed("the producer cat exited with status %#x" % pstatus)
    if status:
        raise Failed("exit status %#x: %s" % (status, stderr_text()))
    cpu = ru.ru_utime + ru.ru_stime
    if kind == "catsync":
        fd = os.open("out", os.O_WRONLY | os.O_CLOEXEC)
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        os.fsync(fd)
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        t1 = now()
        os.close(fd)
        cpu += r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
    return t1 - t0, cpu


def stderr_text():
    try:
        with open("stderr", "rb") as f:
            return f.read(400).decode(errors="replace").strip()
    except OSError:
        return ""


def same_as(data, inp, offset):
    """True if data equals the input file from offset on."""
    with open(inp, "rb") as f:
        f.seek(offset)
        return f.read(len(data) + 1) == data


def same_files(a, b):
    with open(a, "rb") as f, open(b, "rb") as g:
        while True:
            x, y = f.read(1 << 20), g.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


def check(kind, inp, t, n, whole):
    """Checks the run in the current directory (see the header)."""
    if kind in CATS:
        if not same_files("out", inp):
            raise Failed("out is not the input")
        return
    names = os.listdir("d")
    archives = sorted(x for x in names if ARCHIVE.match(x))
    other = set(names) - set(archives) - {"current", "lock", "state", "config"}
    if other or "current" not in names:
        raise Failed("unexpected logdir contents: %s" % (" ".join(sorted(other)) or "no current"))
    data = b"".join(open("d/" + x, "rb").read() for x in archives + ["current"])
    if t:
        data, stamped = STAMP.subn(b"", data)
        if stamped != data.count(b"\n"):
            raise Failed("%d lines without a TAI64N stamp" % (data.count(b"\n") - stamped))
    keep = n - 1 if kind == "multilog" else n
    if len(data) > SIZE or len(data) % 100 or not same_as(data, inp, SIZE - len(data)):
        raise Failed("the kept lines are not the tail of the input")
    if whole and len(data) != SIZE:
        raise Failed("%d bytes kept, %d expected" % (len(data), SIZE))
    if len(data) != SIZE and len(archives) != keep:
        raise Failed("%d archives, %d expected" % (len(archives), keep))


def run(fsdir, kind, exe, t, feed, n=N, whole=False):
    rundir = fsdir + "/run"
    os.mkdir(rundir)
    os.chdir(rundir)
    try:
        wall, cpu = run_once(kind, exe, fsdir + "/input", t, feed, n)
        check(kind, fsdir + "/input", t, n, whole)
        err = stderr_text()
        if err:
            print("    (%s said: %s)" % (exe, err), flush=True)
        return wall, cpu
    finally:
        os.chdir(fsdir)
        subprocess.run(["rm", "-rf", rundir], check=True)
        # Write back what is left (an fsync()ed logger leaves little, cat leaves SIZE_MB
        # unless deleted first): the next run starts on a quiet disk.
        subprocess.run(["sync", "-f", fsdir], check=False)


def fsname(d):
    with open("/proc/self/mounts") as f:
        mounts = [l.split() for l in f]
    real = os.path.realpath(d)
    best = max((m for m in mounts if real == m[1] or real.startswith(m[1].rstrip("/") + "/")),
               key=lambda m: len(m[1]), default=None)
    return best[2] if best else "?"


CAT = [x for x in IMPLS if x[0] == "cat"][0][2]
for name, _, exe in IMPLS:
    print("%-14s %s" % (name + ":", exe))
for i, d in enumerate(DIRS):
    if i == 0:
        t0 = now()
        make_input(d + "/input")
        print("input: %d MB, %d lines of 100 bytes (%.1f s to make)"
              % (SIZE_MB, LINES, now() - t0), flush=True)
    else:
        subprocess.run(["cp", DIRS[0] + "/input", d + "/input"], check=True)
        subprocess.run(["sync", d + "/input"], check=True)

if CHECK:
    print("completeness on the whole input (n1000; svlogd n0), %s:" % DIRS[0], flush=True)
    for name, kind, exe in IMPLS:
        if kind in CATS:
            continue
        for t, script in SCRIPTS:
            n = 0 if kind == "svlogd" else 1000
            what = "%-14s %-22s" % (name, script.replace("n20", "n%d" % n))
            try:
                wall, _ = run(DIRS[0], kind, exe, t, "file", n, whole=True)
                print("  %s ok (%d lines, %.1f s)" % (what, LINES, wall), flush=True)
            except (Failed, OSError, subprocess.SubprocessError) as e:
                print("  %s FAILED: %s" % (what, e), flush=True)

results = {}
for d in DIRS:
    where = "%s (%s)" % (d.rsplit("/", 1)[0] or "/", fsname(d))
    for rep in range(REPS):
        k = rep % len(IMPLS)
        order = IMPLS[k:] + IMPLS[:k]
        for t, script in SCRIPTS:
            for feed in FEEDS:
                for name, kind, exe in order:
                    try:
                        wall, cpu = run(d, kind, exe, t, feed)
                    except (Failed, OSError, subprocess.SubprocessError) as e:
                        print("  %s, %s, run %d, %s, %s: FAILED: %s"
                              % (where, feed, rep + 1, name, script, e), flush=True)
                        continue
                    results.setdefault((d, feed, t, name), []).append((wall, cpu))
                    print("  %s, %s, run %d, %-12s %-20s %7.1f MB/s %6.2f CPU s/100MB"
                          % (where, feed, rep + 1, name + ":", CATS.get(kind, script),
                             SIZE_MB / wall, cpu * 100 / SIZE_MB), flush=True)


def med(d, feed, t, name):
    """(MB/s, CPU s per 100 MB), medians, or None."""
    rs = results.get((d, feed, t, name))
    if not rs:
        return None
    return SIZE_MB / statistics.median(w for w, _ in rs), \
        statistics.median(c for _, c in rs) * 100 / SIZE_MB


def ratio(a, b):
    return "%.2f" % (a / b) if a is not None and b else "n/a"


FEEDNAME = {"file": "stdin is the input file", "pipe": "cat input | logger"}
COLS = "%8s%9s%7s%8s%8s"
names = [x[0] for x in IMPLS]
for d in DIRS:
    for feed in FEEDS:
        print()
        print("%s (%s), %s, %d MB, median of %d"
              % (d.rsplit("/", 1)[0] or "/", fsname(d), FEEDNAME.get(feed, feed), SIZE_MB, REPS))
        print("%-14s%-40s%s" % ("", SCRIPTS[0][1], SCRIPTS[1][1]))
        hdr = COLS % ("MB/s", "x s6-log", "x cat", "CPU s", "CPU x")
        print("%-14s%s  %s" % ("", hdr, hdr))
        print("%-14s%s  %s" % ("", COLS % ("", "", "", "/100MB", "s6-log"),
                              COLS % ("", "", "", "/100MB", "s6-log")))
        for name in names:
            line = "%-14s" % name
            for t, _ in SCRIPTS:
                m, s6, c = med(d, feed, t, name), med(d, feed, t, "s6-log"), \
                    med(d, feed, t, "cat")
                if m is None:
                    cell = COLS % ("n/a", "", "", "", "")
                else:
                    cell = COLS % ("%.1f" % m[0], ratio(m[0], s6 and s6[0]),
                                   ratio(m[0], c and c[0]), "%.3f" % m[1],
                                   ratio(m[1], s6 and s6[1]))
                line += cell + "  "
            print(line.rstrip())
        for name in names:
            if not name.startswith("svlog") or name == "svlogd":
                continue
            for t, script in SCRIPTS:
                m, s6, c = med(d, feed, t, name), med(d, feed, t, "s6-log"), \
                    med(d, feed, t, "cat")
                if m and s6 and c:
                    print("%s `%s`: %.2fx s6-log's MB/s (target >= 1.5), %.2fx cat's (target "
                          ">= 0.5), %.2fx s6-log's CPU (target <= 1)"
                          % (name, script, m[0] / s6[0], m[0] / c[0], m[1] / s6[1]))
print("\nMB = 10^6 bytes. CPU: the logger's user+sys time (wait4), not the producer's.")
EOF
# In the background, so that a signal to this shell is acted upon at once.
python3 "$py" "$dirs" "$@" &
harness=$!
wait "$harness"
harness=
