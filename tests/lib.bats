#!/usr/bin/env bats
# lib/: unit tests of the shared library, one section of build/test/unit/libtest (built from
# tests/unit/libtest.cc by make check) per test. A section prints nothing and exits 0 when every
# check passes; a failed check prints "file:line: CHECK failed: expr".

load helper

LIBTEST=$KEEL_ROOT/build/test/unit/libtest

# libtest SECTION: run one section; it must pass silently.
libtest() {
    if [ ! -x "$LIBTEST" ]; then
        echo "missing $LIBTEST: run make check (or make build/test/unit/libtest)" >&2
        return 1
    fi
    run --separate-stderr "$LIBTEST" "$1"
    if [ "$status" -ne 0 ] || [ -n "$output" ] || [ -n "$stderr" ]; then
        echo "libtest $1: exit status $status" >&2
        [ -z "$stderr" ] || echo "$stderr" >&2
        [ -z "$output" ] || echo "stdout: $output" >&2
        return 1
    fi
}

@test "lib opt: clusters, attached and separate arguments, --, -, long options, errors" {
    libtest opt
}

@test "lib path: PathBuf exact fit, overflow empties it with ENAMETOOLONG" {
    libtest path
}

@test "lib num: scan_number whole-string rules and widths, fmt_number round trips" {
    libtest num
}

@test "lib str: sub and head clamp instead of throwing" {
    libtest str
}

@test "lib sig: names with and without SIG in any case, numbers 1..64, sig_name" {
    libtest sig
}

@test "lib fd: Fd ownership, O_CLOEXEC, full reads and writes, fd_copy/fd_move, EINTR" {
    libtest fd
}

@test "lib buf: Writer buffering and write errors, Reader fill/consume/compaction/EOF" {
    libtest buf
}

@test "lib err: message format, exit codes, one write per message, errno preserved" {
    libtest err
}

@test "lib exec: PATH search, empty entries, EACCES beats ENOENT, names with /, xexec" {
    libtest exec
}

@test "lib env: set, unset, get, numbers, bad names, passed on to exec" {
    libtest env
}

@test "lib tai: pack/unpack, external form, leap seconds both ways, formatting, clocks" {
    libtest tai
}

@test "lib lock: exclusive and shared against a child, holder pid, unlock, timeouts" {
    libtest lock
}

@test "lib proc: spawn, exec failures with the child's errno, signal state, wait_pid" {
    libtest proc
}

@test "lib rlimit: name table both ways, scan_limit_value, apply_rlimit modes" {
    libtest rlimit
}

@test "lib uidgid: scan_gid_list, passwd and group file readers, libc lookups, apply_creds" {
    libtest uidgid
}

@test "lib init: the 17-byte shutdown order, the shutdownd FIFO probe, reboot commands, sleep_ms" {
    libtest init
}

@test "lib: an unknown section exits 2 and lists the sections" {
    [ -x "$LIBTEST" ] || { echo "missing $LIBTEST: run make check" >&2; return 1; }
    run --separate-stderr "$LIBTEST" nope
    [ "$status" -eq 2 ]
    local all="opt path num str sig fd buf err exec env tai lock proc rlimit uidgid"
    [[ "$stderr" == *"sections: $all"* ]]
    run --separate-stderr "$LIBTEST"
    [ "$status" -eq 2 ]
}

# The svlog pieces of lib/ (logscript, logdir, growbuf): build/test/unit/logtest, same rules.
# unit_run PROGRAM SECTION: one section of build/test/unit/PROGRAM; it must pass silently.
unit_run() {
    local bin=$KEEL_ROOT/build/test/unit/$1
    [ -x "$bin" ] || { echo "missing $bin: run make check" >&2; return 1; }
    run --separate-stderr "$bin" "$2"
    if [ "$status" -ne 0 ] || [ -n "$output" ] || [ -n "$stderr" ]; then
        echo "$1 $2: exit status $status" >&2
        [ -z "$stderr" ] || echo "$stderr" >&2
        [ -z "$output" ] || echo "stdout: $output" >&2
        return 1
    fi
}

logtest() { unit_run logtest "$1"; }

@test "lib growbuf: svlog's growable queues" { logtest growbuf; }
@test "lib logscript: parsing, the exact error messages" { logtest script; }
@test "lib logscript: selection, carried across elements, f" { logtest select; }
@test "lib logscript: composing t, T, p, alerts, status files" { logtest compose; }
@test "lib logdir: open, recovery, archives, trimming" { logtest logdir; }
@test "lib logdir: rotation" { logtest rotate; }
@test "lib logdir: failing steps are retried, nothing lost" { logtest failures; }
@test "lib logdir: processors, their descriptors and state" { logtest processor; }

# build/test/unit/rcdb (tests/unit/rcdb.cc): the compiled service database and execline lexer.
rcdbtest() { unit_run rcdb "$1"; }

@test "lib rcdb: write then load, every accessor, find/resolve, empty db" { rcdbtest roundtrip; }
@test "lib rcdb: the writer refuses unsorted, duplicate, bad names and indices" { rcdbtest writer-rejects; }
@test "lib rcdb: truncated, altered, foreign or wrong-version files fail with EINVAL" { rcdbtest load-rejects; }
@test "lib execlex: words, comments, quotes, escapes, blocks, syntax errors" { rcdbtest lexer; }

# build/test/unit/rclive (tests/unit/rclive.cc): the service manager's live state.
rclivetest() { unit_run rclive "$1"; }

@test "lib rclive: open, accessors and paths, set_up, save_state, reopen" { rclivetest roundtrip; }
@test "lib rclive: the lock: EBUSY without waiting, ETIMEDOUT with a timeout" { rclivetest lock; }
@test "lib rclive: missing live, bad state size, prefix, scandir, db: errno and step" { rclivetest rejects; }
@test "lib rclive: a waiter follows LIVE when it is switched under the lock" { rclivetest follow-switch; }
