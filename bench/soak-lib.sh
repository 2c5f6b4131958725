# Sourced by bench/soak.sh and bench/soak-valgrind.sh: what both need.
#
# soak_prepare PROG NAME "COMMANDS" "PROGRAMS": checks that we are root and that the COMMANDS
# and this build's bin/PROGRAMS are there (else exit 100); makes $out and a new $work directory
# (removed on exit, with traps that stop the namespace first), compiles the service program into
# $work/soakrun (soak_program) and writes the harnesses' shared python module into $work.
# soak_in_namespace SCRIPT ARGS...: runs python3 SCRIPT TOP OUT WORK PROGRAM ARGS... as pid 1 of
# a new pid namespace (unshare --pid --fork --mount-proc --kill-child: however it ends, the
# kernel kills every process left in the namespace), and exits with its status.
soak_prepare() {
    [ "$(id -u)" = 0 ] || { echo "$1: must run as root (pid namespace, tmpfs)" >&2; exit 100; }
    for c in $3; do
        command -v "$c" >/dev/null 2>&1 || { echo "$1: needs $c" >&2; exit 100; }
    done
    for p in $4; do
        [ -x "$top/bin/$p" ] || { echo "$1: no bin/$p: run make first" >&2; exit 100; }
    done
    mkdir -p "$out"
    work=$(mktemp -d "${TMPDIR:-/tmp}/keel-$2.XXXXXX")
    ns=
    trap soak_cleanup EXIT
    trap 'exit 130' INT TERM
    soak_program "$work/soakrun" || { echo "$1: unable to compile the service program" >&2; exit 111; }
    soak_python > "$work/soakcommon.py"
}

soak_cleanup() {
    set +e
    # unshare --kill-child: its end kills the namespace's pid 1, and with it the whole tree.
    [ -z "$ns" ] || { kill -TERM "$ns" 2>/dev/null; wait "$ns"; }
    rm -rf "$work"
}

soak_in_namespace() {
    script=$1
    shift
    # In the background, so that a signal to this shell is acted upon at once (the trap ends
    # unshare, whose --kill-child ends the namespace).
    unshare --pid --fork --mount-proc --kill-child \
        python3 "$script" "$top" "$out" "$work" "$work/soakrun" "$@" &
    ns=$!
    rc=0
    wait "$ns" || rc=$?
    ns=
    exit $rc
}

# The harnesses' shared python: the services and the namespace's housekeeping.
soak_python() {
    cat <<'EOF'
import os, subprocess


def say(*a, **kw):
    print(*a, flush=True, **kw)


def flags_of(i):
    """The behaviour of service i (see bench/soak.sh)."""
    return (("s" if i % 2 else "i") + ("n" if i % 3 == 0 else "")
            + ("f" if i % 4 >= 2 else "") + ("l" if i % 5 == 0 else ""))


def make_service(d, flags, program, bindir):
    """Service directory d running program, as FLAGS says (its log/ runs bindir's svlog)."""
    os.mkdir(d, 0o755)
    os.mkdir(d + "/data", 0o755)
    os.symlink(program, d + "/run")
    if "f" in flags:
        os.symlink(program, d + "/finish")
    if "n" in flags:
        with open(d + "/notification-fd", "w") as fh:
            fh.write("3\n")
    if "l" in flags:
        os.mkdir(d + "/log", 0o755)
        with open(d + "/log/run", "w") as fh:
            fh.write("#!/bin/sh\nexec %s/svlog -- t n3 s4096 ./main\n" % bindir)
        os.chmod(d + "/log/run", 0o755)


def private_tmpfs(path, size):
    """A tmpfs on the new directory path, in this namespace's own mount table."""
    os.mkdir(path, 0o755)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755,size=" + size, "keel-soak",
                           path]).returncode == 0


def reap():
    """Reaps every child that has ended (pid 1 gets the orphans): {pid: wait status}."""
    got = {}
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return got
        if pid == 0:
            return got
        got[pid] = status


def read(path):
    """The text of a file, or None (a /proc file of a process that is gone)."""
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return None
EOF
}

# soak_program PATH: compiles it to PATH (with ${CC:-cc}, static when it can: a static run
# shares no page with the supervisors measured). Run and finish at once, chosen by argv[0]:
#   ./finish ...  appends a byte to data/finishes, exits 0;
#   ./run NAME    appends a byte to data/starts (the start counter); with l in the FLAGS of its
#                 NAME (svNNN-FLAGS), writes 5 lines on stdout; with n, writes the readiness
#                 newline on fd 3, 3 times in 4; if data/hold exists, waits for a signal for ever;
#                 with s, sleeps a random 0-400 ms; then dies: exit 0, 1 or 2, or one time in 8
#                 SIGTERM, one in 8 SIGKILL.
soak_program() {
    cat > "$1.c" <<'EOF'
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void bump(const char *file)
{
    int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        if (write(fd, ".", 1) < 0) { /* nothing to do */ }
        close(fd);
    }
}

int main(int argc, char **argv)
{
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    if (strcmp(base, "finish") == 0) {
        bump("data/finishes");
        return 0;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    unsigned r = (unsigned)getpid() * 2654435761u ^ (unsigned)now.tv_nsec;
    r ^= r >> 13;
    r *= 0x5bd1e995u;
    r ^= r >> 15;
    const char *name = argc > 1 ? argv[1] : "";
    const char *flags = strchr(name, '-');
    flags = flags ? flags + 1 : "";
    bump("data/starts");
    if (strchr(flags, 'l')) {
        char line[512];
        int n = 0;
        for (int k = 1; k <= 5; k++)
            n += snprintf(line + n, sizeof line - (size_t)n, "%s: start, pid %d, line %d of 5\n",
                          name, (int)getpid(), k);
        if (write(1, line, (size_t)n) < 0) { /* the logger is gone: nothing to do */ }
    }
    if (strchr(flags, 'n') && r % 4 != 0 && write(3, "\n", 1) < 0) { /* nothing to do */ }
    if (access("data/hold", F_OK) == 0)
        for (;;) pause(); /* held up: until a signal kills it */
    if (strchr(flags, 's')) {
        struct timespec d = {0, (long)((r >> 4) % 400) * 1000000L};
        nanosleep(&d, 0);
    }
    switch ((r >> 12) % 8) {
    case 0: raise(SIGKILL); break;
    case 1: raise(SIGTERM); break;
    default: break;
    }
    return (int)((r >> 16) % 3);
}
EOF
    ${CC:-cc} -static -Os -o "$1" "$1.c" 2>/dev/null || ${CC:-cc} -Os -o "$1" "$1.c"
}
