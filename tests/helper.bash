# Shared by every tests/*.bats: keel's bin/ first in PATH, a private temp dir per test,
# a polling wait_for, and helpers to run the same case through s6 when it is installed.
# shellcheck shell=bash

bats_require_minimum_version 1.5.0

KEEL_ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
# Another build's programs may stand in for this tree's: KEEL_TEST_BIN for bin/, KEEL_TEST_BUILD
# for build/ (its test-only programs). tests/cross/run.sh runs tests this way against a cross
# build under qemu-user, with KEEL_TEST_QEMU set to the qemu that runs it.
KEEL_BIN=${KEEL_TEST_BIN:-$KEEL_ROOT/bin}
KEEL_BUILD=${KEEL_TEST_BUILD:-$KEEL_ROOT/build}
export PATH="$KEEL_BIN:$PATH"
# Tools that run other keel programs (svscan runs supervise) take them from this build, not
# from an installed copy (lib/keel/progpath.h).
export KEEL_BINDIR="$KEEL_BIN"
export LC_ALL=C

# Each test gets $T, an empty directory removed afterwards (with everything under it). It is
# made in /tmp, not in bats' private (mode 700) run directory, so that tests can drop to nobody
# and still reach their files.
keel_setup() {
    T=$(mktemp -d /tmp/keel-test.XXXXXX)
    chmod 755 "$T"
}

keel_teardown() {
    # Kill whatever a test left behind in its process list file, then remove $T.
    if [ -f "$T/pids" ]; then
        while read -r p; do kill -9 "$p" 2>/dev/null || true; done < "$T/pids"
    fi
    # Services whose supervisor died first may have left their process group behind.
    local st pid
    for st in "$T"/*/supervise/status; do
        [ -f "$st" ] || continue
        pid=$(st_pid "${st%/supervise/status}")
        [ "${pid:-0}" != 0 ] && kill -9 -- "-$pid" 2>/dev/null
    done
    kill_under "$T"
    [ -n "${T:-}" ] && rm -rf "$T"
}

# kill_under DIR: SIGKILL every process whose working directory is DIR or below it: the
# scanners, supervisors and services a test started there, even the ones it never saw.
kill_under() {
    local dir=$1 round pids
    [ -n "$dir" ] || return 0
    # One find over /proc per round (procs_under), not a readlink per process: this runs after
    # every test, and a fork per process cost about a second each time.
    for round in 1 2 3; do
        pids=$(procs_under "$dir")
        [ -n "$pids" ] || break
        # shellcheck disable=SC2086
        kill -9 $pids 2>/dev/null
    done
    return 0
}

# order_delivered STATUS: a command that ordered a shutdown from inside a namespace ended by
# itself (0), or was killed by the stage 3 it ordered (SIGTERM: 143, SIGKILL: 137), which may
# come before its shell exits. Whether the order was obeyed is for the caller to check.
order_delivered() { [ "$1" = 0 ] || [ "$1" = 143 ] || [ "$1" = 137 ]; }

setup() { keel_setup; }
teardown() { keel_teardown; }

# Remember a background pid so teardown kills it even if the test fails first.
track_pid() { echo "$1" >> "$T/pids"; }

# wait_for SECONDS CMD...: run CMD every 20 ms until it succeeds; fail after SECONDS.
wait_for() {
    local deadline=$1; shift
    local end=$(( $(date +%s%N) + deadline * 1000000000 ))
    until "$@"; do
        if [ "$(date +%s%N)" -ge "$end" ]; then
            echo "wait_for: timed out after ${deadline}s: $*" >&2
            return 1
        fi
        sleep 0.02
    done
}

# Milliseconds since the epoch (for measured waits, never for fixed sleeps).
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

is_root() { [ "$(id -u)" = 0 ]; }

# drop_sanitizer_noise: a filter for the warnings the sanitizer runtime itself prints when a
# program starts where /proc is not mounted (it cannot read /proc/self/exe or /proc/self/maps),
# exactly those lines and nothing else; real sanitizer errors still show and fail the test.
drop_sanitizer_noise() {
    grep -Ev '^==[0-9]+==WARNING: (reading executable name failed|ASan is ignoring requested __asan_handle_no_return)|^False positive error reports may follow$|^For details see https://github.com/google/sanitizers/issues/189$' || true
}

# build_is VAR: the build under test was made with VAR set to something (make check SANITIZE=...
# or STATIC=1; KEEL_MAKE_VARS holds "CXX=... STATIC=... SANITIZE=..."), e.g. to shorten loops.
build_is() {
    local v
    for v in ${KEEL_MAKE_VARS:-}; do case $v in "$1"=?*) return 0 ;; esac; done
    return 1
}
need_root() { is_root || skip "needs root"; }

# native_only WHY: skip, saying why, when the programs run under qemu-user (tests/cross/run.sh):
# for a test that looks at the process image itself (strace, valgrind: it is qemu's), or needs
# what qemu-user does not emulate.
native_only() { [ -z "${KEEL_TEST_QEMU:-}" ] || skip "$1"; }

# need_s6 PROG: skip unless the s6 program PROG (e.g. s6-envdir) is installed.
need_s6() { command -v "$1" >/dev/null 2>&1 || skip "$1 not installed"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || skip "$1 not installed"; }

# The exact stderr check that every bad-input test makes.
# expect_fail CODE 'STDERR LINE' CMD...
expect_fail() {
    local code=$1 line=$2; shift 2
    if [ "$code" = 127 ]; then
        # Tell bats that 127 is expected here, not a missing command of the test's own.
        run -127 --separate-stderr "$@"
    else
        run --separate-stderr "$@"
    fi
    if [ "$status" -ne "$code" ] || [ "$stderr" != "$line" ]; then
        echo "command: $*" >&2
        echo "expected status $code, stderr: $line" >&2
        echo "got      status $status, stderr: $stderr" >&2
        return 1
    fi
}

# The usage line a tool prints, taken from its source, where it is written once.
usage_of() {
    awk '/constexpr std::string_view usage =/ { on = 1 } on { print } on && /;$/ { exit }' \
        "$KEEL_ROOT/tools/$1.cc" |
        tr -d '\n' | sed 's/.*usage = *//; s/;$//; s/" *"//g; s/^ *"//; s/"$//'
}

expect_usage() {
    local tool=$1; shift
    expect_fail 100 "$tool: usage: $(usage_of "$tool")" "$tool" "$@"
}

# --- Supervision ----------------------------------------------------------------------------

# The supervisors that client tests run against: keel's own, and s6-supervise when installed.
supervisors() {
    [ -x "$KEEL_BIN/supervise" ] && echo "$KEEL_BIN/supervise"
    command -v s6-supervise 2>/dev/null || true
}

# make_service DIR 'SH COMMANDS': a service directory whose run script runs them under sh.
# Without commands, the service sleeps forever (until killed).
make_service() {
    local dir=$1 body=${2:-exec sleep 100000}
    mkdir -p "$dir"
    printf '#!/bin/sh\n%s\n' "$body" > "$dir/run"
    chmod 755 "$dir/run"
}

# The status file's raw fields, read without keel's svstat (so tests of svstat and of s6's
# supervisor do not lean on it): the pid (bytes 24-31, big-endian) and the flags byte (34).
st_pid() { od -An -tu8 -j24 -N8 --endian=big "$1/supervise/status" 2>/dev/null | tr -d ' '; }
st_flags() { od -An -tu1 -j34 -N1 "$1/supervise/status" 2>/dev/null | tr -d ' '; }

# listeners DIR: how many FIFOs are subscribed to DIR/event; listening DIR [N]: at least N (1).
listeners() { find "$1/event" -name 'ftrig1:@*' 2>/dev/null | wc -l; }
listening() { [ "$(listeners "$1")" -ge "${2:-1}" ]; }
no_listener() { [ -z "$(ls -A "$1/event")" ]; }

# bg NAME CMD...: runs CMD in the background with SIGINT at its default action (bash ignores
# it in background jobs), output in $T/NAME.out and $T/NAME.err; bg_wait NAME waits for it,
# its exit status in bg_status.
bg() {
    local name=$1; shift
    perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die "exec $ARGV[0]: $!\n"' "$@" \
        >"$T/$name.out" 2>"$T/$name.err" &
    echo $! > "$T/$name.pid"
    track_pid $!
}
bg_wait() { wait "$(cat "$T/$1.pid")" && bg_status=0 || bg_status=$?; }

# status_size DIR: the size of DIR/supervise/status, or nothing.
status_size() { stat -c %s "$1/supervise/status" 2>/dev/null; }
status_written() { [ "$(status_size "$1")" = 35 ]; }

# start_sv DIR [SUPERVISOR]: runs SUPERVISOR (default: keel's supervise) on DIR in the
# background, its output in DIR.log, and waits until it has written its first status.
start_sv() {
    local dir=$1 sv=${2:-$KEEL_BIN/supervise}
    rm -f "$dir/supervise/status"
    # (fd 3 is bats' own output: a process that keeps it open would hang bats)
    "$sv" "$dir" </dev/null >>"$dir.log" 2>&1 3>&- &
    local pid=$!
    track_pid "$pid"
    echo "$pid" > "$dir.svpid"
    wait_for 5 status_written "$dir"
}

sv_pid() { cat "$1.svpid"; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# stop_sv DIR: asks the supervisor of DIR to exit (x, then d) and waits until it has.
stop_sv() {
    local dir=$1 pid
    pid=$(sv_pid "$dir")
    timeout 2 sh -c 'printf dx > "$1/supervise/control"' sh "$dir" 2>/dev/null || true
    wait_for 5 gone "$pid" || { kill -9 "$pid" 2>/dev/null; false; }
}

# record_events DIR FILE: subscribes by hand to DIR/event, as an s6 listener does, and
# appends every event byte to FILE until the test ends. Needs DIR/event to exist.
record_events() {
    local dir=$1 out=$2 name
    name="ftrig1:@$(printf '%024x' "$RANDOM$RANDOM"):$(printf '%06d' $((RANDOM % 1000000)))"
    mkfifo -m 0600 "$dir/event/$name"
    : > "$out"
    # Opened read-write so the listener never sees EOF between notifications.
    ( exec 3<>"$dir/event/$name"; exec cat <&3 >>"$out" ) 3>&- &
    local pid=$!
    track_pid "$pid"
    # Return only once the FIFO is open: a supervisor removes FIFOs that nobody reads (at its
    # start, and whenever it notifies), and the late open would then create a plain file.
    wait_for 5 sh -c 'readlink "/proc/$1/fd/3" | grep -qF "$2"' sh "$pid" "$dir/event/$name"
}

# events_are FILE STRING: FILE holds exactly STRING (for wait_for).
events_are() { [ "$(cat "$1")" = "$2" ]; }

# --- Scanners -------------------------------------------------------------------------------

# The scanners that tree tests run against: keel's own, and s6-svscan when installed.
scanners() {
    [ -x "$KEEL_BIN/svscan" ] && echo "$KEEL_BIN/svscan"
    command -v s6-svscan 2>/dev/null || true
}

# control_ready DIR: a scanner listens on DIR/.s6-svscan/control.
control_ready() {
    [ -p "$1/.s6-svscan/control" ] &&
        timeout 2 sh -c ': > "$1/.s6-svscan/control"' sh "$1" 2>/dev/null
}

# start_scan DIR [SCANNER [OPTIONS...]]: runs SCANNER (default: keel's svscan) on DIR (made if
# missing) in the background, its output in DIR.log, and waits until it listens. Its pid goes
# to DIR.scanpid.
start_scan() {
    local dir=$1 scanner=${2:-$KEEL_BIN/svscan}
    shift; [ $# -gt 0 ] && shift
    mkdir -p "$dir"
    "$scanner" "$@" "$dir" </dev/null >>"$dir.log" 2>&1 3>&- &
    local pid=$!
    track_pid "$pid"
    echo "$pid" > "$dir.scanpid"
    wait_for 5 control_ready "$dir"
}

scan_pid() { cat "$1.scanpid"; }

# scan_ctl DIR LETTERS: writes LETTERS to the scanner's control FIFO (fails if nobody reads).
scan_ctl() {
    timeout 2 sh -c 'printf %s "$2" > "$1/.s6-svscan/control"' sh "$1" "$2"
}

# stop_scan DIR: svscanctl -t, then waits until the scanner and everything it ran are gone.
stop_scan() {
    local dir=$1 pid
    pid=$(scan_pid "$dir")
    scan_ctl "$dir" t 2>/dev/null || true
    wait_for 10 gone "$pid" || { kill -9 "$pid" 2>/dev/null; kill_under "$dir"; false; }
    kill_under "$dir"
}

# up_pid DIR: the pid of DIR's service if it is up, else nothing (svstat's pid field).
up_pid() {
    local out
    out=$(svstat -o up,pid "$1" 2>/dev/null) || return 1
    case $out in "true "*) echo "${out#true }" ;; *) return 1 ;; esac
}
is_up() { [ -n "$(up_pid "$1")" ]; }

# supervised DIR: a supervisor holds DIR's lock.
supervised() { svok "$1" 2>/dev/null; }

# is_ready DIR: DIR's service is up and has told its readiness (svstat's up and ready fields).
is_ready() { [ "$(svstat -o up,ready "$1" 2>/dev/null)" = "true true" ]; }

# sv_of SCANDIR DIR: the pid of the scanner's child that supervises DIR (its working dir).
sv_of() {
    local k
    for k in $(ps -o pid= --ppid "$(scan_pid "$1")"); do
        [ "$(readlink "/proc/$k/cwd")" = "$2" ] && { echo "$k"; return 0; }
    done
    return 1
}

# procs_under DIR: the pids of the processes whose working directory is DIR or below it (a
# scanner, its supervisors and their services), the test's own shell left out.
procs_under() {
    find /proc/[0-9]*/cwd -maxdepth 0 \( -lname "$1" -o -lname "$1/*" \) 2>/dev/null |
        cut -d/ -f3 | grep -vx -e "$$" -e "$BASHPID" || true
}
# nothing_under DIR: no process runs there any more (after a tree has stopped, for wait_for).
nothing_under() { [ -z "$(procs_under "$1")" ]; }

# make_logged DIR: a service dir (sleeping) with a logger that drains its input.
make_logged() {
    make_service "$1"
    make_service "$1/log" 'exec cat >/dev/null'
}

# no_fifo DIR: nobody is subscribed to DIR/event any more (no ftrig1 FIFO is left in it).
no_fifo() { [ -z "$(find "$1/event" -name 'ftrig1*' 2>/dev/null)" ]; }

# hold_lock FILE: a process holds the POSIX lock on FILE (as a running scanner or supervisor
# would) until the test ends.
hold_lock() {
    mkdir -p "$(dirname "$1")"
    setlock "$1" sleep 100000 </dev/null >/dev/null 2>&1 3>&- &
    track_pid $!
    wait_for 5 grep -q " $! " /proc/locks
}

# fake_scan DIR: a scan dir with no scanner, but a lock holder and a control FIFO that the
# test's shell keeps open on fd 4 (read-write), so that writing to it succeeds; the test can
# read what was written from fd 4.
fake_scan() {
    mkdir -p "$1/.s6-svscan"
    hold_lock "$1/.s6-svscan/lock"
    mkfifo "$1/.s6-svscan/control"
    exec 4<>"$1/.s6-svscan/control"
}

# both_fail CODE 'MESSAGE' ARGS...: the tool under test ($TOOL), then its s6 twin when
# installed, exit CODE and print "PROG: fatal: MESSAGE".
both_fail() {
    local code=$1 msg=$2; shift 2
    expect_fail "$code" "$TOOL: fatal: $msg" "$TOOL" "$@"
    if command -v "s6-$TOOL" >/dev/null; then
        expect_fail "$code" "s6-$TOOL: fatal: $msg" "s6-$TOOL" "$@"
    fi
}

# --- PID namespaces -------------------------------------------------------------------------
# Code that acts as pid 1 or runs kill -1 runs only in a child PID namespace, with its own
# mount namespace and /proc. ns_run checks where it is before it runs anything.

HOST_PIDNS=$(readlink /proc/self/ns/pid)

# ns_start DIR [SVSCAN OPTIONS...]: keel's svscan as pid 1 of a new PID namespace on DIR. Its
# host pid goes to DIR.nspid; its output to DIR.log.
ns_start() {
    local dir=$1 unshare_pid pid
    shift
    unshare --pid --fork --mount --mount-proc "$KEEL_BIN/svscan" "$@" "$dir" \
        </dev/null >>"$dir.log" 2>&1 3>&- &
    unshare_pid=$!
    track_pid "$unshare_pid"
    wait_for 5 pgrep -P "$unshare_pid" >/dev/null
    pid=$(pgrep -P "$unshare_pid")
    track_pid "$pid"
    echo "$pid" > "$dir.nspid"
    wait_for 5 control_ready "$dir"
}

# ns_run DIR 'SH COMMANDS': runs the commands with sh inside DIR's namespace, after checking
# that it is a child PID namespace whose pid 1 is svscan. Fails, running nothing, otherwise.
ns_run() {
    local dir=$1 script=$2
    nsenter -t "$(cat "$dir.nspid")" -p -m -- sh -c '
        [ "$(readlink /proc/self/ns/pid)" != "$1" ] || { echo "ns_run: not in a child PID namespace" >&2; exit 90; }
        [ "$(cat /proc/1/comm)" = svscan ] || { echo "ns_run: pid 1 is not svscan" >&2; exit 91; }
        shift; eval "$1"' sh "$HOST_PIDNS" "$script"
}

# ns_stop DIR: kills the namespace's pid 1, which takes every process of the namespace along.
ns_stop() {
    local pid
    pid=$(cat "$1.nspid" 2>/dev/null) || return 0
    kill -9 "$pid" 2>/dev/null || true
    wait_for 5 gone "$pid"
}

# kill_all_survived: for the boot tests (tests/init-*.bats), whose files define inside (run sh
# commands in the booted namespace, after checking it is not the host's), all_up and pids_of:
# kill -9 -1 from inside, then wait until every service is up again, each with a new pid.
kill_all_survived() {
    local before after p
    before=$(pids_of)
    inside 'kill -9 -1' || true
    rebuilt() {
        all_up || return 1
        after=$(pids_of)
        for p in $after; do case " $before " in *" $p "*) return 1 ;; esac; done
    }
    wait_for 20 rebuilt
}


# --- Fault injection (tests/fault-*.bats) ---------------------------------------------------

# A uid and gid that no account and no process has, so that RLIMIT_NPROC counts only the
# processes a test starts under them (nobody may have processes of its own on the host).
FAULT_UID=3999017

# fault_bg FILE CMD...: runs CMD in the background, stdin /dev/null, its output appended to
# FILE.log; its pid goes to FILE.pid and to the kill list. (CMD must exec its program, e.g.
# prlimit and applyuidgid do, so that the pid is the program's.)
fault_bg() {
    local file=$1; shift
    # Only 0, 1 and 2 open (not bats' own descriptors), so that descriptor counts are known.
    perl -e 'use POSIX (); POSIX::close($_) for 3 .. 1023; exec @ARGV or die "exec: $!\n"' \
        "$@" </dev/null >>"$file.log" 2>&1 3>&- &
    echo $! > "$file.pid"
    track_pid $!
}

# fault_warnings FILE PATTERN: how many lines of FILE match the fixed string PATTERN.
fault_warnings() { grep -cF -- "$2" "$1" 2>/dev/null || true; }

# fault_cpu_ticks PID: the user + system CPU time that PID has used, in clock ticks.
fault_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# fault_children PID: the pids of PID's children (for a supervisor: its service).
fault_children() { ps -o pid= --ppid "$1" | tr -d ' '; }

# fault_ns: a private mount namespace for the test, held open by a sleeping process, in which
# the test may mount fresh tmpfs file systems (never seen by the host). fault_in CMD... runs
# CMD in it, after checking that it is not the host's mount namespace.
fault_ns() {
    unshare -m --propagation private sleep 100000 </dev/null >/dev/null 2>&1 3>&- &
    echo $! > "$T/ns.pid"
    track_pid $!
    wait_for 5 fault_ns_ready
}
fault_ns_ready() {
    [ "$(readlink "/proc/$(cat "$T/ns.pid")/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]
}
fault_in() {
    fault_ns_ready || { echo "fault_in: no private mount namespace" >&2; return 90; }
    nsenter -t "$(cat "$T/ns.pid")" -m -- "$@"
}

# fault_tmpfs DIR OPTIONS: a fresh tmpfs on DIR (made if missing) in the test's namespace.
fault_tmpfs() {
    mkdir -p "$1"
    fault_in mount -t tmpfs -o "$2" fault "$1"
}

# fault_fill DIR: fills the file system of DIR (a test's tmpfs) with DIR/filler until it is
# full.
fault_fill() {
    fault_in sh -c 'dd if=/dev/zero of="$1/filler" bs=4k 2>/dev/null; true' sh "$1"
}

# fault_lines DIR: the lines of a logdir, oldest first (the archives by name, then current);
# fault_in sh -c "$FAULT_LINES" sh DIR does the same inside the test's mount namespace.
FAULT_LINES='for f in "$1"/@*.[su] "$1/current"; do [ ! -f "$f" ] || cat "$f"; done'
fault_lines() { sh -c "$FAULT_LINES" sh "$1"; }

# fault_same FILE1 FILE2: equal, else show where they part.
fault_same() {
    cmp "$1" "$2" && return 0
    echo "lines: $(wc -l < "$1") against $(wc -l < "$2"); first difference:" >&2
    diff "$1" "$2" | head -5 >&2
    return 1
}
