#!/usr/bin/env bats
# permissions: who may do what to a supervision tree. The modes supervise and svscan give their
# files (under umasks 000, 022 and 077, and after restarts); what a non-root user cannot do to a
# private service or scanner; delegation with svperms to a group (numeric ids, through
# applyuidgid: the host's user database is never changed); the daemons' sockets; who may talk
# to shutdownd and init-shutdown -a; and the modes of what a representative set of tools makes
# under umasks 000 and 077. doc/keel-security.7 is the guide these tests hold to.

load helper
load hpr
load runlevel

# Two unprivileged users that exist nowhere but here: a member of the delegated group DG, and
# somebody else. As root, applyuidgid takes numeric ids without looking them up.
DG=64012
member() { applyuidgid -u 64011 -g 64011 -G "64011,$DG" "$@"; }
other() { applyuidgid -u 64013 -g 64013 -G 64013 "$@"; }

# m BASE UMASK: the mode (octal, as stat %a prints it) that BASE gives under UMASK.
m() { printf '%o' $(( 0$1 & ~0$2 )); }

# svmodes DIR: the type, mode and group of what supervise keeps in DIR, one line each.
svmodes() {
    (cd "$1" && stat -c '%n %F %a %g' event supervise supervise/control supervise/lock \
        supervise/status supervise/death_tally)
}

# expect_svmodes DIR UMASK EGID: svmodes is what the spec says for a supervise run under UMASK
# with egid EGID: event/, supervise/, control and lock fixed, status and the tally under umask.
expect_svmodes() {
    local want="event directory 3730 $3
supervise directory 700 $3
supervise/control fifo 600 $3
supervise/lock regular empty file 644 $3
supervise/status regular file $(m 644 "$2") $3"
    local got
    got=$(svmodes "$1" | grep -v '^supervise/death_tally')
    [ "$got" = "$want" ] || { echo "umask $2: got"; echo "$got"; echo "wanted"; echo "$want"; return 1; } >&2
    # the tally is truncated at start, not made anew: an existing one keeps its mode
    [ "$(stat -c %a "$1/supervise/death_tally")" = "${4:-$(m 644 "$2")}" ]
}

# modes_of FILE...: their modes, on one line.
modes_of() { stat -c %a "$@" | tr '\n' ' ' | sed 's/ $//'; }

# restarted DIR PID: DIR's service is up with a pid other than PID.
restarted() { local p; p=$(st_pid "$1"); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$2" ]; }

# running DIR: a service sleeping in DIR, up under a supervise of root's.
running() {
    make_service "$1"
    start_sv "$1"
    wait_for 5 is_up "$1"
}

# tally_has DIR N: the death tally holds N records.
tally_has() { [ "$(stat -c %s "$1/supervise/death_tally")" = $(( $2 * 14 )) ]; }

@test "permissions: every open that may create a file passes its mode (open_file/open_at)" {
    # lib/keel/fd.h gives open_file()/open_at() a default mode of 0666; a call that may create
    # (O_CREAT, or flags that are not plain constants) must say its mode. Reviewed exceptions:
    # stage1 and supervise open existing devices (/dev/console, /dev/null) with computed flags.
    run python3 - "$KEEL_ROOT"/tools/*.cc "$KEEL_ROOT"/lib/*.cc <<'EOF'
import re, sys, pathlib
allowed = {('stage1.cc', 'open_file(path, flags | O_NOCTTY)'),
           ('supervise.cc', 'open_file("/dev/null", mode)')}
bad = []
for path in sys.argv[1:]:
    src = pathlib.Path(path).read_text()
    for m in re.finditer(r'\b(open_file|open_at)\(', src):
        i, depth, args, cur = m.end(), 1, [], ''
        while depth:
            c = src[i]; i += 1
            if c in '([{': depth += 1
            elif c in ')]}': depth -= 1
            if depth == 1 and c == ',': args.append(cur.strip()); cur = ''
            elif depth: cur += c
        args.append(cur.strip())
        need = 3 if m.group(1) == 'open_file' else 4
        if len(args) >= need: continue
        flags = args[need - 2]
        access = re.search(r'\bO_(RDONLY|WRONLY|RDWR|PATH)\b', flags)
        if 'O_CREAT' not in flags and 'O_TMPFILE' not in flags and access: continue
        call = '%s(%s)' % (m.group(1), ', '.join(args))
        if (pathlib.Path(path).name, call) in allowed: continue
        bad.append('%s:%d: %s' % (path, src.count('\n', 0, m.start()) + 1, call))
print('\n'.join(bad))
EOF
    [ "$status" = 0 ]
    [ -z "$output" ]
}

@test "permissions: supervise's modes under umask 000, 022, 077, after deaths and restarts" {
    need_root
    for um in 000 022 077; do
        d=$T/s$um
        make_service "$d"
        (umask "$um"; start_sv "$d")
        wait_for 5 is_up "$d"
        expect_svmodes "$d" "$um" "$(id -g)"
        # a death rewrites the status and the tally (.new, then rename): same modes
        pid=$(st_pid "$d")
        svc -k "$d"
        wait_for 5 tally_has "$d" 1
        wait_for 5 restarted "$d" "$pid"
        expect_svmodes "$d" "$um" "$(id -g)"
        # the down file that D makes: 0644 under the umask
        svc -D "$d"
        wait_for 5 test -f "$d/down"
        [ "$(stat -c %a "$d/down")" = "$(m 644 "$um")" ]
        svc -U "$d"
        wait_for 5 is_up "$d"
        # a new supervise on the same dir, under the same umask: the same modes again
        stop_sv "$d"
        (umask "$um"; start_sv "$d")
        expect_svmodes "$d" "$um" "$(id -g)"
        # under another umask, the status (written anew) follows it; the rest is as before
        stop_sv "$d"
        (umask 000; start_sv "$d")
        expect_svmodes "$d" 000 "$(id -g)" "$(m 644 "$um")"
        stop_sv "$d"
    done
}

@test "permissions: event/ belongs to supervise's egid; an existing event/ is left as it is" {
    need_root
    printf '#!/bin/sh\nexec applyuidgid -g %s -G %s %s/supervise "$@"\n' "$DG" "$DG" "$KEEL_BIN" > "$T/sv-dg"
    chmod 755 "$T/sv-dg"
    make_service "$T/a"
    (umask 022; start_sv "$T/a" "$T/sv-dg")
    expect_svmodes "$T/a" 022 "$DG"
    stop_sv "$T/a"
    # a public event/ made beforehand stays public
    make_service "$T/b"
    mkfifodir "$T/b/event"
    start_sv "$T/b"
    [ "$(stat -c '%a %g' "$T/b/event")" = "1733 $(id -g)" ]
    stop_sv "$T/b"
}

@test "permissions: svscan's .s6-svscan is 0700, its control 0600 and lock 0600, whatever the umask" {
    need_root
    for um in 000 077; do
        (umask "$um"; start_scan "$T/scan$um")
        [ "$(stat -c '%a %F' "$T/scan$um/.s6-svscan" "$T/scan$um/.s6-svscan/control" \
            "$T/scan$um/.s6-svscan/lock" | tr '\n' ' ')" = "700 directory 600 fifo 600 regular empty file " ]
        stop_scan "$T/scan$um"
    done
}

@test "permissions: a non-root user cannot control, read or watch a private service" {
    need_root
    d=$T/svc
    running "$d"
    pid=$(st_pid "$d")
    record_events "$d" "$T/ev"
    fifo=$(find "$d/event" -name 'ftrig1:@*')
    for who in "setuidgid nobody" other; do
        expect_fail 111 "svc: warning: unable to control $d: Permission denied" $who svc -d "$d"
        expect_fail 111 "svc: warning: unable to control $d: Permission denied" $who svc -x "$d"
        expect_fail 111 "svstat: fatal: unable to check $d: Permission denied" $who svstat "$d"
        expect_fail 111 "svok: fatal: unable to check $d: Permission denied" $who svok "$d"
        expect_fail 111 "svdt: fatal: unable to read death tally for service $d: Permission denied" $who svdt "$d"
        expect_fail 111 "svwait: fatal: unable to subscribe to events for $d: Permission denied" $who svwait -t 100 -d "$d"
        expect_fail 111 "svc: fatal: unable to subscribe to events for $d: Permission denied" $who svc -wd -T 100 -d "$d"
        # by hand: not the control FIFO, not a FIFO of its own in event/, not root's listener
        run $who sh -c 'printf d > "$1/supervise/control"' sh "$d"
        [ "$status" != 0 ] && [[ $output == *"Permission denied"* ]]
        run $who mkfifo "$d/event/ftrig1:@400000006b0bc72638c0f639:abcdef"
        [ "$status" != 0 ] && [[ $output == *"Permission denied"* ]]
        run $who rm -f "$fifo"
        [ "$status" != 0 ] && [[ $output == *"Permission denied"* ]]
        run $who ls "$d/event"
        [ "$status" != 0 ]
    done
    # nothing of it reached the service, which is still up with the same pid; root's listener
    # is still there and hears the next event
    [ "$(st_pid "$d")" = "$pid" ]
    [ -p "$fifo" ]
    [ ! -s "$T/ev" ]
    svc -d "$d"
    wait_for 5 events_are "$T/ev" dD
    stop_sv "$d"
}

@test "permissions: a non-root user cannot touch svscan's control" {
    need_root
    make_service "$T/scan/svc"
    start_scan "$T/scan"
    wait_for 5 supervised "$T/scan/svc"
    for who in "setuidgid nobody" other; do
        for l in t h a n; do
            expect_fail 111 "svscanctl: fatal: unable to control $T/scan: Permission denied" \
                $who svscanctl "-$l" "$T/scan"
        done
        run $who sh -c 'printf t > "$1/.s6-svscan/control"' sh "$T/scan"
        [ "$status" != 0 ] && [[ $output == *"Permission denied"* ]]
        run $who ls "$T/scan/.s6-svscan"
        [ "$status" != 0 ]
    done
    # the scanner and its service did not move
    kill -0 "$(scan_pid "$T/scan")"
    supervised "$T/scan/svc"
    stop_scan "$T/scan"
}

@test "permissions: svperms -G delegates status, control and (with -E) events to a group" {
    need_root
    d=$T/svc
    running "$d"
    svperms -G ":$DG" -E ":$DG" "$d"
    # a member drives the service: down, up, with waits; reads its status and its tally
    run member svstat -o up "$d"
    [ "$status" = 0 ] && [ "$output" = true ]
    run member svc -wD -T 5000 -d "$d"
    [ "$status" = 0 ]
    [ "$(svstat -o up,wantedup "$d")" = "false false" ]
    run member svc -wu -T 5000 -u "$d"
    [ "$status" = 0 ]
    [ "$(svstat -o up,wantedup "$d")" = "true true" ]
    member svwait -t 5000 -u "$d"
    member svdt "$d"
    # its subscriptions are its own FIFOs in event/; they are gone when it is done
    bg w applyuidgid -u 64011 -g 64011 -G "64011,$DG" svwait -d "$d"
    wait_for 5 listening "$d"
    [ "$(stat -c %u "$(find "$d/event" -name 'ftrig1:@*')")" = 64011 ]
    svc -d "$d"
    bg_wait w
    [ "$bg_status" = 0 ]
    no_fifo "$d"
    svc -u "$d"
    wait_for 5 is_up "$d"
    # a FIFO of root's in event/ is not the member's to remove (sticky bit)
    record_events "$d" "$T/ev"
    fifo=$(find "$d/event" -name 'ftrig1:@*')
    run member rm -f "$fifo"
    [ "$status" != 0 ] && [[ $output == *"Operation not permitted"* ]]
    run member mv "$fifo" "$d/event/.x"
    [ "$status" != 0 ]
    [ -p "$fifo" ]
    # somebody else still can do nothing
    pid=$(st_pid "$d")
    expect_fail 111 "svc: warning: unable to control $d: Permission denied" other svc -d "$d"
    expect_fail 111 "svstat: fatal: unable to check $d: Permission denied" other svstat "$d"
    expect_fail 111 "svwait: fatal: unable to subscribe to events for $d: Permission denied" other svwait -t 100 -d "$d"
    [ "$(st_pid "$d")" = "$pid" ]
    # the rights survive a new supervise, which leaves existing files as they are
    stop_sv "$d"
    start_sv "$d"
    wait_for 5 is_up "$d"
    run member svc -wD -T 5000 -d "$d"
    [ "$status" = 0 ]
    # svperms -u -E with the owner's group takes it all back
    svperms -u -E ":$(id -g)" "$d"
    expect_fail 111 "svc: warning: unable to control $d: Permission denied" member svc -u "$d"
    expect_fail 111 "svstat: fatal: unable to check $d: Permission denied" member svstat "$d"
    expect_fail 111 "svwait: fatal: unable to subscribe to events for $d: Permission denied" member svwait -t 100 -d "$d"
    [ "$(svstat -o up,wantedup "$d")" = "false false" ]
    stop_sv "$d"
}

@test "permissions: svperms -g, -o, -O, -e and -E, each with what it allows and what it does not" {
    need_root
    d=$T/svc
    running "$d"
    pid=$(st_pid "$d")
    # -g: the group reads the status, but may not control
    svperms -g ":$DG" "$d"
    [ "$(member svstat -o up "$d")" = true ]
    expect_fail 111 "svc: warning: unable to control $d: Permission denied" member svc -d "$d"
    expect_fail 111 "svstat: fatal: unable to check $d: Permission denied" other svstat "$d"
    # -E alone: the group may subscribe (and, with -g, wait)
    expect_fail 111 "svwait: fatal: unable to subscribe to events for $d: Permission denied" member svwait -t 100 -d "$d"
    svperms -E ":$DG" "$d"
    expect_fail 99 "svwait: fatal: timed out" member svwait -t 100 -d "$d"
    expect_fail 111 "svwait: fatal: unable to subscribe to events for $d: Permission denied" other svwait -t 100 -d "$d"
    # -o: everybody reads the status; control stays with the owner
    svperms -o "$d"
    [ "$(other svstat -o up "$d")" = true ]
    [ "$(setuidgid nobody svstat -o up "$d")" = true ]
    expect_fail 111 "svc: warning: unable to control $d: Permission denied" other svc -d "$d"
    expect_fail 111 "svc: warning: unable to control $d: Permission denied" member svc -d "$d"
    # -e: everybody may subscribe, so with -o anybody may wait
    svperms -e "$d"
    expect_fail 99 "svwait: fatal: timed out" other svwait -t 100 -d "$d"
    expect_fail 99 "svwait: fatal: timed out" setuidgid nobody svwait -t 100 -d "$d"
    [ "$(st_pid "$d")" = "$pid" ]
    # -O: everybody reads, the group controls too
    svperms -O ":$DG" "$d"
    expect_fail 111 "svc: warning: unable to control $d: Permission denied" other svc -d "$d"
    run member svc -wD -T 5000 -d "$d"
    [ "$status" = 0 ]
    [ "$(other svstat -o up "$d")" = false ]
    stop_sv "$d"
}

# --- daemons' sockets ------------------------------------------------------------------------

# connect_as WHO... SOCKET: connects to a unix stream socket and prints "ok" or the error.
connect_as() {
    local sock=${*: -1}
    "${@:1:$#-1}" python3 -c '
import socket, sys, os
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1]); print("ok")
except OSError as e:
    print(os.strerror(e.errno))' "$sock"
}

@test "permissions: rc-oneshotd's and rc-fdholderd's sockets: root connects, nobody else" {
    need_root
    mkdir -p "$T/os"
    for um in 000 022; do
        rm -f "$T/os.ready" "$T/fh.ready"
        (umask "$um"; exec rc-oneshotd -d 3 "$T/os.s" "$T/os" 3>"$T/os.ready" </dev/null >/dev/null 2>&1) &
        os=$!
        track_pid "$os"
        (umask "$um"; exec rc-fdholderd -d 3 "$T/fh.s" 3>"$T/fh.ready" </dev/null >/dev/null 2>&1) &
        fh=$!
        track_pid "$fh"
        wait_for 5 test -s "$T/os.ready"
        wait_for 5 test -s "$T/fh.ready"
        for s in os fh; do
            [ "$(stat -c '%a %U' "$T/$s.s")" = "600 root" ]
            [ "$(connect_as "$T/$s.s")" = ok ]
            [ "$(connect_as setuidgid nobody "$T/$s.s")" = "Permission denied" ]
            [ "$(connect_as member "$T/$s.s")" = "Permission denied" ]
        done
        # the real client of the holder says so too, and nothing was made for it
        expect_fail 111 "rc-pipe: fatal: unable to get the read end of pipe x from $T/fh.s: Permission denied" \
            setuidgid nobody rc-pipe -r x "$T/fh.s" true
        kill -TERM "$os" "$fh"
        wait "$os" || false
        wait "$fh" || false
    done
}

@test "permissions: init-runleveld's socket: 0700, root's; telinit as another user is refused" {
    need_root
    rl_basedir "$T/base"
    RL_PRE="umask 0" rl_start "$T/rl" -c "$T/base"
    run rl_in "$T/rl" stat -c '%a %U' "$RL_SOCK"
    [ "$output" = "700 root" ]
    run rl_in "$T/rl" setuidgid nobody init-telinit 3
    [ "$status" = 111 ]
    [ "$output" = "init-telinit: fatal: unable to connect to runleveld at $RL_SOCK: Permission denied" ]
    [ ! -e "$T/base/args" ]
    run rl_in "$T/rl" init-telinit 4
    [ "$status" = 0 ]
    [ "$(cat "$T/base/args")" = 4 ]
    rl_stop "$T/rl"
}

# --- init-shutdown ---------------------------------------------------------------------------

@test "permissions: only who may write shutdownd's FIFO shuts down; -a counts USER_PROCESS entries only" {
    need_root
    run in_ns '
        listen
        # root only, by default: nothing is written for anybody else
        setuidgid nobody init-shutdown -r now 2>&1; echo "rc=$?"
        applyuidgid -u 64011 -g 64011 -G 64011,'"$DG"' init-shutdown -p now 2>&1; echo "rc=$?"
        # the FIFO delegated to a group: its members may
        chgrp '"$DG"' /run/service/s6-linux-init-shutdownd/fifo
        chmod 0620 /run/service/s6-linux-init-shutdownd/fifo
        applyuidgid -u 64011 -g 64011 -G 64011,'"$DG"' init-shutdown -h now 2>&1; echo "rc=$?"
        setuidgid nobody init-shutdown -r now 2>&1; echo "rc=$?"
        # -a: a shutdown.allow the caller cannot read is an error, not a pass
        echo alice > /etc/shutdown.allow
        chmod 0600 /etc/shutdown.allow
        applyuidgid -u 64011 -g 64011 -G 64011,'"$DG"' init-shutdown -a -r now 2>&1; echo "rc=$?"
        chmod 0644 /etc/shutdown.allow
        # alice at a login prompt (LOGIN_PROCESS) or logged out (DEAD_PROCESS) does not count
        utmp() { python3 -c "import struct, sys
sys.stdout.buffer.write(struct.pack(\"<hxxi32s4s32s256shhiii4i20x\", int(sys.argv[1]), 4242,
    b\"pts/93\", b\"s/93\", sys.argv[2].encode(), b\"\", 0, 0, 0, 0, 0, 0, 0, 0, 0))" "$@" >> /run/utmp; }
        utmp 6 alice; utmp 8 alice; utmp 7 bob
        init-shutdown -a -r now 2>&1; echo "rc=$?"
        utmp 7 alice
        applyuidgid -u 64011 -g 64011 -G 64011,'"$DG"' init-shutdown -a -p now 2>&1; echo "rc=$?"
        fifo_hex
    '
    [ "$status" = 0 ]
    [ "$output" = "init-shutdown: fatal: unable to talk to shutdownd: Permission denied
rc=111
init-shutdown: fatal: unable to talk to shutdownd: Permission denied
rc=111
rc=0
init-shutdown: fatal: unable to talk to shutdownd: Permission denied
rc=111
init-shutdown: fatal: unable to open /etc/shutdown.allow: Permission denied
rc=111
init-shutdown: fatal: no authorized users logged in
rc=1
rc=0
$(order_hex h 0 0 0)$(order_hex p 0 0 0)" ]
}

# --- what the tools make, under umasks 000 and 077 -------------------------------------------

@test "permissions: the modes the tools give what they make, under umask 000 and 077" {
    need_root
    # a tiny compiled db for rc-init
    mkdir -p "$T/src/web"
    echo longrun > "$T/src/web/type"
    printf '#!/bin/sh\nexec sleep 100000\n' > "$T/src/web/run"
    chmod 755 "$T/src/web/run"
    rc-compile "$T/db" "$T/src"
    init-maker -f "$KEEL_ROOT/skel" "$T/init022"
    for um in 000 077; do
        w=$T/u$um
        mkdir "$w"
        (
            umask "$um"
            cd "$w"
            S=$w/scan
            # svlog: the logdir 0700, lock and state and current 0666 under the umask,
            # archives and a cleanly closed current the same plus u+x
            head -c 5000 /dev/zero | tr '\0' x | fold -w 99 | svlog s4096 ./log
            # svlink: event/ 03730 (or 01733 with -P) whatever the umask, down under it
            make_service svc
            make_service pub
            start_scan "$S"
            svlink -D "$S" "$w/svc"
            svlink -P "$S" "$w/pub"
            # mkfifodir: 01733, or 03730 with -g
            mkfifodir pubfd
            mkfifodir -g "$DG" grpfd
            # setlock and redirfd: 0666 under the umask
            setlock lockfile true
            redirfd -w 1 out true
            # svdt-clear: the emptied tally is written anew, 0644 under the umask
            svdt-clear svc
            # rc-init: the live dir 0755, its files 0644 under the umask
            rc-init -c "$T/db" -l "$w/live" -t 10000 "$S"
            # init-maker: the same tree whatever the umask
            init-maker -f "$KEEL_ROOT/skel" "$w/init"
            stop_scan "$S"
        )
        f=$(m 666 "$um")
        x=$(printf '%o' $(( 0$f | 0100 )))
        [ "$(stat -c %a "$w/log")" = 700 ]
        [ "$(modes_of "$w/log/lock" "$w/log/state" "$w/log/current")" = "$f $f $x" ]
        [ "$(find "$w/log" -name '@*.s' | wc -l)" = 1 ]
        [ "$(stat -c %a "$w"/log/@*.s)" = "$x" ]
        [ "$(stat -c '%a %g' "$w/svc/event")" = "3730 $(id -g)" ]
        [ "$(stat -c %a "$w/pub/event")" = 1733 ]
        [ "$(stat -c %a "$w/svc/down")" = "$(m 644 "$um")" ]
        [ "$(stat -c %a "$w/pubfd")" = 1733 ]
        [ "$(stat -c '%a %g' "$w/grpfd")" = "3730 $DG" ]
        [ "$(modes_of "$w/lockfile" "$w/out")" = "$f $f" ]
        [ "$(stat -c %a "$w/svc/supervise/death_tally")" = "$(m 644 "$um")" ]
        real=$w/$(readlink "$w/live")
        [ "$(stat -c %a "$real")" = 755 ]
        [ "$(modes_of "$real/lock" "$real/prefix" "$real/state")" = "$(m 644 "$um") $(m 644 "$um") $(m 644 "$um")" ]
        [ "$(stat -c %a "$real/servicedirs/web/run")" = 755 ]
        [ "$(stat -c %a "$real/servicedirs/web/event")" = 3730 ]
        diff <(cd "$T/init022" && find . -printf '%M %p\n' | sort -k2) \
            <(cd "$w/init" && find . -printf '%M %p\n' | sort -k2)
    done
}
