#!/bin/sh
# The scanner, keel's svscan against s6-svscan, side by side in one run: scale-up of a tree of
# N services (SIZES, "100 500 1000"), from the scanner's start to every service up:
#   wall ms       from just before the scanner is exec'd to the last service's `u` event;
#   tree CPU ms   CPU time of the whole tree at that moment: the sum of the first field of
#                 /proc/PID/schedstat (ns on CPU) over the scanner, its N supervisors and their
#                 N service processes. None of them has exited by then (the harness checks it:
#                 exactly 1 + 2N processes, one service under each supervisor, one `u` and no
#                 `d` event per service), so nothing is lost to reaped children. Shown split:
#                 the scanner's own share, the supervisors' (each from the scanner's fork of it
#                 on), the services' (each from its supervisor's fork: the child's work before
#                 it execs ./run counts here, the rest of the start-up is the same program);
#   scanner KiB   the scanner's private memory with the N services up: Private_Clean +
#                 Private_Dirty of /proc/PID/smaps_rollup, and its Private_Dirty alone. Clean
#                 private pages are mostly the program's own text, which no other process maps
#                 (a static scanner's text is all its libc too; and any other process running
#                 the same binary meanwhile makes it shared); dirty ones are its data, heap and
#                 stack. The binaries are fsync()ed first, since the fresh page cache of a
#                 just-built file counts as dirty (a binary on a tmpfs always does: avoid that).
# REPS (3) repetitions per size, the implementations in turn within each (the first one rotates),
# and the median of each figure; then a table per size: keel, keel static (if any), s6, and the
# keel/s6 ratios.
#
# How "all up" is seen without loading the machine: before the scanner starts, each service
# directory gets its event/ fifodir (03730, as supervise makes it; both supervisors keep an
# existing one) and in it a listener FIFO, ftrig1:@<24 hex>:<6 chars>, opened read-write and
# non-blocking as an s6 listener does; the harness sleeps in epoll on them and stops the clock at
# the N-th service's first `u` (its supervisor has spawned ./run). No polling of status files.
# Every service's run is the same for both scanners, as cheap as can be so that the scanner and
# the supervisors dominate: a symlink to one tiny static program that only pause()s, compiled
# here with cc -static (on x86_64 without libc: 0.15 ms of CPU to start instead of 0.35; if no
# static build works, a #!/bin/sh script that execs `sleep 100000`; the output says which).
# Each scanner gets -c N+10 (s6-svscan 2.11's default table is 500 services, keel's 1000) and
# the default rescan interval; keel's svscan runs the supervise of the build measured, through
# KEEL_BINDIR. Between runs the tree is stopped with svscanctl -t (s6-svscanctl -t) and the
# harness (a child subreaper) waits until every process of it is gone, 30 s at most, so runs
# never overlap. The scan directories live on a tmpfs, as a real tree's (/run/service):
# /dev/shm, else /tmp; SCRATCH=/some/dir to choose.
#
# Run: sh bench/svscan.sh (or make bench), as root: it raises RLIMIT_NOFILE for the N listener
# FIFOs and needs room for 2N+1 processes. Needs python3 (the harness), cc for the service
# program, and, for the s6 column, Debian's s6 (s6-svscan, s6-svscanctl, s6-supervise). Columns
# whose programs are missing are skipped: keel's needs bin/svscan, bin/supervise and
# bin/svscanctl. With the defaults it takes a minute or two on an idle machine; quicker:
#   SIZES="20 50" REPS=1 sh bench/svscan.sh
# Static build (the STATIC=1 target): KEEL_STATIC_BIN=/dir/with/static/bin, or
# KEEL_BUILD_STATIC=1 to build one here in a private copy of the sources (in $TMPDIR or /tmp,
# never touching the main tree). By hand, the same thing:
#   mkdir /tmp/keel-static && cp -r Makefile lib tools /tmp/keel-static/ &&
#   make -C /tmp/keel-static STATIC=1 bin/svscan bin/supervise bin/svscanctl
#   KEEL_STATIC_BIN=/tmp/keel-static/bin sh bench/svscan.sh
# Figures vary with load (the harness itself shares the machine): run on an otherwise idle one.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
command -v python3 >/dev/null 2>&1 || { echo "bench/svscan.sh: needs python3" >&2; exit 100; }

# The scan directory on a tmpfs, as in real trees (/run/service): the disk would add its noise.
scratch=${SCRATCH:-}
if [ -z "$scratch" ]; then
    scratch=/tmp
    [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ] && scratch=/dev/shm
fi
build=
tmp=$(mktemp -d "$scratch/keel-bench-scan.XXXXXX")
# Last resort after a crash or ^C: kill whatever still works in the scratch directory, sweep
# after sweep until one finds nothing (a process forked behind a sweep is caught by the next).
harness=
cleanup() {
    set +e
    [ -z "$harness" ] || { kill -TERM "$harness" 2>/dev/null; wait "$harness"; }
    i=0
    while [ $i -lt 20 ]; do
        found=
        for p in /proc/[0-9]*; do
            case $(readlink "$p/cwd" 2>/dev/null) in
            "$tmp"/*) kill -9 "${p#/proc/}" 2>/dev/null && found=1 ;;
            esac
        done
        [ -n "$found" ] || break
        i=$((i + 1))
    done
    rm -rf "$tmp" ${build:+"$build"}
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One listener FIFO per service, plus room.
max=0
for n in ${SIZES:-100 500 1000}; do
    if [ "$n" -gt "$max" ]; then max=$n; fi
done
want=$((max + 256))
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge "$want" ] || ulimit -n "$want" 2>/dev/null ||
    echo "(could not raise the open file limit to $want: large sizes may fail)"

if [ -z "${KEEL_STATIC_BIN:-}" ] && [ "${KEEL_BUILD_STATIC:-}" = 1 ]; then
    # Not in the tmpfs: the memory figures would count the binary's pages as dirty.
    build=$(mktemp -d "${TMPDIR:-/tmp}/keel-bench-static.XXXXXX")
    echo "(building a STATIC=1 svscan, supervise and svscanctl in $build)"
    cp -r "$top/Makefile" "$top/lib" "$top/tools" "$build/"
    rm -f "$build/lib/libkeel.a"
    make -s -C "$build" STATIC=1 bin/svscan bin/supervise bin/svscanctl >/dev/null
    KEEL_STATIC_BIN=$build/bin
fi

# NAME=SCANNER:SCANCTL:SUPERVISE:BINDIR for each implementation present (BINDIR for keel only).
set --
keel_ok() { [ -x "$1/svscan" ] && [ -x "$1/supervise" ] && [ -x "$1/svscanctl" ]; }
if keel_ok "$top/bin"; then
    set -- "$@" "keel=$top/bin/svscan:$top/bin/svscanctl:$top/bin/supervise:$top/bin"
else
    echo "(no bin/svscan, bin/supervise or bin/svscanctl: no keel column; build them with make)"
fi
if [ -n "${KEEL_STATIC_BIN:-}" ]; then
    if keel_ok "$KEEL_STATIC_BIN"; then
        s=$KEEL_STATIC_BIN
        set -- "$@" "keel-static=$s/svscan:$s/svscanctl:$s/supervise:$s"
    else
        echo "(no svscan, supervise or svscanctl in $KEEL_STATIC_BIN: no keel-static column)"
    fi
fi
if command -v s6-svscan >/dev/null 2>&1 && command -v s6-svscanctl >/dev/null 2>&1 &&
    command -v s6-supervise >/dev/null 2>&1; then
    set -- "$@" "s6=$(command -v s6-svscan):$(command -v s6-svscanctl):$(command -v s6-supervise):"
else
    echo "(s6 not installed: no s6 column)"
fi
[ $# -gt 0 ] || { echo "nothing to measure"; exit 0; }

# The service: a static program that waits forever (on x86_64 without libc: it starts in half
# the CPU time), or the shell fallback.
cc=${CC:-cc}
printf '#include <unistd.h>\nint main(void) { for (;;) pause(); }\n' > "$tmp/pause.c"
printf '%s\n' 'void _start(void)' '{' \
    '    for (;;) __asm__ volatile("syscall" : : "a"(34) : "rcx", "r11", "memory"); /* pause */' \
    '}' > "$tmp/pause-x86_64.c"
if [ "$(uname -m)" = x86_64 ] && $cc -static -nostdlib -fno-stack-protector -Os -s \
    -o "$tmp/pause" "$tmp/pause-x86_64.c" 2>/dev/null; then
    run=$tmp/pause
    what="a symlink to a static pause() program without libc ($(wc -c < "$run") bytes)"
elif $cc -static -Os -s -o "$tmp/pause" "$tmp/pause.c" 2>/dev/null; then
    run=$tmp/pause
    what="a symlink to a static pause() program ($(wc -c < "$run") bytes)"
else
    run=$tmp/run.sh
    printf '#!/bin/sh\nexec sleep 100000\n' > "$run"
    chmod 755 "$run"
    what="a symlink to a #!/bin/sh script that execs sleep 100000 (no cc -static here)"
fi

echo "scanner bench: $(uname -sr), $(nproc) CPUs, $(date -u '+%Y-%m-%d %H:%M UTC')"
if command -v dpkg-query >/dev/null 2>&1 && dpkg-query -W s6 >/dev/null 2>&1; then
    echo "s6 $(dpkg-query -W -f '${Version}' s6)"
fi
echo "each service's run: $what"
echo "scan directories in $scratch ($(stat -f -c %T "$scratch"))"

cat > "$tmp/bench.py" <<'EOF'
import ctypes, os, random, select, signal, statistics, subprocess, sys, time

TMP, RUN = sys.argv[1], sys.argv[2]
IMPLS = [(a.split("=", 1)[0], *a.split("=", 1)[1].split(":", 3)) for a in sys.argv[3:]]
SIZES = [int(x) for x in os.environ.get("SIZES", "100 500 1000").split()]
REPS = int(os.environ.get("REPS", "3"))
STOP_SECS = 30.0
now = time.monotonic
ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

# Orphans of a stopping tree come to us, so "every process gone" is "no child left".
PR_SET_CHILD_SUBREAPER = 36
if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit("bench/svscan.sh: prctl(PR_SET_CHILD_SUBREAPER): %s"
             % os.strerror(ctypes.get_errno()))


class Failed(Exception):
    pass


def stopped(sig, _):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: the clean-up must run to its end
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise SystemExit(128 + sig)  # through run_tree's clean-up


signal.signal(signal.SIGTERM, stopped)
signal.signal(signal.SIGINT, stopped)


def make_tree(scandir, n):
    """N service dirs, each with event/ and a listener FIFO in it. Returns the FIFOs' fds."""
    os.mkdir(scandir)
    fds = []
    for i in range(n):
        d = "%s/sv%04d" % (scandir, i)
        os.mkdir(d)
        os.symlink(RUN, d + "/run")
        os.mkdir(d + "/event")
        os.chown(d + "/event", -1, os.getegid())
        os.chmod(d + "/event", 0o3730)
        label = "%016x%08x" % ((1 << 62) + int(time.time()) + 10, random.randrange(10**9))
        tag = "".join(random.choice(ALPHA) for _ in range(6))
        fifo = "%s/event/ftrig1:@%s:%s" % (d, label, tag)
        os.mkfifo(fifo, 0o622)
        fds.append(os.open(fifo, os.O_RDWR | os.O_NONBLOCK))  # close-on-exec, never EOF
    return fds


def proc_tree(root):
    """{pid: [child pids]} for root and its descendants, from one sweep of /proc."""
    kids = {}
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % e) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(e))
    tree, todo = {}, [root]
    while todo:
        p = todo.pop()
        tree[p] = kids.get(p, [])
        todo.extend(tree[p])
    return tree


def oncpu_ms(pid):
    with open("/proc/%d/schedstat" % pid) as f:
        return int(f.read().split()[0]) / 1e6


def private_kib(pid):
    """(Private_Clean + Private_Dirty, Private_Dirty) in KiB."""
    kib = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                kib[line.split(":")[0]] = int(line.split()[1])
    return kib["Private_Clean"] + kib["Private_Dirty"], kib["Private_Dirty"]


def on_tmpfs(path):
    with open("/proc/self/mounts") as f:
        mounts = [l.split() for l in f]
    real = os.path.realpath(path)
    best = max((m for m in mounts if real == m[1] or real.startswith(m[1].rstrip("/") + "/")),
               key=lambda m: len(m[1]), default=None)
    return best is not None and best[2] == "tmpfs"


def settle(files):
    """Writes back the page cache of the binaries: a just-written page counts as dirty."""
    for path in files:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def reap_all(deadline):
    """Reaps children until none is left. False if some are still there at the deadline."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return True
        if pid == 0:
            if now() > deadline:
                return False
            time.sleep(0.02)


def alive_in(pid, d):
    """True if process pid is there and works under directory d."""
    try:
        cwd = os.readlink("/proc/%d/cwd" % pid)
    except OSError:
        return False
    return cwd == d or cwd.startswith(d + "/")


def kill_tree(pids, d):
    """Kills the processes pids and every process under directory d, sweep after sweep until
    none is left (a process forked behind a sweep is caught by the next), and reaps them."""
    for p in pids:
        try:
            os.kill(p, 9)
        except OSError:
            pass
    for _ in range(20):
        found = False
        for e in os.listdir("/proc"):
            if e.isdigit() and alive_in(int(e), d):
                try:
                    os.kill(int(e), 9)
                    found = True
                except OSError:
                    pass
        if not found:
            break
    reap_all(now() + 5)


def run_tree(name, scanner, ctl, bindir, n, rep):
    scandir = "%s/scan-%s-%d-%d" % (TMP, name, n, rep)
    fds = make_tree(scandir, n)
    ep = select.epoll()
    index = {}
    for i, fd in enumerate(fds):
        ep.register(fd, select.EPOLLIN)
        index[fd] = i
    env = dict(os.environ)
    env.pop("KEEL_BINDIR", None)
    if bindir:
        env["KEEL_BINDIR"] = bindir
    log = "%s/%s.log" % (TMP, name)
    actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
               (os.POSIX_SPAWN_DUP2, 1, 2)]
    argv = [scanner, "-c", str(n + 10), scandir]
    seen_u = [0] * n
    downs = up = 0
    tree = {}
    t0 = now()
    pid = os.posix_spawn(scanner, argv, env, file_actions=actions)
    try:
        deadline = t0 + 30 + n * 0.1
        while up < n:
            left = deadline - now()
            if left <= 0:
                raise Failed("%d of %d services up after %.0fs" % (up, n, now() - t0))
            for fd, _ in ep.poll(min(left, 1.0)):
                ev = os.read(fd, 4096)
                i = index[fd]
                downs += ev.count(b"d")
                if not seen_u[i] and b"u" in ev:
                    up += 1
                seen_u[i] += ev.count(b"u")
            if up < n:
                w, _ = os.waitpid(pid, os.WNOHANG)
                if w:
                    raise Failed("%s exited before all were up (see %s)" % (scanner, log))
        t1 = now()
        tree = proc_tree(pid)
        cpu = {p: oncpu_ms(p) for p in tree}
        kib = private_kib(pid)
        svs = tree[pid]
        runs = [c for s in svs for c in tree[s]]
        if (len(tree) != 1 + 2 * n or len(svs) != n or any(len(tree[s]) != 1 for s in svs)
                or any(tree[r] for r in runs) or downs or any(c != 1 for c in seen_u)):
            raise Failed("tree not as expected at all-up: %d processes (want %d), %d "
                         "supervisors, %d d events, %d u events"
                         % (len(tree), 1 + 2 * n, len(svs), downs, sum(seen_u)))
        result = ((t1 - t0) * 1000, sum(cpu.values()), cpu[pid],
                  sum(cpu[s] for s in svs), sum(cpu[r] for r in runs), *kib)
        # Stop the tree, and wait until every process of it is gone.
        subprocess.run([ctl, "-t", scandir], stdin=subprocess.DEVNULL, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
        if not reap_all(now() + STOP_SECS):
            raise Failed("tree still there %gs after %s -t" % (STOP_SECS, ctl))
        left = [p for p in tree if alive_in(p, scandir)]
        if left:
            raise Failed("%d processes of the tree left after %s -t" % (len(left), ctl))
        return result
    except BaseException:
        kill_tree([pid] + list(tree) + list(proc_tree(pid)), scandir)
        raise
    finally:
        ep.close()
        for fd in fds:
            os.close(fd)
        subprocess.run(["rm", "-rf", scandir])


LABELS = ["wall ms, start -> all up", "tree CPU ms", " scanner CPU ms", " supervisors' CPU ms",
          " services' CPU ms", "scanner private KiB", " of which Private_Dirty"]
FMTS = ["%.0f", "%.0f", "%.1f", "%.0f", "%.0f", "%.0f", "%.0f"]
for name, scanner, ctl, supervise, bindir in IMPLS:
    settle([scanner, supervise])
    if on_tmpfs(scanner) or on_tmpfs(supervise):
        print("(%s: binaries on a tmpfs: their text counts as Private_Dirty)" % name)
results = {}
for n in SIZES:
    for rep in range(REPS):
        k = rep % len(IMPLS)
        for name, scanner, ctl, _, bindir in IMPLS[k:] + IMPLS[:k]:
            try:
                r = run_tree(name, scanner, ctl, bindir, n, rep)
            except (Failed, OSError, subprocess.SubprocessError) as e:
                print("  %d services, run %d, %s: failed: %s" % (n, rep + 1, name, e),
                      flush=True)
                continue
            results.setdefault((n, name), []).append(r)
            print("  %d services, run %d, %-12s %s" % (
                n, rep + 1, name + ":", ", ".join(
                    (f % v) + " " + l.split(",")[0].strip() for f, v, l in zip(FMTS, r, LABELS))),
                flush=True)

names = [i[0] for i in IMPLS]
ratios = [x for x in names if x != "s6"] if "s6" in names else []
W = 15
for n in SIZES:
    med = {}
    for x in names:
        rs = results.get((n, x))
        med[x] = [statistics.median(c) for c in zip(*rs)] if rs else None
    print()
    print("%-28s" % ("%d services, median of %d" % (n, REPS))
          + "".join("%*s" % (W, x) for x in names)
          + "".join("%*s" % (W, x + "/s6") for x in ratios))
    for i, (label, fmt) in enumerate(zip(LABELS, FMTS)):
        line = "%-28s" % label
        for x in names:
            line += "%*s" % (W, fmt % med[x][i] if med[x] else "n/a")
        for x in ratios:
            a, b = med[x], med["s6"]
            line += "%*s" % (W, "%.2f" % (a[i] / b[i]) if a and b and b[i] else "n/a")
        print(line)
print("\nTree CPU: scanner + N supervisors + N services, each alive and counted at all-up.")
EOF
# In the background, so that a signal to this shell is acted upon at once (the trap stops the
# harness, which stops its tree).
python3 "$tmp/bench.py" "$tmp" "$run" "$@" &
harness=$!
wait "$harness"
harness=
