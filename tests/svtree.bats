#!/usr/bin/env bats
# svtree: the human table (every column, checked for alignment) and the JSON Lines (validated,
# every field), for live services under keel's supervise and s6-supervise, directories without
# a supervisor, damaged status files, weird names, the health exit code, 1000 services, errors,
# and a tree built by a real scanner.

load helper

# (keel_teardown kills whatever a test left under $T.)
setup() {
    keel_setup
    S=$T/scan
    mkdir "$S"
}

# --- helpers ------------------------------------------------------------------------------
# (is_up, is_ready, scanners, start_scan, scan_ctl are in tests/helper.bash)

# The pid and the flags byte of DIR/supervise/status, read from the file itself: what svtree
# shows is checked against the bytes, not against another keel tool.
is_down() { [ "$(st_pid "$1")" = 0 ]; }
is_paused() { is_up "$1" && (( $(st_flags "$1") & 1 )); }
is_finishing() { (( $(st_flags "$1") & 2 )); }
sv_name() { basename "$1"; }

put_hex() { local h; h=$(printf '%s' "${*:2}" | tr -d ' '); perl -e 'print pack("H*", $ARGV[0])' "$h" > "$1"; }
# The 16 hex digits of a TAI64 label OFFSET seconds from now.
tai_hex() { printf '%016x' $(( (1 << 62) + $(date +%s) + 37 + ${1:-0} )); }

# fake_supervised DIR: DIR/supervise/lock held (by setlock), so a hand-written status is read.
fake_supervised() {
    mkdir -p "$1/supervise"
    setlock "$1/supervise/lock" sleep 100000 </dev/null >/dev/null 2>&1 3>&- &
    track_pid $!
    disown $!
    wait_for 5 svok "$1"
}
# fake_status DIR AGO PID WSTAT FLAGS: DIR supervised, with this 35-byte status (both stamps
# AGO seconds ago; PID 16 hex digits, WSTAT 4, FLAGS 2).
fake_status() {
    [ -d "$1/supervise" ] || fake_supervised "$1"
    local t; t=$(tai_hex "-$2")
    put_hex "$1/supervise/status" "${t}00000000 ${t}00000000 $3 $4 $5"
}

# cols [-k]: reads svtree's table on stdin, checks its layout (the header words; each column
# starts two spaces after the widest cell of the one before, which one cell fills exactly; no
# trailing blanks; valid UTF-8) and prints the cells joined by '|'. Pids become P and durations
# T, unless -k.
cols() {
    python3 -c '
import re, sys
keep = sys.argv[1:] == ["-k"]
text = sys.stdin.buffer.read().decode("utf-8")
assert text.endswith("\n"), "no final newline"
lines = text[:-1].split("\n")
words = [(m.group(), m.start()) for m in re.finditer(r"\S+", lines[0])]
head = ["NAME", "STATE", "PID", "TIME", "READY", "WANT", "NORMALLY", "LASTEXIT"]
assert [w for w, _ in words] == head, "header: %r" % lines[0]
starts = [s for _, s in words]
assert starts[0] == 0
rows = []
for line in lines:
    assert line == line.rstrip(), "trailing blank: %r" % line
    for s in starts[1:]:
        assert line[s - 2:s] == "  " and line[s:s + 1].strip(), "misaligned: %r" % line
    cells = [line[a:b].rstrip() for a, b in zip(starts, starts[1:])] + [line[starts[-1]:]]
    rows.append(cells)
for k in range(len(starts) - 1):
    widest = max(len(r[k]) for r in rows)
    assert starts[k + 1] - starts[k] == widest + 2, "column %s too wide" % head[k]
for r in rows[1:]:
    if not keep:
        if r[2].isdigit(): r[2] = "P"
        if re.fullmatch(r"\d+s|\d+m\d\ds|\d+h\d\dm|\d+d\d\dh", r[3]): r[3] = "T"
for r in rows:
    print("|".join(r))
' "$@"
}

# jfields: reads svtree -j on stdin, checks that each line is one JSON object with exactly the
# documented keys in order and consistent times, and prints its values joined by '|' (JSON
# spelling; pid as P and seconds/since values as N).
jfields() {
    python3 -c '
import json, sys, time
keys = ["name", "state", "healthy", "supervised", "up", "pid", "seconds", "since", "ready",
        "readyseconds", "readysince", "wantup", "normallyup", "paused", "exitcode", "signal",
        "signum", "error"]
# since + seconds is the clock reading of svtree: 10 s of slack for a loaded machine, still well
# under the 27 leap seconds a wrong TAI conversion would add
now = time.time()
for line in sys.stdin.buffer.read().decode("utf-8").split("\n")[:-1]:
    o = json.loads(line)
    assert list(o) == keys, "keys: %r" % list(o)
    for a, b in (("seconds", "since"), ("readyseconds", "readysince")):
        assert (o[a] is None) == (o[b] is None)
        if o[a] is not None:
            assert abs(o[b] + o[a] - now) <= 10, line
    v = [json.dumps(o[k], ensure_ascii=False) for k in keys]
    if isinstance(o["pid"], int): v[5] = "P"
    for i in (6, 7, 9, 10):
        if isinstance(o[keys[i]], int): v[i] = "N"
    print("|".join(v))
'
}

# The supervisors are told apart in directory names.
live_tree() {
    local s=$1 sv=$2
    mkdir -p "$s"
    make_service "$s/up"
    make_service "$s/up/log"
    make_service "$s/down"
    make_service "$s/normdown"
    touch "$s/normdown/down"
    make_service "$s/ready" 'echo >&3; exec sleep 100000 3>&-'
    echo 3 > "$s/ready/notification-fd"
    make_service "$s/paused"
    for d in up up/log down normdown ready paused; do start_sv "$s/$d" "$sv"; done
    for d in up up/log down ready paused; do wait_for 5 is_up "$s/$d"; done
    svc -d "$s/down"
    svc -p "$s/paused"
    wait_for 5 is_down "$s/down"
    wait_for 5 is_ready "$s/ready"
    wait_for 5 is_paused "$s/paused"
}

stop_tree() {
    local d
    for d in "$@"; do stop_sv "$d"; done
}

# --- live services ------------------------------------------------------------------------

@test "svtree: live services up, down, normally down, ready, paused, with a logger" {
    for sv in $(supervisors); do
        s=$T/$(sv_name "$sv")
        live_tree "$s" "$sv"
        run --separate-stderr svtree "$s"
        [ "$status" -eq 0 ]
        [ -z "$stderr" ]
        [ "$(cols <<< "$output")" = "NAME|STATE|PID|TIME|READY|WANT|NORMALLY|LASTEXIT
down|down|-|T|-|down|up|SIGTERM
normdown|down|-|T|-|down|down|-
paused|paused|P|T|no|up|up|-
ready|up|P|T|yes|up|up|-
up|up|P|T|no|up|up|-
up/log|up|P|T|no|up|up|-" ]
        # the pids are the services' own
        [ "$(cols -k <<< "$output" | awk -F'|' 'NR > 1 { print $3 }' | tr '\n' ' ')" = \
          "- - $(st_pid "$s/paused") $(st_pid "$s/ready") $(st_pid "$s/up") $(st_pid "$s/up/log") " ]
        [[ "${lines[0]}" =~ ^NAME\ {6}STATE\ {3}PID\ +TIME\ +READY\ \ WANT\ \ NORMALLY\ \ LASTEXIT$ ]]
        [[ "${lines[1]}" =~ ^down\ {6}down\ {4}-\ +[0-9]+s\ +-\ {6}down\ \ up\ {8}SIGTERM$ ]]

        run --separate-stderr svtree -j "$s"
        [ "$status" -eq 0 ]
        [ "$(jfields <<< "$output")" = '"down"|"down"|true|true|false|null|N|N|false|null|null|false|true|false|null|"SIGTERM"|15|null
"normdown"|"down"|true|true|false|null|N|N|false|null|null|false|false|false|null|null|null|null
"paused"|"paused"|true|true|true|P|N|N|false|null|null|true|true|true|null|null|null|null
"ready"|"up"|true|true|true|P|N|N|true|N|N|true|true|false|null|null|null|null
"up"|"up"|true|true|true|P|N|N|false|null|null|true|true|false|null|null|null|null
"up/log"|"up"|true|true|true|P|N|N|false|null|null|true|true|false|null|null|null|null' ]
        [ "$(jq -r 'select(.name == "up") | .pid' <<< "$output")" = "$(st_pid "$s/up")" ]

        stop_tree "$s/up" "$s/up/log" "$s/down" "$s/normdown" "$s/ready" "$s/paused"
        # no supervisor any more: nothing of the old status is shown
        run svtree "$s"
        [ "$status" -eq 1 ]
        [ "$(cols <<< "$output")" = "NAME|STATE|PID|TIME|READY|WANT|NORMALLY|LASTEXIT
down|unsupervised|-|-|-|-|up|-
normdown|unsupervised|-|-|-|-|down|-
paused|unsupervised|-|-|-|-|up|-
ready|unsupervised|-|-|-|-|up|-
up|unsupervised|-|-|-|-|up|-
up/log|unsupervised|-|-|-|-|up|-" ]
    done
}

# shows NAME STATE [NAME STATE...]: svtree shows each NAME in its STATE, in one run (a
# crash-looping service is down most of the time, up for an instant); the output and the exit
# code are kept in $T/out and $T/rc.
shows() {
    svtree "$S" > "$T/out"
    echo $? > "$T/rc"
    while [ $# -gt 0 ]; do
        grep -q "^$1  *$2 " "$T/out" || return 1
        shift 2
    done
}

@test "svtree: last exit: a crash loop, a signal, exit 0 or 5 then up again, finishing" {
    for sv in $(supervisors); do
        rm -rf "$S"
        mkdir "$S"
        make_service "$S/crash" 'exit 3'
        make_service "$S/killed" 'kill -USR1 $$'
        make_service "$S/exit0" '[ -e ran ] && exec sleep 100000; touch ran; exit 0'
        make_service "$S/exit5" '[ -e ran ] && exec sleep 100000; touch ran; exit 5'
        make_service "$S/fresh"
        make_service "$S/finish" 'exit 0'
        printf '#!/bin/sh\nexec sleep 100000\n' > "$S/finish/finish"
        chmod 755 "$S/finish/finish"
        for d in crash killed exit0 exit5 fresh finish; do start_sv "$S/$d" "$sv"; done
        wait_for 5 test -e "$S/exit0/ran"
        wait_for 5 test -e "$S/exit5/ran"
        wait_for 5 is_up "$S/exit0"
        wait_for 5 is_up "$S/exit5"
        wait_for 5 is_up "$S/fresh"
        wait_for 5 is_finishing "$S/finish"
        wait_for 10 shows crash down killed down
        [ "$(cat "$T/rc")" = 1 ]
        [ "$(cols < "$T/out")" = "NAME|STATE|PID|TIME|READY|WANT|NORMALLY|LASTEXIT
crash|down|-|T|-|up|up|exit 3
exit0|up|P|T|no|up|up|exit 0
exit5|up|P|T|no|up|up|exit 5
finish|finishing|-|T|-|up|up|exit 0
fresh|up|P|T|no|up|up|-
killed|down|-|T|-|up|up|SIGUSR1" ]
        run svtree -j "$S"
        [ "$status" -eq 1 ]
        jfields <<< "$output" > "$T/j"
        grep -qx '"exit0"|"up"|true|true|true|P|N|N|false|null|null|true|true|false|0|null|null|null' "$T/j"
        grep -qx '"exit5"|"up"|true|true|true|P|N|N|false|null|null|true|true|false|5|null|null|null' "$T/j"
        grep -qx '"finish"|"finishing"|false|true|false|null|N|N|false|null|null|true|true|false|0|null|null|null' "$T/j"
        grep -qx '"fresh"|"up"|true|true|true|P|N|N|false|null|null|true|true|false|null|null|null|null' "$T/j"
        # a crash-looping service is down (unhealthy) or up for an instant (healthy)
        grep -Eqx '"crash"\|"down"\|false\|true\|false\|null\|N\|N\|false\|null\|null\|true\|true\|false\|3\|null\|null\|null|"crash"\|"up"\|true\|.*' "$T/j"
        grep -Eqx '"killed"\|"down"\|false\|.*\|null\|"SIGUSR1"\|10\|null|"killed"\|"up"\|true\|.*' "$T/j"
        # wanted down, the crash loop is healthy
        svc -d "$S/crash" "$S/killed"
        svc -O "$S/finish"
        kill "$(st_pid "$S/finish")"
        wait_for 5 is_down "$S/finish"
        wait_for 5 shows crash down
        run svtree "$S"
        [ "$status" -eq 0 ]
        # (svc -d may land in the instant the service is up: then SIGTERM ends it)
        cols <<< "$output" | grep -Eqx 'crash\|down\|-\|T\|-\|down\|up\|(exit 3|SIGTERM)'
        stop_tree "$S"/crash "$S"/killed "$S"/exit0 "$S"/exit5 "$S"/fresh "$S"/finish
    done
}

@test "svtree: a service name with a space and a newline, supervised for real" {
    d="$S/my
svc x"
    make_service "$d"
    start_sv "$d"
    wait_for 5 is_up "$d"
    run svtree "$S"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2 ]
    [ "$(cols <<< "$output")" = 'NAME|STATE|PID|TIME|READY|WANT|NORMALLY|LASTEXIT
my\nsvc x|up|P|T|no|up|up|-' ]
    [ "$(svtree -j "$S" | jq -r .name)" = "my
svc x" ]
    stop_sv "$d"
}

# --- the scan directory's entries -----------------------------------------------------------

@test "svtree: which entries are services: dirs and links to dirs, sorted, each with its log" {
    mkdir -p "$S"/{a,b/log,c,d,.hidden/log,.s6-svscan,s6-svscan-log,B} "$T/elsewhere/log" "$T/logdir"
    touch "$S/b/down" "$S/file" "$S/c/log" "$S/.file"
    ln -s "$T/nowhere" "$S/dangling"
    ln -s "$T/elsewhere" "$S/link"
    ln -s "$T/logdir" "$S/d/log"
    ln -s "$T/nowhere" "$S/a/log"
    mkfifo "$S/fifo"
    run --separate-stderr svtree "$S"
    [ "$status" -eq 1 ]
    [ -z "$stderr" ]
    [ "$output" = "NAME           STATE         PID  TIME  READY  WANT  NORMALLY  LASTEXIT
B              unsupervised  -    -     -      -     up        -
a              unsupervised  -    -     -      -     up        -
b              unsupervised  -    -     -      -     down      -
b/log          unsupervised  -    -     -      -     up        -
c              unsupervised  -    -     -      -     up        -
d              unsupervised  -    -     -      -     up        -
d/log          unsupervised  -    -     -      -     up        -
link           unsupervised  -    -     -      -     up        -
link/log       unsupervised  -    -     -      -     up        -
s6-svscan-log  unsupervised  -    -     -      -     up        -" ]
    run svtree -j "$S"
    [ "$status" -eq 1 ]
    [ "$(jfields <<< "$output" | head -2)" = '"B"|"unsupervised"|false|false|null|null|null|null|null|null|null|null|true|null|null|null|null|null
"a"|"unsupervised"|false|false|null|null|null|null|null|null|null|null|true|null|null|null|null|null' ]
    [ "$(jq -r '"\(.name) \(.healthy)"' <<< "$output" | tr '\n' ' ')" = \
      "B false a false b true b/log false c false d false d/log false link false link/log false s6-svscan-log false " ]
    # normally down everywhere: healthy
    for d in B a b/log c d d/log link link/log s6-svscan-log; do touch "$S/$d/down"; done
    run svtree "$S"
    [ "$status" -eq 0 ]
    run svtree -j "$S"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 10 ]
}

@test "svtree: an empty scan directory: the header alone, or nothing; healthy" {
    run --separate-stderr svtree "$S"
    [ "$status" -eq 0 ]
    [ "$output" = "NAME  STATE  PID  TIME  READY  WANT  NORMALLY  LASTEXIT" ]
    mkdir "$S/.s6-svscan"
    run --separate-stderr svtree -j "$S"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    [ -z "$stderr" ]
}

@test "svtree: names with control bytes, backslashes, quotes, UTF-8 and invalid bytes" {
    names=("sp ace" $'new\nline' $'tab\there' 'back\slash' 'quo"te' 'ünï' $'\xff\xfe' \
        $'\xc0\xaf' $'c1\xc2\x85' $'del\x7f' $'esc\x1b[31m' '😀' $'\xed\xa0\x80' $'cut\xe2\x82')
    for n in "${names[@]}"; do mkdir "$S/$n"; touch "$S/$n/down"; done
    long=$(printf 'x%.0s' $(seq 255))
    mkdir "$S/$long"
    run --separate-stderr svtree "$S"
    [ "$status" -eq 1 ]
    [ "$(cols <<< "$output" | cut -d'|' -f1,7)" = "NAME|NORMALLY
back\\\\slash|down
c1\\xc2\\x85|down
cut\\xe2\\x82|down
del\\x7f|down
esc\\x1b[31m|down
new\\nline|down
quo\"te|down
sp ace|down
tab\\there|down
$long|up
\\xc0\\xaf|down
ünï|down
\\xed\\xa0\\x80|down
😀|down
\\xff\\xfe|down" ]
    # one name a line: the escapes keep the table whole
    [ "${#lines[@]}" -eq 16 ]
    run svtree -j "$S"
    [ "$status" -eq 1 ]
    # every byte of invalid UTF-8 as \u00XX, valid UTF-8 as is
    python3 -c '
import json, sys
got = [json.loads(l)["name"] for l in sys.stdin.read().split("\n")[:-1]]
want = ["back\\slash", "c1\u0085", "cut\u00e2\u0082", "del\x7f", "esc\x1b[31m", "new\nline",
        "quo\"te", "sp ace", "tab\there", "x" * 255, "\u00c0\u00af", "ünï", "\u00ed\u00a0\u0080",
        "😀", "\u00ff\u00fe"]
assert got == want, got
' <<< "$output"
    [[ "$output" == *'"name":"back\\slash"'* ]]
    [[ "$output" == *'"name":"new\u000aline"'* ]]
    [[ "$output" == *'"name":"tab\u0009here"'* ]]
    [[ "$output" == *'"name":"quo\"te"'* ]]
    [[ "$output" == *'"name":"del\u007f"'* ]]
    [[ "$output" == *'"name":"esc\u001b[31m"'* ]]
    [[ "$output" == *'"name":"\u00ff\u00fe"'* ]]
    [[ "$output" == *'"name":"ünï"'* ]]
    [[ "$output" == *$'"name":"c1\xc2\x85"'* ]]
    jq -e . <<< "$output" > /dev/null
}

# --- hand-written statuses -----------------------------------------------------------------

@test "svtree: durations 5s, 3m07s, 2h05m, 4d03h, and a stamp in the future" {
    local d t0 try text json ok=
    for d in a b c d e f g; do fake_supervised "$S/$d"; done
    # Each stamp is written AGO seconds before the second it is written in; the patterns allow
    # the second to turn once between writing and reading. An attempt whose writing and reading
    # took longer than that (a loaded machine) proves nothing either way and is made again.
    for try in 1 2 3 4 5; do
        t0=$(date +%s)
        # All seven in one process, relative to one clock read: pid 0x1234, wstat 0, flags 04.
        perl -e 'my $now = time;
            while (my ($f, $ago) = splice(@ARGV, 0, 2)) {
                my $t = (1 << 62) + $now + 37 - $ago;
                open(my $h, ">", "$f/supervise/status") or die "$f: $!";
                print $h pack("Q>NQ>NQ>nC", $t, 0, $t, 0, 0x1234, 0, 4);
                close $h or die;
            }' "$S/a" 5 "$S/b" 187 "$S/c" 7500 "$S/d" $(( 4 * 86400 + 3 * 3600 + 100 )) \
            "$S/e" -100000 "$S/f" 59 "$S/g" 86399
        run svtree "$S"
        [ "$status" -eq 0 ]
        text=$output
        run svtree -j "$S"
        [ "$status" -eq 0 ]
        json=$output
        [ $(( $(date +%s) - t0 )) -le 1 ] || continue
        re='^NAME\|TIME a\|[56]s b\|3m0[78]s c\|2h05m d\|4d03h e\|0s f\|(59s|1m00s) g\|(23h59m|1d00h) $'
        [[ "$(cols -k <<< "$text" | cut -d'|' -f1,4 | tr '\n' ' ')" =~ $re ]]
        re='^[56] 18[78] 750[01] 35650[01] 0 (59|60) 8(6399|6400) $'
        [[ "$(jq -r '.seconds' <<< "$json" | tr '\n' ' ')" =~ $re ]]
        ok=1
        break
    done
    [ -n "$ok" ] || { echo "no attempt wrote and read the statuses within a second" >&2; false; }
}

@test "svtree: statuses from the file: wait status, flags, the 43-byte layout" {
    fake_status "$S/exit7" 10 0000000000000000 0700 08     # exited 7, wanted down
    fake_status "$S/segv" 10 0000000000000000 008b 0c      # SIGSEGV with a core, wanted up
    fake_status "$S/rt40" 10 0000000000000000 0028 00      # a real-time signal, no name
    fake_status "$S/paused" 10 0000000000001234 0000 05    # up, paused, want up
    fake_status "$S/wantdown" 10 0000000000001234 0000 08  # up, want down, ready flag
    fake_status "$S/new" 10 0000000000000000 0000 0d       # s6 2.13.2+: not started yet
    touch "$S/new/down"
    fake_supervised "$S/s213"
    t=$(tai_hex -10)
    # stamp | readystamp | pid 1000 | pgid 999 | wstat | flags: up, want up, ready
    put_hex "$S/s213/supervise/status" "${t}00000000 ${t}00000000 00000000000003e8 00000000000003e7 0100 0c"
    run svtree "$S"
    [ "$status" -eq 1 ]
    [ "$(cols <<< "$output")" = "NAME|STATE|PID|TIME|READY|WANT|NORMALLY|LASTEXIT
exit7|down|-|T|-|down|up|exit 7
new|down|-|T|-|up|down|-
paused|paused|P|T|no|up|up|-
rt40|down|-|T|-|down|up|SIG40
s213|up|P|T|yes|up|up|exit 1
segv|down|-|T|-|up|up|SIGSEGV
wantdown|up|P|T|yes|down|up|-" ]
    [ "$(cols -k <<< "$output" | grep -E '^(paused|s213)' | cut -d'|' -f3)" = "4660
1000" ]
    run svtree -j "$S"
    [ "$(jfields <<< "$output")" = '"exit7"|"down"|true|true|false|null|N|N|false|null|null|false|true|false|7|null|null|null
"new"|"down"|false|true|false|null|N|N|false|null|null|true|false|false|null|null|null|null
"paused"|"paused"|true|true|true|P|N|N|false|null|null|true|true|true|null|null|null|null
"rt40"|"down"|true|true|false|null|N|N|false|null|null|false|true|false|null|"SIG40"|40|null
"s213"|"up"|true|true|true|P|N|N|true|N|N|true|true|false|1|null|null|null
"segv"|"down"|false|true|false|null|N|N|false|null|null|true|true|false|null|"SIGSEGV"|11|null
"wantdown"|"up"|true|true|true|P|N|N|true|N|N|false|true|false|null|null|null|null' ]
    # only segv (down, wanted up) and new (not started, but wanted up) are unhealthy
    rm -rf "$S/segv"
    printf '\010' | dd of="$S/new/supervise/status" bs=1 seek=34 conv=notrunc 2>/dev/null
    run svtree "$S"
    [ "$status" -eq 0 ]
}

@test "svtree: a damaged status, a missing one, a broken lock or down: an error line, exit 1" {
    t=$(tai_hex)
    fake_supervised "$S/trunc"
    put_hex "$S/trunc/supervise/status" "${t}00000000 ${t}00000000 0000000000000000 0000"
    fake_supervised "$S/empty"
    : > "$S/empty/supervise/status"
    fake_supervised "$S/long"
    put_hex "$S/long/supervise/status" "${t}00000000 ${t}00000000 0000000000000000 0000 04 00"
    fake_supervised "$S/stamp"
    put_hex "$S/stamp/supervise/status" "${t}ffffffff ${t}00000000 0000000000000000 0000 04"
    touch "$S/stamp/down"
    fake_supervised "$S/missing"
    mkdir -p "$S/lockdir"
    touch "$S/lockdir/supervise"
    mkdir "$S/downloop"
    ln -s down "$S/downloop/down"
    ln -s loop "$S/loop"
    fake_status "$S/ok" 3 0000000000001234 0000 04
    run --separate-stderr svtree "$S"
    [ "$status" -eq 1 ]
    [ -z "$stderr" ]
    [ "$(cols <<< "$output")" = "NAME|STATE|PID|TIME|READY|WANT|NORMALLY|LASTEXIT
downloop|error|-|-|-|-|-|unable to check down: Too many levels of symbolic links
empty|error|-|-|-|-|up|unable to read status: status file is truncated
lockdir|error|-|-|-|-|up|unable to check supervise/lock: Not a directory
long|error|-|-|-|-|up|unable to read status: status file is too long
loop|error|-|-|-|-|-|unable to stat: Too many levels of symbolic links
missing|error|-|-|-|-|up|unable to read status: No such file or directory
ok|up|P|T|no|up|up|-
stamp|error|-|-|-|-|down|unable to read status: status file holds an invalid timestamp
trunc|error|-|-|-|-|up|unable to read status: status file is truncated" ]
    run svtree -j "$S"
    [ "$status" -eq 1 ]
    [ "$(jfields <<< "$output" | grep -v '^"ok"')" = '"downloop"|"error"|false|null|null|null|null|null|null|null|null|null|null|null|null|null|null|"unable to check down: Too many levels of symbolic links"
"empty"|"error"|false|true|null|null|null|null|null|null|null|null|true|null|null|null|null|"unable to read status: status file is truncated"
"lockdir"|"error"|false|null|null|null|null|null|null|null|null|null|true|null|null|null|null|"unable to check supervise/lock: Not a directory"
"long"|"error"|false|true|null|null|null|null|null|null|null|null|true|null|null|null|null|"unable to read status: status file is too long"
"loop"|"error"|false|null|null|null|null|null|null|null|null|null|null|null|null|null|null|"unable to stat: Too many levels of symbolic links"
"missing"|"error"|false|true|null|null|null|null|null|null|null|null|true|null|null|null|null|"unable to read status: No such file or directory"
"stamp"|"error"|false|true|null|null|null|null|null|null|null|null|false|null|null|null|null|"unable to read status: status file holds an invalid timestamp"
"trunc"|"error"|false|true|null|null|null|null|null|null|null|null|true|null|null|null|null|"unable to read status: status file is truncated"' ]
    # the others are still read: the one good service is healthy on its own
    rm -rf "$S"/{downloop,empty,lockdir,long,loop,missing,stamp,trunc}
    run svtree "$S"
    [ "$status" -eq 0 ]
}

# --- health ------------------------------------------------------------------------------

@test "svtree: exit 0 only if every service wanted up is up" {
    fake_status "$S/up" 1 0000000000001234 0000 04
    run svtree "$S"
    [ "$status" -eq 0 ]
    run svtree -j "$S"
    [ "$status" -eq 0 ]
    # down, wanted up
    fake_status "$S/x" 1 0000000000000000 0000 04
    run svtree "$S"
    [ "$status" -eq 1 ]
    run svtree -j "$S"
    [ "$status" -eq 1 ]
    # down, wanted down; finishing, wanted down; up, wanted down; paused
    fake_status "$S/x" 1 0000000000000000 0000 00
    fake_status "$S/y" 1 0000000000001234 0000 02
    fake_status "$S/z" 1 0000000000001234 0000 00
    fake_status "$S/p" 1 0000000000001234 0000 05
    run svtree "$S"
    [ "$status" -eq 0 ]
    # finishing, wanted up
    fake_status "$S/y" 1 0000000000001234 0000 06
    run svtree "$S"
    [ "$status" -eq 1 ]
    [[ "$output" == *$'\ny  '*'finishing  -    '* ]]
    fake_status "$S/y" 1 0000000000001234 0000 02
    # a directory without a supervisor: healthy only if normally down
    mkdir "$S/nosv"
    run svtree "$S"
    [ "$status" -eq 1 ]
    touch "$S/nosv/down"
    run svtree "$S"
    [ "$status" -eq 0 ]
    # a logger counts as any service
    fake_status "$S/up/log" 1 0000000000000000 0000 04
    run svtree "$S"
    [ "$status" -eq 1 ]
    [ "$(jq -r 'select(.healthy == false) | .name' <<< "$(svtree -j "$S")")" = up/log ]
}

@test "svtree: 1000 services, each with a logger" {
    for i in $(seq -w 0 999); do mkdir -p "$S/svc$i/log"; touch "$S/svc$i/down" "$S/svc$i/log/down"; done
    run svtree "$S"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2001 ]
    [ "${lines[1]}" = "svc000      unsupervised  -    -     -      -     down      -" ]
    [ "${lines[2000]}" = "svc999/log  unsupervised  -    -     -      -     down      -" ]
    run svtree -j "$S"
    [ "$status" -eq 0 ]
    [ "$(python3 -c 'import json,sys; print(len([json.loads(l) for l in sys.stdin]))' <<< "$output")" = 2000 ]
    rm "$S/svc500/log/down"
    run svtree "$S"
    [ "$status" -eq 1 ]
    [ "${lines[1002]}" = "svc500/log  unsupervised  -    -     -      -     up        -" ]
}

# --- errors --------------------------------------------------------------------------------

@test "svtree: usage errors" {
    expect_usage svtree
    expect_usage svtree -j
    expect_usage svtree -x "$S"
    expect_usage svtree "$S" "$S"
    expect_usage svtree -j "$S" extra
}

@test "svtree: a missing or unreadable scan directory: 111" {
    expect_fail 111 "svtree: fatal: unable to open $T/none: No such file or directory" svtree "$T/none"
    touch "$T/file"
    expect_fail 111 "svtree: fatal: unable to open $T/file: Not a directory" svtree -j "$T/file"
    need_root
    mkdir -m 0711 "$T/noread" && mkdir -m 0744 "$T/nosearch"
    expect_fail 111 "svtree: fatal: unable to open $T/noread: Permission denied" \
        setuidgid nobody svtree "$T/noread"
    expect_fail 111 "svtree: fatal: unable to chdir to $T/nosearch: Permission denied" \
        setuidgid nobody svtree "$T/nosearch"
}

@test "svtree: a write error on stdout: 111" {
    mkdir "$S/a"
    expect_fail 111 "svtree: fatal: unable to write to stdout: No space left on device" sh -c 'svtree "$1" > /dev/full' sh "$S"
    expect_fail 111 "svtree: fatal: unable to write to stdout: No space left on device" sh -c 'svtree -j "$1" > /dev/full' sh "$S"
}

# --- a tree built by a scanner --------------------------------------------------------------

all_up() { svtree "$1" > /dev/null && [ "$(svtree -j "$1" | jq -s 'map(select(.up)) | length')" = 3 ]; }
none_supervised() { [ "$(svtree -j "$1" | jq -s 'map(select(.supervised)) | length')" = 0 ]; }

@test "svtree: a tree that a real scanner built, then stopped" {
    need_s6 s6-svscan
    need_cmd jq
    for scanner in $(scanners); do
        s=$T/$(basename "$scanner")
        mkdir "$s"
        make_service "$s/ticker" 'while :; do echo tick; sleep 1; done'
        make_service "$s/ticker/log" 'exec cat > /dev/null'
        make_service "$s/ready" 'echo >&3; exec sleep 100000 3>&-'
        echo 3 > "$s/ready/notification-fd"
        make_service "$s/idle"
        touch "$s/idle/down"
        start_scan "$s" "$scanner"
        wait_for 20 all_up "$s"
        wait_for 5 is_ready "$s/ready"
        run svtree "$s"
        [ "$status" -eq 0 ]
        [ "$(cols <<< "$output")" = "NAME|STATE|PID|TIME|READY|WANT|NORMALLY|LASTEXIT
idle|down|-|T|-|down|down|-
ready|up|P|T|yes|up|up|-
ticker|up|P|T|no|up|up|-
ticker/log|up|P|T|no|up|up|-" ]
        pids="$(st_pid "$s/ready") $(st_pid "$s/ticker") $(st_pid "$s/ticker/log")"
        scan_ctl "$s" t
        wait_for 10 gone "$(scan_pid "$s")"
        wait_for 10 none_supervised "$s"
        for p in $pids; do wait_for 10 gone "$p"; done
        run svtree "$s"
        [ "$status" -eq 1 ]
        [[ "${lines[2]}" =~ ^ready\ +unsupervised\  ]]
    done
}
