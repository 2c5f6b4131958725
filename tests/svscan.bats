#!/usr/bin/env bats
# svscan: the scanner of a supervision tree (spec scanner.md). Most tests run svscan as an
# ordinary background process; the ones that need pid 1 or kill -1 run it as pid 1 of a child
# PID namespace (ns_start / ns_run in helper.bash), never on the host.

load helper

# A logger for tests: copies stdin to ./out line by line, reading one byte at a time, so that
# it never holds more than one partial line. SIGTERM makes it finish the current line and exit.
make_logger() {
    mkdir -p "$1"
    cat > "$1/run" <<'EOF'
#!/usr/bin/perl
$SIG{TERM} = sub { $stop = 1 };
open(my $out, '>>', 'out') or die "out: $!";
my $line = '';
for (;;) {
    my $r = sysread(STDIN, my $c, 1);
    if (!defined $r) { next if $!{EINTR}; die "read: $!" }
    last if $r == 0;
    $line .= $c;
    next if $c ne "\n";
    syswrite($out, $line);
    $line = '';
    last if $stop;
}
syswrite($out, $line) if length $line;
EOF
    chmod 755 "$1/run"
}

# pids_of DIR NAME...: the up pid of each service, space-separated (fails if one is down).
pids_of() {
    local dir=$1 n p out=
    shift
    for n in "$@"; do
        p=$(up_pid "$dir/$n") || return 1
        out="$out $p"
    done
    echo "$out"
}

# all_up DIR NAME...
all_up() {
    local dir=$1 n
    shift
    for n in "$@"; do is_up "$dir/$n" || return 1; done
}

# lines_in FILE N: FILE has at least N lines.
lines_in() { [ -f "$1" ] && [ "$(wc -l < "$1")" -ge "$2" ]; }

has() { grep -q -- "$2" "$1" 2>/dev/null; }

# rounds N: N for the main build; a tenth of it (at least 5) when the suite runs again under
# the sanitizers or with static binaries, where the long loops prove nothing new and cost
# minutes. The main build always runs the full count that the acceptance list asks for.
rounds() {
    if build_is SANITIZE || build_is STATIC; then
        echo $(( $1 / 10 > 5 ? $1 / 10 : 5 ))
    else
        echo "$1"
    fi
}

@test "svscan: one supervisor per service dir and per log/; .s6-svscan made as s6 does" {
    make_service "$T/s/a"
    make_service "$T/s/b" 'while :; do echo tick; sleep 0.1; done'
    make_logger "$T/s/b/log"
    make_service "$T/s/.hidden"
    echo x > "$T/s/file"
    ln -s "$T/s/file" "$T/s/link-to-file"
    start_scan "$T/s"
    wait_for 5 all_up "$T/s" a b b/log
    wait_for 5 lines_in "$T/s/b/log/out" 3
    grep -qx tick "$T/s/b/log/out"
    [ ! -e "$T/s/.hidden/supervise" ]
    [ "$(stat -c %A "$T/s/.s6-svscan")" = drwx------ ]
    [ "$(stat -c %A "$T/s/.s6-svscan/control")" = prw------- ]
    [ "$(stat -c %A "$T/s/.s6-svscan/lock")" = -rw------- ]
    [ "$(cat "$T/s/file")" = x ]
    # Exactly three supervisors, children of svscan, each in its directory.
    [ "$(pgrep -c -P "$(scan_pid "$T/s")")" = 3 ]
    for p in $(pgrep -P "$(scan_pid "$T/s")"); do
        case $(readlink "/proc/$p/cwd") in "$T/s/a" | "$T/s/b" | "$T/s/b/log") ;; *) false ;; esac
        [ "$(cat "/proc/$p/comm")" = supervise ]
    done
    stop_scan "$T/s"
    [ ! -s "$T/s.log" ]
}

@test "svscan: its own descriptors are close-on-exec; a service sees only stdio" {
    make_service "$T/s/a"
    make_service "$T/s/b"
    make_logger "$T/s/b/log"
    # svscan starts with nothing but stdio, so whatever else a service has came from svscan.
    (
        for fd in $(ls "/proc/$BASHPID/fd"); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
        exec "$KEEL_BIN/svscan" "$T/s" </dev/null >>"$T/s.log" 2>&1
    ) &
    echo $! > "$T/s.scanpid"
    track_pid "$(cat "$T/s.scanpid")"
    wait_for 5 control_ready "$T/s"
    wait_for 5 all_up "$T/s" a b b/log
    [ "$(ls "/proc/$(scan_pid "$T/s")/fd" | wc -l)" -gt 3 ]
    [ "$(ls "/proc/$(up_pid "$T/s/a")/fd" | sort -n | tr '\n' ' ')" = "0 1 2 " ]
    [ "$(ls "/proc/$(up_pid "$T/s/b")/fd" | sort -n | tr '\n' ' ')" = "0 1 2 " ]
    # A logged service's stdout is the pipe, a logger's stdin too; svscan holds both ends.
    local b l
    b=$(up_pid "$T/s/b")
    l=$(up_pid "$T/s/b/log")
    [ "$(readlink "/proc/$b/fd/1")" = "$(readlink "/proc/$l/fd/0")" ]
    case $(readlink "/proc/$b/fd/1") in pipe:*) ;; *) false ;; esac
    local pipe
    pipe=$(readlink "/proc/$b/fd/1")
    [ "$(for f in /proc/"$(scan_pid "$T/s")"/fd/*; do readlink "$f"; done | grep -c -F "$pipe")" = 2 ]
    stop_scan "$T/s"
}

@test "svscan: a killed supervisor comes back after 1 s; its logger never sees EOF" {
    make_service "$T/s/b" 'i=0; while :; do i=$((i+1)); echo "$i"; sleep 0.05; done'
    make_logger "$T/s/b/log"
    start_scan "$T/s"
    wait_for 5 all_up "$T/s" b b/log
    local logger sv before after
    logger=$(up_pid "$T/s/b/log")
    sv=$(pgrep -P "$(scan_pid "$T/s")" -f 'supervise b$')
    before=$(now_ms)
    kill -9 "$sv" "$(up_pid "$T/s/b")"
    wait_for 5 supervised "$T/s/b"
    wait_for 5 is_up "$T/s/b"
    after=$(now_ms)
    [ "$(pgrep -P "$(scan_pid "$T/s")" -f 'supervise b$')" != "$sv" ]
    # The supervisor had started less than 1 s before: the new one waited for the second.
    [ $((after - before)) -lt 3000 ]
    # Same logger process: it read no EOF when the producer's side went away.
    [ "$(up_pid "$T/s/b/log")" = "$logger" ]
    local n
    n=$(wc -l < "$T/s/b/log/out")
    wait_for 5 lines_in "$T/s/b/log/out" $((n + 3))
    stop_scan "$T/s"
}

# started PID: when PID started, in clock ticks since boot (/proc/PID/stat, field 22).
started() { sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20; }

@test "svscan: restarts are throttled to one per second per service" {
    make_service "$T/s/a"
    start_scan "$T/s"
    wait_for 5 is_up "$T/s/a"
    # Each start at least a second after the previous one, from the supervisors' own start
    # times (a slow start of the scanner must not count as one of the seconds); 50 ms for the
    # clock ticks and the time from svscan's reading of its clock to its fork.
    local pid prev start hz
    hz=$(getconf CLK_TCK)
    pid=$(pgrep -P "$(scan_pid "$T/s")" -f 'supervise a$')
    prev=$(started "$pid")
    for _ in 1 2 3; do
        kill -9 "$pid"
        wait_for 5 gone "$pid"
        wait_for 5 sh -c "pgrep -P $(scan_pid "$T/s") -f 'supervise a\$' >/dev/null"
        pid=$(pgrep -P "$(scan_pid "$T/s")" -f 'supervise a$')
        start=$(started "$pid")
        [ $(( (start - prev) * 1000 / hz )) -ge 950 ] ||
            { echo "restarted $(( (start - prev) * 1000 / hz )) ms after the previous start"; false; }
        prev=$start
    done
    stop_scan "$T/s"
}

@test "svscan: -a starts a new service; without -a nothing happens" {
    make_service "$T/s/a"
    start_scan "$T/s"
    wait_for 5 is_up "$T/s/a"
    make_service "$T/s/new"
    # No command, no rescan timer: not started (the control FIFO is read, so svscan is idle).
    scan_ctl "$T/s" z
    scan_ctl "$T/s" z
    [ ! -e "$T/s/new/supervise" ]
    scan_ctl "$T/s" a
    wait_for 5 is_up "$T/s/new"
    [ "$(pgrep -c -P "$(scan_pid "$T/s")")" = 2 ]
    stop_scan "$T/s"
}

@test "svscan -t: the rescan timer finds new services by itself" {
    make_service "$T/s/a"
    start_scan "$T/s" "$KEEL_BIN/svscan" -t 200
    wait_for 5 is_up "$T/s/a"
    make_service "$T/s/later"
    wait_for 5 is_up "$T/s/later"
    stop_scan "$T/s"
}

@test "svscan: a symlinked service, a renamed one keeps its supervisor" {
    make_service "$T/real/x"
    mkdir -p "$T/s"
    ln -s "$T/real/x" "$T/s/x"
    start_scan "$T/s"
    wait_for 5 is_up "$T/s/x"
    local sv
    sv=$(pgrep -P "$(scan_pid "$T/s")")
    mv "$T/s/x" "$T/s/renamed"
    scan_ctl "$T/s" an
    scan_ctl "$T/s" z
    # Same directory (device, inode): same supervisor, still active, not killed by n.
    [ "$(pgrep -P "$(scan_pid "$T/s")")" = "$sv" ]
    # Killed, it comes back under its new name.
    kill -9 "$sv"
    wait_for 5 sh -c "pgrep -P $(scan_pid "$T/s") -f 'supervise renamed\$' >/dev/null"
    stop_scan "$T/s"
}

@test "svscan: a removed service stays until n, h or SIGHUP; n stops it, its logger gets SIGHUP" {
    for name in a b c; do
        make_service "$T/s/$name"
        make_logger "$T/s/$name/log"
    done
    mkdir "$T/keep"
    start_scan "$T/s"
    wait_for 5 all_up "$T/s" a a/log b b/log c c/log
    local a al
    a=$(up_pid "$T/s/a")
    al=$(up_pid "$T/s/a/log")
    mv "$T/s/a" "$T/keep/a"
    scan_ctl "$T/s" a
    scan_ctl "$T/s" z
    # Inactive but not killed: still running.
    is_up "$T/keep/a"
    scan_ctl "$T/s" n
    wait_for 5 gone "$a"
    # The logger got SIGHUP: its supervise waits for it to exit; its input ends with the
    # producer gone (svscan closed its end), so it exits too.
    wait_for 5 gone "$al"
    wait_for 5 sh -c "! svok '$T/keep/a' && ! svok '$T/keep/a/log'"
    # h: scan, then kill what is gone.
    local b
    b=$(up_pid "$T/s/b")
    mv "$T/s/b" "$T/keep/b"
    scan_ctl "$T/s" h
    wait_for 5 gone "$b"
    # SIGHUP: the same as h.
    local c
    c=$(up_pid "$T/s/c")
    mv "$T/s/c" "$T/keep/c"
    kill -HUP "$(scan_pid "$T/s")"
    wait_for 5 gone "$c"
    wait_for 5 sh -c "! svok '$T/keep/c/log'"
    kill -0 "$(scan_pid "$T/s")"
    stop_scan "$T/s"
}

@test "svscan: a removed logger reads to EOF with n; N sends it SIGTERM" {
    # Loggers that write down how they ended: EOF on stdin, or SIGTERM.
    local name
    for name in a b; do
        make_service "$T/s/$name"
        mkdir -p "$T/s/$name/log"
        cat > "$T/s/$name/log/run" <<'EOF'
#!/usr/bin/perl
$SIG{TERM} = sub { open(F, ">>sig"); print F "TERM\n"; exit 0 };
while (<STDIN>) {}
open(F, ">>sig"); print F "EOF\n"; close(F);
# a's logger lingers after EOF: with N, SIGTERM may come after the EOF (the producer can be
# gone first), and must still come.
sleep 30 if $ENV{LINGER};
EOF
        chmod 755 "$T/s/$name/log/run"
    done
    sed -i '1a $ENV{LINGER} = 1;' "$T/s/a/log/run"
    mkdir "$T/keep"
    start_scan "$T/s"
    wait_for 5 all_up "$T/s" a a/log b b/log
    # n: the logger's supervise gets SIGHUP and waits; the logger reads EOF once svscan has
    # closed its end of the pipe and the producer is gone.
    mv "$T/s/b" "$T/keep/b"
    scan_ctl "$T/s" an
    wait_for 5 has "$T/keep/b/log/sig" EOF
    wait_for 5 sh -c "! svok '$T/keep/b/log'"
    [ "$(cat "$T/keep/b/log/sig")" = EOF ]
    mv "$T/s/a" "$T/keep/a"
    scan_ctl "$T/s" aN
    wait_for 5 has "$T/keep/a/log/sig" TERM
    wait_for 5 sh -c "! svok '$T/keep/a/log'"
    stop_scan "$T/s"
}

@test "svscan -t (t): services down, loggers drain their input, finish runs with no arguments" {
    make_service "$T/s/a" 'trap "echo bye; exit 0" TERM; echo hello; while :; do sleep 0.05; done'
    make_logger "$T/s/a/log"
    make_service "$T/s/b"
    mkdir -p "$T/s/.s6-svscan"
    printf '#!/bin/sh\necho "finish $# $*" > "%s/finished"\n' "$T" > "$T/s/.s6-svscan/finish"
    chmod 755 "$T/s/.s6-svscan/finish"
    start_scan "$T/s"
    wait_for 5 all_up "$T/s" a a/log b
    wait_for 5 has "$T/s/a/log/out" hello
    scan_ctl "$T/s" t
    wait_for 10 gone "$(scan_pid "$T/s")"
    [ "$(cat "$T/finished")" = "finish 0 " ]
    # The service's last words reached the log: the logger read to EOF, then exited.
    grep -qx bye "$T/s/a/log/out"
    ! svok "$T/s/a"
    ! svok "$T/s/a/log"
    ! svok "$T/s/b"
}

@test "svscan: i is t; SIGTERM and SIGINT are t; SIGQUIT is q" {
    local cmd
    for cmd in i SIGTERM SIGINT SIGQUIT; do
        rm -rf "$T/s" "$T/s.log"
        make_service "$T/s/a"
        start_scan "$T/s"
        wait_for 5 is_up "$T/s/a"
        case $cmd in SIG*) kill -"${cmd#SIG}" "$(scan_pid "$T/s")" ;; *) scan_ctl "$T/s" "$cmd" ;; esac
        wait_for 10 gone "$(scan_pid "$T/s")"
        ! svok "$T/s/a"
    done
}

@test "svscan (q): loggers get SIGTERM too" {
    make_service "$T/s/a"
    make_service "$T/s/a/log" 'trap "" HUP; trap "echo TERM > sig; exit 0" TERM; while :; do sleep 0.05; done'
    start_scan "$T/s"
    wait_for 5 all_up "$T/s" a a/log
    scan_ctl "$T/s" q
    wait_for 10 gone "$(scan_pid "$T/s")"
    [ "$(cat "$T/s/a/log/sig")" = TERM ]
}

@test "svscan (b): exec finish at once; supervisors keep running" {
    make_service "$T/s/a"
    mkdir -p "$T/s/.s6-svscan"
    printf '#!/bin/sh\necho done > "%s/finished"\n' "$T" > "$T/s/.s6-svscan/finish"
    chmod 755 "$T/s/.s6-svscan/finish"
    start_scan "$T/s"
    wait_for 5 is_up "$T/s/a"
    local a
    a=$(up_pid "$T/s/a")
    scan_ctl "$T/s" b
    wait_for 5 gone "$(scan_pid "$T/s")"
    [ "$(cat "$T/finished")" = done ]
    kill -0 "$a"
    svok "$T/s/a"
    # SIGABRT is b too.
    kill_under "$T/s"
    rm -f "$T/finished"
    start_scan "$T/s"
    wait_for 5 is_up "$T/s/a"
    kill -ABRT "$(scan_pid "$T/s")"
    wait_for 5 gone "$(scan_pid "$T/s")"
    [ "$(cat "$T/finished")" = done ]
    svok "$T/s/a"
}

@test "svscan: no finish script: exit 0; a finish that cannot run: crash" {
    make_service "$T/s/a"
    start_scan "$T/s"
    wait_for 5 is_up "$T/s/a"
    scan_ctl "$T/s" t
    local pid
    pid=$(scan_pid "$T/s")
    wait "$pid" || { echo "status $?"; false; }
    # A finish that is not executable: warning, then crash (absent here: 127).
    printf 'x\n' > "$T/s/.s6-svscan/finish"
    chmod 644 "$T/s/.s6-svscan/finish"
    : > "$T/s.log"
    start_scan "$T/s"
    scan_ctl "$T/s" t
    pid=$(scan_pid "$T/s")
    local rc=0
    wait "$pid" || rc=$?
    [ "$rc" = 127 ]
    grep -qx 'svscan: warning: unable to exec finish script .s6-svscan/finish: Permission denied' "$T/s.log"
    grep -qx 'svscan: warning: executing into .s6-svscan/crash' "$T/s.log"
    grep -qx 'svscan: fatal: unable to exec .s6-svscan/crash: No such file or directory' "$T/s.log"
    # With a crash script, that runs instead, with no arguments.
    printf '#!/bin/sh\necho "crash $#" > "%s/crashed"\n' "$T" > "$T/s/.s6-svscan/crash"
    chmod 755 "$T/s/.s6-svscan/crash"
    start_scan "$T/s"
    scan_ctl "$T/s" t
    wait_for 5 test -s "$T/crashed"
    [ "$(cat "$T/crashed")" = "crash 0" ]
}

@test "svscan: signal scripts in .s6-svscan replace the default action" {
    make_service "$T/s/a"
    mkdir -p "$T/s/.s6-svscan"
    local sig
    for sig in SIGUSR1 SIGUSR2 SIGPWR SIGWINCH SIGTERM SIGHUP SIGINT SIGQUIT; do
        printf '#!/bin/sh\necho "%s $#" >> "%s/signals"\n' "$sig" "$T" > "$T/s/.s6-svscan/$sig"
        chmod 755 "$T/s/.s6-svscan/$sig"
    done
    start_scan "$T/s"
    wait_for 5 is_up "$T/s/a"
    local n=0
    for sig in SIGUSR1 SIGUSR2 SIGPWR SIGWINCH SIGTERM SIGHUP SIGINT SIGQUIT; do
        kill -"${sig#SIG}" "$(scan_pid "$T/s")"
        n=$((n + 1))
        wait_for 5 lines_in "$T/signals" "$n"
        grep -qx "$sig 0" "$T/signals"
    done
    # None of them stopped the tree.
    kill -0 "$(scan_pid "$T/s")"
    is_up "$T/s/a"
    # The scripts were reaped: no zombie children.
    ! grep -q '^State:.*Z' $(for p in $(pgrep -P "$(scan_pid "$T/s")"); do echo "/proc/$p/status"; done) /dev/null
    # Not executable: the default action (SIGTERM: stop).
    chmod 644 "$T/s/.s6-svscan/SIGTERM"
    kill -TERM "$(scan_pid "$T/s")"
    wait_for 10 gone "$(scan_pid "$T/s")"
    [ "$(grep -c SIGTERM "$T/signals")" = 1 ]
}

@test "svscan: unknown control bytes are reported and ignored" {
    make_service "$T/s/a"
    start_scan "$T/s"
    wait_for 5 is_up "$T/s/a"
    scan_ctl "$T/s" 'Xp7'
    wait_for 5 has "$T/s.log" 'svscan: warning: received unknown control command: 7'
    grep -qx 'svscan: warning: received unknown control command: X' "$T/s.log"
    grep -qx 'svscan: warning: received unknown control command: p' "$T/s.log"
    # Garbage, binary and a flood change nothing.
    head -c 5000 /dev/urandom | tr -d 'zabhitqnN' > "$T/garbage"
    timeout 5 sh -c 'cat "$1" > "$2/.s6-svscan/control"' sh "$T/garbage" "$T/s"
    scan_ctl "$T/s" z
    kill -0 "$(scan_pid "$T/s")"
    is_up "$T/s/a"
    stop_scan "$T/s"
}

@test "svscan -d: one newline once the control FIFO is ready; -d below 3 or closed: 100" {
    make_service "$T/s/a"
    mkfifo "$T/notif"
    "$KEEL_BIN/svscan" -d 5 "$T/s" 5>"$T/notif" </dev/null >>"$T/s.log" 2>&1 3>&- &
    echo $! > "$T/s.scanpid"
    track_pid "$(cat "$T/s.scanpid")"
    run timeout 5 cat "$T/notif"
    [ "$status" = 0 ]
    [ "$output" = "" ]
    [ "$(timeout 5 cat "$T/notif" < /dev/null | od -c | head -1)" = "" ] || true
    control_ready "$T/s"
    stop_scan "$T/s"
    rm -rf "$T/s"
    expect_fail 100 'svscan: fatal: notification fd must be 3 or more' svscan -d 2 "$T/s"
    expect_fail 100 'svscan: fatal: invalid notification fd: Bad file descriptor' svscan -d 9 "$T/s"
    expect_fail 100 'svscan: fatal: console holder fd must be 3 or more' svscan -X 1 "$T/s"
    expect_fail 100 'svscan: fatal: invalid console holder fd: Bad file descriptor' svscan -X 9 "$T/s"
}

@test "svscan -d: exactly one byte, a newline" {
    make_service "$T/s/a"
    "$KEEL_BIN/svscan" --notification-fd=4 "$T/s" 4>"$T/notif.out" </dev/null >>"$T/s.log" 2>&1 3>&- &
    echo $! > "$T/s.scanpid"
    track_pid "$(cat "$T/s.scanpid")"
    wait_for 5 test -s "$T/notif.out"
    [ "$(od -An -c "$T/notif.out" | tr -d ' ')" = '\n' ]
    # ...and the descriptor was closed afterwards.
    ! ls -l "/proc/$(scan_pid "$T/s")/fd" | grep -q "$T/notif.out"
    stop_scan "$T/s"
}

@test "svscan -X: the catch-all logger's supervisor gets the console as stderr" {
    make_service "$T/s/s6-svscan-log" 'echo "to the console" >&2; exec sleep 100000'
    make_service "$T/s/other" 'echo "not the console" >&2; exec sleep 100000'
    "$KEEL_BIN/svscan" -X 7 "$T/s" 7>"$T/console" </dev/null >>"$T/s.log" 2>&1 3>&- &
    echo $! > "$T/s.scanpid"
    track_pid "$(cat "$T/s.scanpid")"
    wait_for 5 all_up "$T/s" s6-svscan-log other
    wait_for 5 has "$T/console" 'to the console'
    wait_for 5 has "$T/s.log" 'not the console'
    ! grep -q 'not the console' "$T/console"
    # svscan itself does not keep the holder for other children.
    [ "$(readlink "/proc/$(up_pid "$T/s/other")/fd/2")" != "$T/console" ]
    # (a logger that never reads EOF would hold t up forever: q stops it with SIGTERM)
    scan_ctl "$T/s" q
    wait_for 10 gone "$(scan_pid "$T/s")"
}

@test "svscan: at stop, svscan's stdout and stderr let go of the catch-all logger's FIFO" {
    # The catch-all logger reads a FIFO that svscan's stdout and stderr write to (the FIFO
    # trick of stage 1). At stop, svscan drops them, so the logger reads EOF and exits, and
    # -X puts the console back on svscan's stdout and stderr for finish.
    mkdir -p "$T/s/s6-svscan-log"
    mkfifo "$T/s/s6-svscan-log/fifo"
    make_logger "$T/s/s6-svscan-log"
    # As s6's catch-all logger does: stdout to stderr (the console), stdin from the FIFO.
    sed -i '1a open(STDOUT, ">&", STDERR) or die; open(STDIN, "<", "fifo") or die;' \
        "$T/s/s6-svscan-log/run"
    mkdir -p "$T/s/.s6-svscan"
    printf '#!/bin/sh\necho "finish speaking"\n' > "$T/s/.s6-svscan/finish"
    chmod 755 "$T/s/.s6-svscan/finish"
    make_service "$T/s/a" 'echo "from a" >&2; exec sleep 100000'
    (
        exec 5<>"$T/s/s6-svscan-log/fifo"   # keep it open both ways while we start
        exec "$KEEL_BIN/svscan" -X 7 "$T/s" 7>"$T/console" </dev/null >&5 2>&5 5>&- 3>&-
    ) &
    echo $! > "$T/s.scanpid"
    track_pid "$(cat "$T/s.scanpid")"
    wait_for 5 control_ready "$T/s"
    wait_for 5 all_up "$T/s" s6-svscan-log a
    wait_for 5 has "$T/s/s6-svscan-log/out" 'from a'
    scan_ctl "$T/s" t
    wait_for 10 gone "$(scan_pid "$T/s")"
    wait_for 5 sh -c "! svok '$T/s/s6-svscan-log'"
    grep -qx 'finish speaking' "$T/console"
}

@test "svscan -L: longer names are skipped with a warning" {
    make_service "$T/s/short"
    make_service "$T/s/abcdefghijkl"
    start_scan "$T/s" "$KEEL_BIN/svscan" -L 11
    wait_for 5 is_up "$T/s/short"
    wait_for 5 has "$T/s.log" 'name too long'
    grep -qx 'svscan: warning: name too long - not spawning service: abcdefghijkl' "$T/s.log"
    [ ! -e "$T/s/abcdefghijkl/supervise" ]
    stop_scan "$T/s"
    # Clamped to 11 at least: -L 1 is -L 11.
    : > "$T/s.log"
    make_service "$T/s/abcdefghijk"
    start_scan "$T/s" "$KEEL_BIN/svscan" --name-max=1
    wait_for 5 is_up "$T/s/abcdefghijk"
    stop_scan "$T/s"
}

@test "svscan -C: a full table refuses more services with a warning, and retries later" {
    for n in 1 2 3 4 5; do make_service "$T/s/s$n"; done
    start_scan "$T/s" "$KEEL_BIN/svscan" -C 4
    wait_for 5 has "$T/s.log" 'too many services'
    [ "$(grep -c 'svscan: warning: unable to start supervisor for s[1-5]: too many services' "$T/s.log")" -ge 1 ]
    local up=0 n
    for n in 1 2 3 4 5; do is_up "$T/s/s$n" && up=$((up + 1)); done
    [ "$up" = 4 ]
    # -c (s6 2.11's spelling) is the same option; -C 1 is clamped to 4.
    stop_scan "$T/s"
    : > "$T/s.log"
    start_scan "$T/s" "$KEEL_BIN/svscan" -c 1
    wait_for 5 has "$T/s.log" 'too many services'
    stop_scan "$T/s"
}

@test "svscan: dangling symlinks are removed at start-up" {
    make_service "$T/s/a"
    ln -s "$T/nowhere" "$T/s/dangling"
    ln -s "$T/nowhere" "$T/s/.dot-dangling"
    start_scan "$T/s"
    wait_for 5 is_up "$T/s/a"
    [ ! -L "$T/s/dangling" ]
    [ -L "$T/s/.dot-dangling" ]
    # One that appears later is warned about, not removed, and the others go on.
    ln -s "$T/nowhere" "$T/s/later"
    make_service "$T/s/b"
    scan_ctl "$T/s" a
    wait_for 5 is_up "$T/s/b"
    grep -qx 'svscan: warning: unable to stat later: No such file or directory' "$T/s.log"
    [ -L "$T/s/later" ]
    stop_scan "$T/s"
}

@test "svscan: a service with a broken run does not disturb the others" {
    make_service "$T/s/good"
    mkdir -p "$T/s/noexec" "$T/s/norun"
    printf '#!/bin/sh\nexec sleep 100000\n' > "$T/s/noexec/run"
    chmod 644 "$T/s/noexec/run"
    make_service "$T/s/crashing" 'exit 1'
    start_scan "$T/s"
    wait_for 5 is_up "$T/s/good"
    wait_for 5 supervised "$T/s/noexec"
    wait_for 5 supervised "$T/s/norun"
    wait_for 5 supervised "$T/s/crashing"
    local good
    good=$(up_pid "$T/s/good")
    scan_ctl "$T/s" a
    scan_ctl "$T/s" z
    [ "$(up_pid "$T/s/good")" = "$good" ]
    kill -0 "$(scan_pid "$T/s")"
    stop_scan "$T/s"
}

@test "svscan: a second svscan on the same directory exits 100" {
    make_service "$T/s/a"
    start_scan "$T/s"
    expect_fail 100 'svscan: fatal: another instance of svscan is already running on the same directory' \
        svscan "$T/s"
    stop_scan "$T/s"
}

@test "svscan: start-up errors" {
    expect_fail 111 "svscan: fatal: unable to chdir to $T/missing: No such file or directory" svscan "$T/missing"
    mkdir -p "$T/s"
    echo x > "$T/s/.s6-svscan"
    expect_fail 100 'svscan: fatal: .s6-svscan exists and is not a directory' svscan "$T/s"
    rm "$T/s/.s6-svscan"
    mkdir "$T/s/.s6-svscan"
    echo x > "$T/s/.s6-svscan/control"
    expect_fail 100 'svscan: fatal: .s6-svscan/control is not a FIFO' svscan "$T/s"
    echo x > "$T/f"
    expect_fail 111 "svscan: fatal: unable to chdir to $T/f: Not a directory" svscan "$T/f"
}

@test "svscan: usage errors exit 100" {
    expect_usage svscan -Z
    expect_usage svscan -C
    expect_usage svscan -C x "$T"
    expect_usage svscan -t -1 "$T"
    expect_usage svscan -L 1x "$T"
    expect_usage svscan -d x "$T"
    expect_usage svscan "$T" "$T"
    expect_usage svscan --services-max
}

@test "svscan: no scandir means the current directory; -s and -S are accepted" {
    make_service "$T/s/a"
    (cd "$T/s" && exec "$KEEL_BIN/svscan" -s -S </dev/null >>"$T/s.log" 2>&1 3>&-) &
    echo $! > "$T/s.scanpid"
    track_pid "$(cat "$T/s.scanpid")"
    wait_for 5 is_up "$T/s/a"
    stop_scan "$T/s"
}

@test "svscan: with too few descriptors it warns, supervises what it can, and retries" {
    need_cmd prlimit
    for n in $(seq 1 12); do
        make_service "$T/s/s$n"
        make_service "$T/s/s$n/log" 'exec cat > /dev/null'
    done
    # 12 logged services need 24 pipe ends in svscan; 16 descriptors leave room for a few.
    prlimit --nofile=16:1024 "$KEEL_BIN/svscan" "$T/s" </dev/null >>"$T/s.log" 2>&1 3>&- &
    echo $! > "$T/s.scanpid"
    track_pid "$(cat "$T/s.scanpid")"
    wait_for 5 control_ready "$T/s"
    wait_for 5 has "$T/s.log" 'unable to create a pipe for s'
    grep -q 'svscan: warning: unable to create a pipe for s[0-9]*: Too many open files' "$T/s.log"
    local up=0 n
    for n in $(seq 1 12); do is_up "$T/s/s$n" && up=$((up + 1)); done
    [ "$up" -ge 1 ]
    [ "$up" -lt 12 ]
    kill -0 "$(scan_pid "$T/s")"
    # Room again: the retry (3 s) brings up the rest, without a command.
    prlimit --pid "$(scan_pid "$T/s")" --nofile=1024:1024
    for n in $(seq 1 12); do wait_for 10 all_up "$T/s" "s$n" "s$n/log"; done
    stop_scan "$T/s"
}

@test "svscan: a missing supervise is retried every 10 s, svscan goes on" {
    native_only "qemu-user runs vfork as fork: a failed exec shows as an exit of the child"
    mkdir -p "$T/bin"
    make_service "$T/s/a"
    KEEL_BINDIR=$T/bin start_scan "$T/s"
    wait_for 5 has "$T/s.log" 'unable to spawn'
    grep -qx "svscan: warning: unable to spawn $T/bin/supervise for a (waiting 10 seconds): No such file or directory" "$T/s.log"
    ln -s "$KEEL_BIN/supervise" "$T/bin/supervise"
    wait_for 15 is_up "$T/s/a"
    stop_scan "$T/s"
}

@test "svscan: runs real s6-supervise when that is what supervise is" {
    need_s6 s6-supervise
    mkdir -p "$T/bin"
    ln -s "$(command -v s6-supervise)" "$T/bin/supervise"
    make_service "$T/s/a"
    make_service "$T/s/b" 'while :; do echo tock; sleep 0.1; done'
    make_logger "$T/s/b/log"
    KEEL_BINDIR=$T/bin start_scan "$T/s"
    wait_for 5 all_up "$T/s" a b b/log
    wait_for 5 has "$T/s/b/log/out" tock
    s6-svstat "$T/s/a"
    stop_scan "$T/s"
}

@test "svscan: s6-svscanctl drives it" {
    need_s6 s6-svscanctl
    make_service "$T/s/a"
    start_scan "$T/s"
    wait_for 5 is_up "$T/s/a"
    make_service "$T/s/b"
    s6-svscanctl -a "$T/s"
    wait_for 5 is_up "$T/s/b"
    local b
    b=$(up_pid "$T/s/b")
    mv "$T/s/b" "$T/b"
    s6-svscanctl -an "$T/s"
    wait_for 5 gone "$b"
    s6-svscanctl -t "$T/s"
    wait_for 10 gone "$(scan_pid "$T/s")"
    ! svok "$T/s/a"
}

@test "svscan: s6-svscan and svscan share the on-disk layout: either takes over the dir" {
    need_s6 s6-svscan
    make_service "$T/s/a"
    start_scan "$T/s" "$(command -v s6-svscan)"
    wait_for 5 is_up "$T/s/a"
    expect_fail 100 'svscan: fatal: another instance of svscan is already running on the same directory' \
        svscan "$T/s"
    stop_scan "$T/s"
    start_scan "$T/s"
    wait_for 5 is_up "$T/s/a"
    stop_scan "$T/s"
}

@test "svscan: allocates nothing once running" {
    need_cmd strace
    native_only "under qemu-user, strace would trace qemu, not svscan"
    ! build_is SANITIZE || skip "the sanitizers allocate on their own"
    for n in 1 2 3; do make_service "$T/s/s$n"; make_logger "$T/s/s$n/log"; done
    start_scan "$T/s"
    wait_for 5 all_up "$T/s" s1 s1/log s2 s2/log s3 s3/log
    local pid
    pid=$(scan_pid "$T/s")
    strace -o "$T/trace" -e trace=brk,mmap,munmap,mremap -p "$pid" &
    local st=$!
    wait_for 5 grep -q TracerPid:.[1-9] "/proc/$pid/status"
    # Scans, new and removed services, restarts, unknown commands, signals.
    make_service "$T/s/new"
    scan_ctl "$T/s" a
    wait_for 5 is_up "$T/s/new"
    mv "$T/s/new" "$T/gone"
    scan_ctl "$T/s" an
    wait_for 5 sh -c "! svok '$T/gone'"
    local old
    old=$(pids_of "$T/s" s1 s1/log s2 s2/log s3 s3/log)
    kill -9 $(pgrep -P "$pid") $old
    wait_for 5 all_up "$T/s" s1 s1/log s2 s2/log s3 s3/log
    scan_ctl "$T/s" 'Xz'
    kill -USR1 "$pid"
    scan_ctl "$T/s" z
    kill "$st"
    wait "$st" || true
    ! grep -E '^(brk|mmap|munmap|mremap)' "$T/trace"
    stop_scan "$T/s"
}

@test "svscan: a fatal error execs .s6-svscan/crash" {
    # Fault injection: a preloaded waitpid that fails with EINVAL in svscan once $T/fail
    # holds its pid.
    [ -f "$KEEL_ROOT/build/test/failwait.so" ] || skip "build/test/failwait.so not built"
    ldd "$KEEL_BIN/svscan" >/dev/null 2>&1 || skip "static svscan: nothing to preload into"
    make_service "$T/s/a"
    mkdir -p "$T/s/.s6-svscan"
    printf '#!/bin/sh\necho "crash $#" > "%s/crashed"\nexec sleep 100000\n' "$T" > "$T/s/.s6-svscan/crash"
    chmod 755 "$T/s/.s6-svscan/crash"
    KEEL_FAIL_WAIT=$T/fail LD_PRELOAD=$KEEL_ROOT/build/test/failwait.so \
        ASAN_OPTIONS=verify_asan_link_order=0 start_scan "$T/s"
    wait_for 5 is_up "$T/s/a"
    scan_pid "$T/s" > "$T/fail"
    kill -9 "$(pgrep -P "$(scan_pid "$T/s")")" # a supervisor dies: the reaper's waitpid fails
    wait_for 5 test -s "$T/crashed"
    [ "$(cat "$T/crashed")" = "crash 0" ]
    grep -qx 'svscan: warning: unable to wait for children: Invalid argument' "$T/s.log"
    grep -qx 'svscan: warning: executing into .s6-svscan/crash' "$T/s.log"
    # The same process, now running crash.
    [ "$(cat "/proc/$(scan_pid "$T/s")/comm")" != svscan ]
}

# --- As pid 1 of a PID namespace -------------------------------------------------------------

@test "svscan as pid 1: orphans are reaped, no zombie remains" {
    need_root
    need_cmd unshare
    need_cmd nsenter
    # A service that leaves short-lived orphans behind, over and over.
    make_service "$T/s/orphans" '(sleep 0.01 &) ; sleep 0.05; exit 0'
    make_service "$T/s/steady"
    ns_start "$T/s"
    wait_for 5 is_up "$T/s/steady"
    ns_run "$T/s" '[ $$ -ne 1 ] && [ "$(cat /proc/1/comm)" = svscan ]'
    # Let it make a few dozen orphans.
    ns_run "$T/s" 'for i in $(seq 1 100); do sleep 0.03; done'
    # shellcheck disable=SC2016
    wait_for 5 ns_run "$T/s" '! grep -q "^State:.*Z" /proc/[0-9]*/status'
    ns_stop "$T/s"
}

@test "svscan as pid 1: kill -9 -1, 100 times: every service and logger back, new pids, no zombie" {
    need_root
    need_cmd unshare
    need_cmd nsenter
    local names=() n
    for n in $(seq 1 20); do
        make_service "$T/s/svc$n"
        names+=("svc$n")
        if [ $((n % 2)) = 0 ]; then
            make_service "$T/s/svc$n/log" 'exec cat > /dev/null'
            names+=("svc$n/log")
        fi
    done
    ns_start "$T/s"
    wait_for 10 all_up "$T/s" "${names[@]}"
    # The pids of all 30 services with one svtree (30 svstat runs per poll made each round
    # cost seconds on a loaded machine); fails unless every one is up.
    # shellcheck disable=SC2317
    tree_pids() {
        local out
        out=$(svtree -j "$T/s" | jq -r 'if .up == true then .pid else "down" end') || return 1
        [ "$(wc -w <<< "$out")" = "${#names[@]}" ] && [[ $out != *down* ]] && echo $out
    }
    [ "$(tree_pids | tr ' ' '\n' | sort)" = "$(pids_of "$T/s" "${names[@]}" | tr ' ' '\n' | sed '/^$/d' | sort)" ] ||
        { echo "svtree and svstat disagree"; false; }
    local round before after p
    for round in $(seq 1 "$(rounds 100)"); do
        before=$(tree_pids)
        ns_run "$T/s" 'kill -9 -1'
        # Every service back up with a new pid.
        # shellcheck disable=SC2317
        back() {
            local now
            now=$(tree_pids) || return 1
            for p in $now; do case " $before " in *" $p "*) return 1 ;; esac; done
            after=$now
        }
        wait_for 10 back || { echo "round $round: not back: $(pids_of "$T/s" "${names[@]}")"; false; }
        wait_for 5 ns_run "$T/s" '! grep -q "^State:.*Z" /proc/[0-9]*/status' ||
            { echo "round $round: zombies"; false; }
    done
    [ -n "$after" ]
    ns_stop "$T/s"
}

@test "svscan: no line lost in the log pipe while the logger is stopped with SIGTERM 50 times" {
    make_service "$T/s/p" 'i=0; while :; do i=$((i+1)); echo "$i"; done'
    make_logger "$T/s/p/log"
    start_scan "$T/s"
    wait_for 5 all_up "$T/s" p p/log
    local k old
    for k in $(seq 1 "$(rounds 50)"); do
        old=$(up_pid "$T/s/p/log")
        svc -t "$T/s/p/log"
        wait_for 5 gone "$old"
        wait_for 5 is_up "$T/s/p/log"
    done
    # Stop the producer, let the logger drain, then stop the logger.
    svc -d "$T/s/p"
    local last
    wait_for 5 sh -c "! svstat -o up '$T/s/p' | grep -q true"
    stop_scan "$T/s"
    # Every number exactly once, in order, from 1.
    awk 'NR != $0 { print "line " NR ": " $0; bad = 1; exit } END { exit bad }' "$T/s/p/log/out"
    last=$(tail -n 1 "$T/s/p/log/out")
    [ "$last" -gt 1000 ]
}

@test "svscan: SIGKILLed logger: nothing duplicated or reordered, at most its partial line lost" {
    make_service "$T/s/p" 'i=0; while :; do i=$((i+1)); echo "$i"; done'
    make_logger "$T/s/p/log"
    start_scan "$T/s"
    wait_for 5 all_up "$T/s" p p/log
    local k old kills=20
    for k in $(seq 1 $kills); do
        old=$(up_pid "$T/s/p/log")
        kill -9 "$old"
        wait_for 5 gone "$old"
        wait_for 5 is_up "$T/s/p/log"
    done
    svc -d "$T/s/p"
    wait_for 5 sh -c "! svstat -o up '$T/s/p' | grep -q true"
    stop_scan "$T/s"
    # Strictly increasing; each kill can lose the one line the logger was in the middle of
    # (a piece of it may have been written: then it is the last piece of a line of its own).
    awk -v kills=$kills '
        /^[0-9]+$/ && $0 + 0 > prev { gap += $0 - prev - 1; prev = $0 + 0; next }
        { bad++ }
        END { if (gap > kills || bad > kills) { print "gap " gap " bad " bad; exit 1 } }
    ' "$T/s/p/log/out"
}
