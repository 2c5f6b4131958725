#!/usr/bin/env bats
# svlog: keel's s6-log (spec logging.md). Every case is a function run against a logger command
# in $LOG: each_logger runs it with keel's svlog (once bin/svlog is built) and with Debian's
# s6-log 2.11 (when installed), which checks the tests themselves; keel_only runs it with svlog
# alone, for what the spec makes keel do differently from 2.11 or what 2.11 lacks.
# SVLOG_LOGGERS="cmd..." replaces the list of each_logger (e.g. SVLOG_LOGGERS=s6-log).

load helper

# The cases run in directories under $T: leave them before teardown kills what runs there.
teardown() {
    cd /
    keel_teardown
}

# --- Harness ---------------------------------------------------------------------------------

loggers() {
    if [ -n "${SVLOG_LOGGERS:-}" ]; then
        printf '%s\n' $SVLOG_LOGGERS
        return 0
    fi
    [ -x "$KEEL_BIN/svlog" ] && echo "$KEEL_BIN/svlog"
    command -v s6-log 2>/dev/null || true
}

# in_dir_of LOGGER: sets LOG, P (the name it prints in its messages) and D, an empty directory
# of its own that becomes the working directory.
in_dir_of() {
    LOG=$1
    P=$(basename "$LOG")
    D=$T/$P
    mkdir -p "$D"
    cd "$D"
    umask 022
    echo "# logger under test: $LOG"
}

# each_logger CASE: a behaviour svlog shares with s6-log 2.11; CASE runs once per logger.
each_logger() {
    local list l
    list=$(loggers)
    [ -n "$list" ] || skip "neither bin/svlog nor s6-log is there"
    for l in $list; do
        in_dir_of "$l"
        "$1"
        exec 7>&-
    done
}

# keel_only CASE REASON: a keel-only behaviour (REASON: how s6-log 2.11 differs); runs CASE
# with bin/svlog, skipped while it is not built (or SVLOG_LOGGERS leaves svlog out).
keel_only() {
    case " ${SVLOG_LOGGERS-svlog} " in *svlog*) ;; *) skip "keel-only ($2): SVLOG_LOGGERS has no svlog" ;; esac
    [ -x "$KEEL_BIN/svlog" ] || skip "keel-only ($2): bin/svlog not built yet"
    in_dir_of "$KEEL_BIN/svlog"
    "$1"
    exec 7>&-
}

is_s6() { [ "$P" = s6-log ]; }

# start_log ARGS...: runs "$LOG" -d 3 ARGS in the background in $D, stdin the FIFO ./in that the
# test writes to through its fd 7 (feed), stdout ./out, stderr ./err; returns once the logger
# has notified readiness (its signal handlers are in place by then). Its pid is LPID.
start_log() {
    rm -f in notif
    mkfifo in
    "$LOG" -d 3 "$@" <in >out 2>err 3>notif &
    LPID=$!
    track_pid "$LPID"
    exec 7>in
    wait_for 5 test -s notif
}

# feed FORMAT [ARGS...]: writes to the logger's input in one write (bash's printf would write
# each line on its own, and the logger may act between two).
feed() { printf "$@" | dd bs=64k iflag=fullblock status=none >&7; }

# exited PID: PID is gone or a zombie (a child of the test shell stays one until waited for).
exited() {
    local s
    s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 0
    [ "${s%% *}" = Z ]
}
alive() { ! exited "$1"; }

# reap [SECONDS]: waits until the logger has exited; its exit status goes to LSTATUS.
reap() {
    wait_for "${1:-10}" exited "$LPID"
    LSTATUS=0
    wait "$LPID" || LSTATUS=$?
}

# eof_and_reap: closes the logger's input and waits for it to exit 0.
eof_and_reap() {
    exec 7>&-
    reap
    [ "$LSTATUS" = 0 ]
}

has_line() { grep -qxF -- "$2" "$1" 2>/dev/null; }
has_text() { grep -qF -- "$2" "$1" 2>/dev/null; }
count_of() { grep -cF -- "$2" "$1" 2>/dev/null || true; }

ARCHIVE_RE='^@[0-9a-f]{24}\.[su]$'
# archives DIR [s|u]: the archive names of a logdir, oldest first.
archives() { ls "$1" | grep -E "${ARCHIVE_RE/\[su\]/[${2:-su}]}" || true; }
narchives() { archives "$@" | wc -l; }
# archives_are N DIR [s|u]: DIR holds N archives (of that kind).
archives_are() { [ "$(narchives "$2" "${3:-}")" = "$1" ]; }
# newest_has DIR LINE: the newest archive of DIR has that line.
newest_has() { local a; a=$(archives "$1" | tail -n 1); [ -n "$a" ] && has_line "$1/$a" "$2"; }
# logged DIR: the archives, oldest first, then current: everything the logdir holds.
logged() {
    local a
    for a in $(archives "$1"); do cat "$1/$a"; done
    cat "$1/current"
}
mode_of() { stat -c %A "$1"; }
logged_has() { logged "$1" 2>/dev/null | grep -qxF -- "$2"; }
# past MS: the clock has reached MS (now_ms); for measured waits.
past() { [ "$(now_ms)" -ge "$1" ]; }

# lines FROM TO: numbered test lines, 40 bytes each with the newline.
lines() { seq -f 'line %06g abcdefghijklmnopqrstuvwxyz' "$1" "$2"; }

# label_recent LABEL: an external TAI64N label (@ + 24 lowercase hex) of the last minute,
# label = 2^62 + unix time + 37.
label_secs() { local h=${1#@}; echo $(( 16#${h:0:16} - 4611686018427387904 - 37 )); }
label_recent() {
    [[ $1 =~ ^@[0-9a-f]{24}$ ]] || return 1
    local s now
    s=$(label_secs "$1")
    now=$(date +%s)
    [ "$s" -le "$now" ] && [ "$s" -ge $((now - 60)) ]
}
# local_stamp LABEL: the same instant in `T` format (TZ as in the environment).
local_stamp() {
    local h=${1#@}
    echo "$(date -d "@$(label_secs "$1")" '+%Y-%m-%d %H:%M:%S').$(printf %09d $((16#${h:16:8})))"
}

# The usage line of the logger under test.
usage_line() {
    if is_s6; then
        echo 's6-log: usage: s6-log [ -d notif ] [ -q | -v ] [ -b ] [ -p ] [ -l linelimit ] [ -- ] logging_script'
    else
        echo "svlog: usage: $(usage_of svlog)"
    fi
}

# --- Command line and script -----------------------------------------------------------------

case_usage() {
    local u
    u=$(usage_line)
    expect_fail 100 "$u" "$LOG" </dev/null
    expect_fail 100 "$u" "$LOG" -x 1 </dev/null
    expect_fail 100 "$u" "$LOG" -l x 1 </dev/null
    expect_fail 100 "$u" "$LOG" -l </dev/null
    expect_fail 100 "$u" "$LOG" -d x 1 </dev/null
    run --separate-stderr "$LOG" -q -v -b -p -l 100 -- 1 </dev/null
    [ "$status" = 0 ] && [ -z "$stderr" ]
}
@test "svlog: usage errors exit 100 with the usage line" { each_logger case_usage; }

case_bad_scripts() {
    local f="$P: fatal:"
    expect_fail 100 "$f unrecognized directive: e" "$LOG" e </dev/null
    expect_fail 100 "$f unrecognized directive: x" "$LOG" ./d x </dev/null
    expect_fail 100 "$f unrecognized directive: Xfoo" "$LOG" Xfoo 1 </dev/null
    local d
    for d in t1 T1 Tx f1 fx 1x 11 2x 22 =; do
        expect_fail 100 "$f syntax error at directive: $d" "$LOG" "$d" 1 </dev/null
    done
    expect_fail 100 "$f syntax error at directive: =" "$LOG" 1 = </dev/null
    expect_fail 100 "$f no action directive specified" "$LOG" n5 s5000 t </dev/null
    expect_fail 100 "$f no action directive specified" "$LOG" +x -y f </dev/null
    expect_fail 100 "$f directive l60000 conflicts with previous s directive" \
        "$LOG" s4096 l60000 1 </dev/null
    # l may be at most s/2: the default s is 99999; s is clamped to at least 4096.
    expect_fail 100 "$f directive l50000 conflicts with previous s directive" \
        "$LOG" l50000 1 </dev/null
    expect_fail 100 "$f directive l2049 conflicts with previous s directive" \
        "$LOG" s100 l2049 1 </dev/null
    run --separate-stderr "$LOG" l49999 1 </dev/null
    [ "$status" = 0 ] && [ -z "$stderr" ]
    run --separate-stderr "$LOG" s100 l2048 1 </dev/null
    [ "$status" = 0 ] && [ -z "$stderr" ]
    # Malformed numbers and regexes: 100, and a fatal message naming the directive.
    for d in nx n s12k n5x n+5 S-1 r1.5 E^ ^x '+(' '+a{' '+['; do
        run --separate-stderr "$LOG" "$d" 1 </dev/null
        [ "$status" = 100 ] || { echo "$d: status $status"; false; }
        [[ $stderr == "$f "*"$d"* ]] || { echo "$d: $stderr"; false; }
        [ "${#stderr_lines[@]}" = 1 ]
    done
    # Nothing was created by the scripts that failed.
    [ ! -e d ]
}
@test "svlog: invalid scripts exit 100 with s6-log's messages" { each_logger case_bad_scripts; }

case_extraneous() {
    run --separate-stderr "$LOG" 1 +foo </dev/null
    [ "$status" = 0 ]
    [ "$stderr" = "$P: warning: ignoring extraneous non-action directives" ]
    run --separate-stderr "$LOG" -q 1 +foo </dev/null
    [ "$status" = 0 ] && [ -z "$stderr" ]
    # Trailing control directives are ignored silently.
    run --separate-stderr "$LOG" 1 n3 s5000 t T pX '?cat' E10 ^5 r10 </dev/null
    [ "$status" = 0 ] && [ -z "$stderr" ]
}
@test "svlog: trailing selections warn, trailing controls are ignored" { each_logger case_extraneous; }

case_keel_options() {
    local u
    u=$(usage_line)
    expect_fail 100 "$u" "$LOG" -t x 1 </dev/null
    expect_fail 100 "$u" "$LOG" -t </dev/null
    run --separate-stderr "$LOG" -t 100 R5 ./d R0 1 </dev/null
    [ "$status" = 0 ] && [ -z "$stderr" ]
    [ -f d/current ]
    expect_fail 100 "svlog: fatal: unrecognized directive: e" "$LOG" e ./d </dev/null
    run --separate-stderr "$LOG" Rx 1 </dev/null
    [ "$status" = 100 ] && [[ $stderr == "svlog: fatal: "*Rx* ]]
}
@test "svlog: -t and R are accepted (keel-only)" { keel_only case_keel_options "s6 2.12+/2.14+"; }

case_notify() {
    # (s6-log says "notification fd must be 3 or more", "invalid notification fd: ...")
    run --separate-stderr "$LOG" -d 2 1 </dev/null
    [ "$status" = 100 ] && [[ $stderr == "$P: fatal: "* ]] && [ "${#stderr_lines[@]}" = 1 ]
    run --separate-stderr "$LOG" -d 9 1 </dev/null 9>&-
    [ "$status" = 100 ] && [[ $stderr == "$P: fatal: "* ]] && [ "${#stderr_lines[@]}" = 1 ]
    # Nothing is written on a bad script.
    run "$LOG" -d 3 e ./d </dev/null 3>bad
    [ "$status" = 100 ] && [ ! -s bad ]
    start_log ./d
    [ "$(od -An -c notif | tr -d ' ')" = '\n' ]
    # By then the logdir is made and locked, and the descriptor is closed.
    [ -f d/current ]
    local fd
    for fd in /proc/"$LPID"/fd/*; do [ "$(readlink "$fd")" != "$D/notif" ]; done
    run "$LOG" ./d </dev/null
    [ "$status" = 111 ]
    eof_and_reap
}
@test "svlog -d: a newline on the descriptor once the logdirs are locked" { each_logger case_notify; }

# --- Selection -------------------------------------------------------------------------------

case_selection() {
    printf '%s\n' 'info one' 'fatal: boom' 'STAT ok' 'STAT fatal mixed' 'info two' > input
    run --separate-stderr "$LOG" - +fatal 2 - +^STAT ^20 =st f ./d < input
    [ "$status" = 0 ]
    [ "$stderr" = "$P: alert: fatal: boom
$P: alert: STAT fatal mixed" ]
    [ "$(cat d/current)" = "info one
info two" ]
    [ "$(od -An -c st | tr -s ' ')" = "$(printf 'STAT fatal mixed\n\n\n\n' | od -An -c | tr -s ' ')" ]
    # The flag is carried from one element to the next: "-b" only removes lines.
    printf '%s\n' a b c ab > input2
    run --separate-stderr "$LOG" -- -a 1 -b ./e < input2
    [ "$status" = 0 ] && [ -z "$stderr" ]
    [ "$output" = "b
c" ]
    [ "$(cat e/current)" = c ]
    printf '%s\n' x y z xy > input3
    run --separate-stderr "$LOG" - +x 1 +y ./g < input3
    [ "$output" = "x
xy" ]
    [ "$(cat g/current)" = "x
y
xy" ]
    # f: only the lines no action has been applied to; two actions in one element.
    run --separate-stderr "$LOG" - +x 1 ./h f ./i < input3
    [ "$output" = "x
xy" ]
    [ "$(cat h/current)" = "x
xy" ]
    [ "$(cat i/current)" = "y
z" ]
    # An empty regex matches everything; "-" then "f" selects again.
    run --separate-stderr "$LOG" - 1 f ./j < input3
    [ -z "$output" ]
    [ "$(cat j/current)" = "x
y
z
xy" ]
}
@test "svlog: selection, f, and the selected flag carried between elements" { each_logger case_selection; }

# --- Formats ---------------------------------------------------------------------------------

case_formats() {
    local out l label stamp script
    printf 'line\n' > input
    # t then T (in either order): "@label " then the same instant in local time and two spaces.
    for script in "t T pPFX 1" "T t pPFX 1"; do
        # shellcheck disable=SC2086
        out=$(TZ=UTC "$LOG" $script < input)
        [[ $out =~ ^(@[0-9a-f]{24})\ ([0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9})\ \ PFX\ line$ ]]
        label=${BASH_REMATCH[1]} stamp=${BASH_REMATCH[2]}
        label_recent "$label"
        [ "$(TZ=UTC local_stamp "$label")" = "$stamp" ]
    done
    out=$(TZ=Asia/Kolkata "$LOG" t T 1 < input)
    [[ $out =~ ^(@[0-9a-f]{24})\ (.{29})\ \ line$ ]]
    label=${BASH_REMATCH[1]} stamp=${BASH_REMATCH[2]}
    [ "$(TZ=Asia/Kolkata local_stamp "$label")" = "$stamp" ]
    # t and T apply to the next action only; p sticks until "p" clears it.
    out=$("$LOG" t 1 pA 1 1 p 1 < input)
    l=$(printf '%s\n' "$out" | sed -n 1p)
    [[ $l =~ ^@[0-9a-f]{24}\ line$ ]]
    [ "$(printf '%s\n' "$out" | sed -n '2,$p')" = "A line
A line
line" ]
    # The same composed line goes to every kind of action.
    "$LOG" pX t ./d pY ^0 =st < input
    [[ $(cat d/current) =~ ^@[0-9a-f]{24}\ X\ line$ ]]
    [ "$(cat st)" = "Y line" ]
    run --separate-stderr "$LOG" pZ 2 < input
    [ "$stderr" = "$P: alert: Z line" ]
}
@test "svlog: t, T and p byte for byte" { each_logger case_formats; }

case_alerts() {
    printf '%s\n' abcdefghij abcdefgh abcdefghi '' > input
    "$LOG" E5 pPFX 2 < input > out 2> err
    [ ! -s out ]
    # (read from the file: the last alert ends with a space)
    [ "$(cat err)" = "$P: alert: PFX abcde...
$P: alert: PFX abcdefgh
$P: alert: PFX abcde...
$P: alert: PFX " ]
    run --separate-stderr "$LOG" E0 2 < input
    [ "${stderr%%$'\n'*}" = "$P: alert: abcdefghij" ]
    # Default E200: a 300-byte line is cut to 200 bytes and "...".
    printf '%0300d\n' 0 > long
    run --separate-stderr "$LOG" 2 < long
    [ "$stderr" = "$P: alert: $(printf '%0200d' 0)..." ]
    printf '%0203d\n' 0 > edge
    run --separate-stderr "$LOG" 2 < edge
    [ "$stderr" = "$P: alert: $(printf '%0203d' 0)" ]
}
@test "svlog: 2 alerts, E truncation with ..." { each_logger case_alerts; }

case_status() {
    printf 'STAT ok\n' | "$LOG" ^20 =st
    [ "$(stat -c %s st)" = 20 ]
    [ "$(od -An -c st | tr -s ' ')" = "$(printf 'STAT ok\n\n\n\n\n\n\n\n\n\n\n\n\n' | od -An -c | tr -s ' ')" ]
    printf 'a-very-long-status-line-here\n' | "$LOG" ^10 =st2
    [ "$(stat -c %s st2)" = 10 ] && [ "$(cat st2)" = a-very-lon ]
    printf 'x\n' | "$LOG" ^0 =st3
    [ "$(od -An -c st3 | tr -d ' ')" = 'x\n' ]
    # Default ^1001.
    printf 'x\n' | "$LOG" =st4
    [ "$(stat -c %s st4)" = 1001 ]
    # Each line replaces the file atomically (a new file renamed over it): a hard link to the
    # old one keeps the old contents; no FILE.new is left behind.
    start_log ^8 =st
    feed 'first\n'
    wait_for 5 has_line st first
    ln st old
    feed 'second\n'
    wait_for 5 has_line st second
    [ "$(head -n 1 old)" = first ] && [ "$(stat -c %s st)" = 8 ]
    eof_and_reap
    [ ! -e st.new ]
}
@test "svlog: = pads or cuts to ^ bytes and replaces the file atomically" { each_logger case_status; }

# --- Logdirs ---------------------------------------------------------------------------------

case_archives() {
    lines 1 1000 > input
    run --separate-stderr "$LOG" n2 s4096 ./d < input
    [ "$status" = 0 ] && [ -z "$stderr" ]
    [ "$(narchives d)" = 2 ]
    local a
    for a in $(archives d); do
        [ "${#a}" = 27 ]
        [[ $a =~ ^@[0-9a-f]{24}\.s$ ]]
        label_recent "${a%.s}"
        [ "$(mode_of "d/$a")" = -rwxr--r-- ]
        [ "$(tail -c 1 "d/$a" | od -An -c | tr -d ' ')" = '\n' ]
        is_s6 || [ "$(stat -c %s "d/$a")" -le 4096 ]
    done
    # What is kept is the end of the input, whole lines, none twice.
    logged d > kept
    [ "$(tail -n "$(wc -l < kept)" input | cmp - kept && echo same)" = same ]
    [ "$(head -c 5 kept)" = "line " ]
    [ "$(mode_of d/current)" = -rwxr--r-- ]
    [ -f d/state ] && [ ! -s d/state ]
    [ -f d/lock ]
    [[ $(stat -c %a d) =~ ^2?700$ ]]
    [ -z "$(ls d | grep -vxE 'current|state|lock|@[0-9a-f]{24}\.s')" ]
}
@test "svlog: archives @<24hex>.s, 27 chars, n kept, current u+x after exit" { each_logger case_archives; }

case_ux() {
    start_log ./d
    feed 'one\n'
    wait_for 5 has_line d/current one
    [ "$(mode_of d/current)" = -rw-r--r-- ]
    eof_and_reap
    [ "$(mode_of d/current)" = -rwxr--r-- ]
    # A clean exit: the next run appends to the same current, no archive.
    printf 'two\n' | "$LOG" ./d
    [ "$(cat d/current)" = "one
two" ]
    [ "$(narchives d)" = 0 ]
    [ "$(mode_of d/current)" = -rwxr--r-- ]
}
@test "svlog: current is u+x after a clean exit, not while running" { each_logger case_ux; }

case_umask() {
    umask 027
    start_log ./d
    feed 'one\n'
    wait_for 5 has_line d/current one
    [ "$(mode_of d/current)" = -rw-r----- ]
    kill -ALRM "$LPID"
    wait_for 5 archives_are 1 d
    [ "$(mode_of "d/$(archives d)")" = -rwxr----- ]
    eof_and_reap
    [ "$(mode_of d/current)" = -rwxr----- ]
}
@test "svlog: current is made 0666 & ~umask" { each_logger case_umask; }

case_sigkill() {
    start_log ./d
    feed 'one\ntwo\n'
    wait_for 5 has_line d/current two
    kill -9 "$LPID"
    reap
    [ "$(mode_of d/current)" = -rw-r--r-- ]
    printf 'three\n' | "$LOG" ./d
    [ "$(narchives d u)" = 1 ] && [ "$(narchives d)" = 1 ]
    [ "$(cat "d/$(archives d)")" = "one
two" ]
    [ "$(cat d/current)" = three ]
    [ "$(mode_of d/current)" = -rwxr--r-- ]
    [ -f d/state ] && [ ! -s d/state ]
}
@test "svlog: after SIGKILL, the old current becomes a .u archive" { each_logger case_sigkill; }

case_stale_processed() {
    mkdir d
    echo cur > d/current
    echo prev > d/previous
    echo proc > d/processed
    chmod 744 d/processed
    echo ns > d/newstate
    echo st > d/state
    run --separate-stderr "$LOG" ./d </dev/null
    [ "$status" = 0 ] && [ -z "$stderr" ]
    [ "$(narchives d s)" = 1 ] && [ "$(narchives d u)" = 1 ]
    [ "$(cat d/"$(archives d s)")" = proc ]
    [ "$(cat d/"$(archives d u)")" = cur ]
    [ ! -e d/previous ] && [ ! -e d/processed ] && [ ! -e d/newstate ]
    [ -f d/state ] && [ ! -s d/state ]
    [ ! -s d/current ] && [ "$(mode_of d/current)" = -rwxr--r-- ]
}
@test "svlog: recovery: a finished processed (u+x) becomes .s, previous is dropped" { each_logger case_stale_processed; }

case_unfinished_processed() {
    mkdir d
    echo cur > d/current
    echo prev > d/previous
    echo proc > d/processed
    echo ns > d/newstate
    echo st > d/state
    run --separate-stderr "$LOG" ./d </dev/null
    [ "$status" = 0 ] && [ -z "$stderr" ]
    [ "$(narchives d u)" = 2 ] && [ "$(narchives d)" = 2 ]
    # previous first (the older data), then current.
    [ "$(logged d)" = "prev
cur" ]
    [ ! -e d/previous ] && [ ! -e d/processed ] && [ ! -e d/newstate ]
    [ -f d/state ] && [ ! -s d/state ]
}
@test "svlog: recovery: previous and current both become .u, processed is dropped (keel-only)" {
    keel_only case_unfinished_processed "2.11 names both .u archives alike and dies: File exists"
}

case_empty_not_archived() {
    mkdir d
    : > d/current
    run --separate-stderr "$LOG" ./d </dev/null
    [ "$status" = 0 ] && [ -z "$stderr" ]
    [ "$(narchives d)" = 0 ]
    [ "$(mode_of d/current)" = -rwxr--r-- ]
}
@test "svlog: recovery never archives an empty current (keel-only)" {
    keel_only case_empty_not_archived "2.11 archives an empty current as .u"
}

case_sigalrm() {
    start_log ./d
    # Empty current: nothing to archive.
    kill -ALRM "$LPID"
    feed 'one\n'
    wait_for 5 has_line d/current one
    [ "$(narchives d)" = 0 ]
    kill -ALRM "$LPID"
    wait_for 5 archives_are 1 d s
    [ "$(cat "d/$(archives d)")" = one ] && [ ! -s d/current ]
    kill -ALRM "$LPID"
    feed 'two\n'
    wait_for 5 has_line d/current two
    [ "$(narchives d)" = 1 ]
    eof_and_reap
    [ "$(narchives d)" = 1 ] && [ "$(cat d/current)" = two ]
    [ ! -e d/previous ]
}
@test "svlog: SIGALRM rotates; an empty current is never archived" { each_logger case_sigalrm; }

case_period() {
    start_log R1 ./d
    feed 'one\n'
    wait_for 5 archives_are 1 d s
    [ "$(cat "d/$(archives d)")" = one ]
    # Idle for more than a period: the empty current is not archived.
    local t0
    t0=$(now_ms)
    wait_for 5 past $((t0 + 1500))
    [ "$(narchives d)" = 1 ]
    feed 'two\n'
    wait_for 5 archives_are 2 d s
    [ "$(logged d)" = "one
two" ]
    eof_and_reap
}
@test "svlog: R rotates every N seconds, never an empty current (keel-only)" {
    keel_only case_period "R is s6 2.14+"
}

case_trim() {
    mkdir d
    echo ancient > d/@4000000000000000000000aa.u
    echo old > d/@4000000000000000000000ab.s
    echo keep > d/notes
    echo keep > d/@bogus.s
    echo keep > d/@4000000000000000000000ab.x
    lines 1 1500 > input
    run --separate-stderr "$LOG" n100 S20000 s4096 ./d < input
    [ "$status" = 0 ] && [ -z "$stderr" ]
    [ ! -e d/@4000000000000000000000aa.u ] && [ ! -e d/@4000000000000000000000ab.s ]
    [ -f d/notes ] && [ -f d/@bogus.s ] && [ -f d/@4000000000000000000000ab.x ]
    local a total=0
    for a in $(archives d); do total=$((total + $(stat -c %s "d/$a"))); done
    [ "$(narchives d)" -ge 1 ] && [ "$total" -le 20000 ]
    logged d > kept
    [ "$(tail -n "$(wc -l < kept)" input | cmp - kept && echo same)" = same ]
    # n counts .u archives too.
    printf 'x\n' > d/@4000000000000000000000aa.u
    printf 'one\n' | "$LOG" n1 ./d
    start_log n1 ./d
    feed 'two\n'
    wait_for 5 has_line d/current two
    kill -ALRM "$LPID"
    wait_for 5 newest_has d two
    [ "$(narchives d)" = 1 ]
    eof_and_reap
}
@test "svlog: trimming by n and S removes the oldest archives only" { each_logger case_trim; }

case_lock() {
    start_log ./d
    expect_fail 111 "$P: fatal: unable to lock ./d/lock: Device or resource busy" "$LOG" ./d </dev/null
    expect_fail 111 "$P: fatal: unable to lock $D/d/lock: Device or resource busy" \
        "$LOG" 1 "$D/d" </dev/null
    eof_and_reap
    # A POSIX lock of another program (s6-setlock, keel's setlock) counts too.
    hold_lock e/lock
    expect_fail 111 "$P: fatal: unable to lock ./e/lock: Device or resource busy" "$LOG" ./e </dev/null
    expect_fail 111 "$P: fatal: unable to mkdir ./no/such/d: No such file or directory" \
        "$LOG" ./no/such/d </dev/null
    touch file
    run --separate-stderr "$LOG" ./file </dev/null
    [ "$status" = 111 ] && [[ $stderr == "$P: fatal: unable to "*./file* ]]
}
@test "svlog: a logdir locked by another logger: 111" { each_logger case_lock; }

case_lock_cross() {
    local svlog=$LOG
    LOG=s6-log
    start_log ./d
    LOG=$svlog
    expect_fail 111 "svlog: fatal: unable to lock ./d/lock: Device or resource busy" "$LOG" ./d </dev/null
    eof_and_reap
    start_log ./e
    expect_fail 111 "s6-log: fatal: unable to lock ./e/lock: Device or resource busy" s6-log ./e </dev/null
    eof_and_reap
    # Either takes over the logdir the other left: s6-log's current, then svlog's.
    printf 'a\n' | s6-log ./f
    printf 'b\n' | "$LOG" ./f
    printf 'c\n' | s6-log ./f
    [ "$(cat f/current)" = "a
b
c" ]
}
@test "svlog and s6-log exclude each other and share a logdir (keel-only)" {
    need_s6 s6-log
    keel_only case_lock_cross "needs both"
}

# --- Processors ------------------------------------------------------------------------------

case_gzip() {
    start_log '?gzip -c' ./d
    feed 'one\ntwo\n'
    wait_for 5 has_line d/current two
    kill -ALRM "$LPID"
    wait_for 5 archives_are 1 d s
    [ "$(gzip -dc "d/$(archives d)")" = "one
two" ]
    [ "$(mode_of "d/$(archives d)")" = -rwxr--r-- ]
    feed 'three\n'
    wait_for 5 has_line d/current three
    eof_and_reap
    [ ! -e d/previous ] && [ ! -e d/processed ] && [ ! -e d/newstate ]
    [ "$(cat d/current)" = three ]
    # An empty ? removes the processor for the logdirs that follow.
    printf 'plain\n' | "$LOG" '?gzip -c' ./e '?' ./f
    start_log '?gzip -c' ./e '?' ./f
    feed 'four\n'
    wait_for 5 has_line f/current four
    kill -ALRM "$LPID"
    wait_for 5 archives_are 1 f s
    wait_for 5 archives_are 1 e s
    [ "$(cat "f/$(archives f)")" = "plain
four" ]
    [ "$(gzip -dc "e/$(archives e)")" = "plain
four" ]
    eof_and_reap
}
@test "svlog: ?\"gzip -c\" gives gzip archives" { each_logger case_gzip; }

case_execline() {
    start_log '!gzip -c' ./d
    feed 'one\n'
    wait_for 5 has_line d/current one
    kill -ALRM "$LPID"
    wait_for 5 archives_are 1 d s
    [ "$(gzip -dc "d/$(archives d)")" = one ]
    eof_and_reap
}
@test "svlog: !CMD runs the processor through execlineb" {
    need_cmd execlineb
    each_logger case_execline
}

case_retry() {
    # Fails on its first run, crashes on its second, works on its third; each run is timed.
    cat > proc.sh <<EOF
date +%s%N >> $D/runs
n=\$(wc -l < $D/runs)
[ "\$n" = 1 ] && exit 3
[ "\$n" = 2 ] && kill -9 \$\$
exec cat
EOF
    start_log r400 "?exec sh $D/proc.sh" ./d
    feed 'one\n'
    wait_for 5 has_line d/current one
    kill -ALRM "$LPID"
    wait_for 10 archives_are 1 d s
    [ "$(cat "d/$(archives d)")" = one ]
    [ "$(wc -l < runs)" = 3 ]
    local a b c
    { read -r a; read -r b; read -r c; } < runs
    [ $(( (b - a) / 1000000 )) -ge 380 ] && [ $(( (c - b) / 1000000 )) -ge 380 ]
    [ "$(cat err)" = "$P: warning: processor failed in ./d
$P: warning: processor crashed in ./d" ]
    eof_and_reap
    [ ! -e d/previous ] && [ ! -e d/processed ]
}
@test "svlog: a failing or crashing processor is run again after r ms" { each_logger case_retry; }

case_state() {
    cat > proc.sh <<EOF
echo "\$(pwd) \$(readlink /proc/\$\$/fd/0) \$(readlink /proc/\$\$/fd/1) \$(readlink /proc/\$\$/fd/4) \$(readlink /proc/\$\$/fd/5)" >> $D/fds
n=\$(cat <&4)
n=\${n:-0}
echo "run \$((n + 1))"
tr a-z A-Z
echo \$((n + 1)) >&5
EOF
    start_log "?exec sh $D/proc.sh" ./d
    feed 'one\n'
    wait_for 5 has_line d/current one
    kill -ALRM "$LPID"
    wait_for 5 archives_are 1 d s
    [ "$(cat d/state)" = 1 ]
    [ "$(cat "d/$(archives d)")" = "run 1
ONE" ]
    feed 'two\n'
    wait_for 5 has_line d/current two
    kill -ALRM "$LPID"
    wait_for 5 archives_are 2 d s
    [ "$(cat d/state)" = 2 ]
    [ "$(cat "d/$(archives d | tail -n 1)")" = "run 2
TWO" ]
    local w=$D/d
    [ "$(sed -n 1p fds)" = "$w $w/previous $w/processed $w/state $w/newstate" ]
    eof_and_reap
    [ ! -e d/newstate ] && [ ! -e d/processed ] && [ ! -e d/previous ]
}
@test "svlog: processor fds 0 1 4 5, state passed from fd 5 to the next run's fd 4 (keel-only)" {
    keel_only case_state "2.11 gives the processor no usable fd 5"
}

# --- Input -----------------------------------------------------------------------------------

len_of_lines() { awk '{ print length($0) }' "$@"; }

case_linelimit() {
    local n
    for n in 99 100 101 250; do head -c $n /dev/zero | tr '\0' a; echo; done > input
    "$LOG" -l 100 1 ./d < input > out
    [ "$(len_of_lines out | tr '\n' ' ')" = "99 100 100 1 100 100 50 " ]
    cmp out d/current
    # Values below 48 mean 48.
    "$LOG" -l 10 1 < input > out2
    [ "$(len_of_lines out2 | tr '\n' ' ')" = "48 48 3 48 48 4 48 48 5 48 48 48 48 48 10 " ]
    # Default 8192.
    { head -c 20000 /dev/zero | tr '\0' b; echo; } > big
    "$LOG" 1 < big > out3
    [ "$(len_of_lines out3 | tr '\n' ' ')" = "8192 8192 3616 " ]
}
@test "svlog -l: longer lines are split every linelimit bytes (at least 48)" { each_logger case_linelimit; }

case_mib_line() {
    { head -c 1048576 /dev/zero | tr '\0' x; echo; echo tail; } > big
    "$LOG" -l 0 1 ./d < big > out
    cmp big out
    logged d | cmp big -
    # The line is in one file, whole.
    local f hits=0
    for f in d/current $(archives d | sed 's|^|d/|'); do
        [ "$(grep -c '^xxxx' "$f")" = 0 ] || { hits=$((hits + 1)); [ "$(stat -c %s "$f")" -ge 1048577 ]; }
    done
    [ "$hits" = 1 ]
}
@test "svlog -l 0: a 1 MiB line is kept whole" { each_logger case_mib_line; }

case_bytes() {
    printf 'a\377b\376\303(\r\n\355\240\200 \342\202\n\tend \033[0m\n' > input
    "$LOG" 1 ./d ^0 =st < input > out
    cmp input out
    cmp input d/current
    [ "$(tail -c +1 st | od -An -c | tr -s ' ')" = "$(tail -n 1 input | od -An -c | tr -s ' ')" ]
}
@test "svlog: invalid UTF-8 and control bytes pass through untouched" { each_logger case_bytes; }

case_nul() {
    printf 'a\0b\377\n\0\nend\0\n' > input
    "$LOG" 1 ./d < input > out
    cmp input out
    cmp input d/current
    printf 'x\0y\n' | "$LOG" pP t ./e
    [[ $(head -c 26 e/current) =~ ^@[0-9a-f]{24}\ $ ]]
    printf 'P x\0y\n' | cmp - <(tail -c +27 e/current)
}
@test "svlog: NUL bytes pass through untouched (keel-only)" {
    keel_only case_nul "2.11 takes a NUL for the end of a line"
}

case_eof() {
    printf 'one\ntwo' > input
    run --separate-stderr "$LOG" 1 ./d < input
    [ "$status" = 0 ] && [ "$output" = one ] && [ -z "$stderr" ]
    [ "$(cat d/current)" = one ]
}
@test "svlog: EOF discards an unterminated last line" { each_logger case_eof; }

case_term_partial() {
    local sig
    for sig in TERM HUP; do
        rm -rf d
        start_log 1 ./d
        feed 'full\npart'
        wait_for 5 has_line d/current full
        kill -$sig "$LPID"
        feed 'ial\n'
        # It stops after that line although its input stays open.
        reap
        [ "$LSTATUS" = 0 ]
        [ "$(cat d/current)" = "full
partial" ]
        [ "$(cat out)" = "full
partial" ]
        [ "$(mode_of d/current)" = -rwxr--r-- ]
        exec 7>&-
    done
}
@test "svlog: SIGTERM or SIGHUP finishes the partial line, then exits 0 without EOF" { each_logger case_term_partial; }

case_term_timeout() {
    local sig t0 el
    for sig in TERM HUP; do
        rm -rf d
        start_log -t 300 ./d
        feed 'full\npart'
        wait_for 5 has_line d/current full
        t0=$(now_ms)
        kill -$sig "$LPID"
        reap 5
        el=$(( $(now_ms) - t0 ))
        [ "$LSTATUS" = 0 ]
        [ "$el" -ge 250 ]
        [ "$(cat d/current)" = "full
part" ]
        exec 7>&-
    done
    # -t 0: waits for the end of the line as long as it takes.
    rm -rf d
    start_log -t 0 ./d
    feed 'full\npart'
    wait_for 5 has_line d/current full
    kill -TERM "$LPID"
    t0=$(now_ms)
    wait_for 5 past $((t0 + 2500))
    alive "$LPID"
    feed 'ial\n'
    reap
    [ "$(cat d/current)" = "full
partial" ]
    # Default 2 s.
    rm -rf d
    start_log ./d
    feed 'full\npart'
    wait_for 5 has_line d/current full
    t0=$(now_ms)
    kill -TERM "$LPID"
    reap 6
    el=$(( $(now_ms) - t0 ))
    [ "$el" -ge 1900 ] && [ "$(cat d/current)" = "full
part" ]
}
@test "svlog -t: after SIGTERM/SIGHUP a partial line waits at most -t ms (keel-only)" {
    keel_only case_term_timeout "-t is s6 2.12+"
}

case_protect() {
    start_log -p ./d
    kill -TERM "$LPID"
    feed 'after\n'
    wait_for 5 has_line d/current after
    alive "$LPID"
    kill -HUP "$LPID"
    reap
    [ "$LSTATUS" = 0 ]
    [ "$(mode_of d/current)" = -rwxr--r-- ]
}
@test "svlog -p: SIGTERM is ignored, SIGHUP still ends it" { each_logger case_protect; }

case_stdout_error() {
    printf 'a\nb\n' > input
    local st=0
    "$LOG" 1 ./d 1 < input > /dev/full 2> err || st=$?
    [ "$st" = 0 ]
    [ "$(cat err)" = "$P: warning: unable to write to stdout, closing the stream - error was: No space left on device" ]
    [ "$(cat d/current)" = "a
b" ]
}
@test "svlog: a stdout write error disables 1 with a warning, the rest goes on" { each_logger case_stdout_error; }

case_stdout_stuck() {
    # Nobody reads standard output (a FIFO that the test holds open): logdirs still get
    # every line, and standard output gets everything once it is read.
    lines 1 5000 > input
    mkfifo o
    exec 8<>o
    "$LOG" 1 ./d < input > o 2> err 3>&- &
    LPID=$!
    track_pid "$LPID"
    wait_for 10 logged_has d "$(lines 5000 5000)"
    logged d | cmp - input
    head -c "$(stat -c %s input)" <&8 > got
    exec 8>&-
    reap
    [ "$LSTATUS" = 0 ] && [ ! -s err ]
    cmp got input
}
@test "svlog: a stuck standard output does not hold up the logdirs" { each_logger case_stdout_stuck; }

case_catchall() {
    mkfifo fifo
    "$LOG" -d 3 ./d <>fifo >out 2>err 3>notif &
    LPID=$!
    track_pid "$LPID"
    wait_for 5 test -s notif
    echo one > fifo
    echo two > fifo
    wait_for 5 has_line d/current two
    # Writers came and went: no EOF, it still reads.
    alive "$LPID"
    echo three > fifo
    wait_for 5 has_line d/current three
    kill -TERM "$LPID"
    reap
    [ "$LSTATUS" = 0 ]
    [ "$(cat d/current)" = "one
two
three" ]
    [ "$(mode_of d/current)" = -rwxr--r-- ]
}
@test "svlog: as the catch-all logger on a FIFO opened read-write (never EOF)" { each_logger case_catchall; }

# --- Disk full -------------------------------------------------------------------------------

# start_tmpfs_log SIZE ARGS...: as start_log, but in a private mount namespace where $D/m is a
# tmpfs of SIZE and the working directory; the test reaches that tmpfs as $M, through the
# /proc/PID/root of a process that keeps the namespace alive after the logger has exited.
start_tmpfs_log() {
    local size=$1
    shift
    mkdir -p m
    rm -f in notif
    mkfifo in
    rm -f holder
    unshare --mount --propagation private sh -c '
        mount -t tmpfs -o size="$1" tmpfs "$2" && cd "$2" || exit 111
        sleep 100000 </dev/null >/dev/null 2>&1 3>&- &
        echo $! > "$3"
        shift 3
        exec "$@"' sh "$size" "$D/m" "$D/holder" "$LOG" -d 3 "$@" <in >out 2>err 3>notif &
    LPID=$!
    track_pid "$LPID"
    exec 7>in
    wait_for 5 test -s notif
    track_pid "$(cat holder)"
    M=/proc/$(cat holder)/root$D/m
    grep -q " $D/m .* tmpfs " "/proc/$LPID/mountinfo"
}

fill_disk() { head -c 64M /dev/zero > "$M/fill" 2>/dev/null || true; }
warnings() { grep -c "^$P: warning: .*No space left on device" err || true; }
more_warnings() { [ "$(warnings)" -ge "$1" ]; }

case_enospc() {
    start_tmpfs_log 2m r100 n100 s20000 ./d
    lines 1 500 >&7
    wait_for 5 logged_has "$M/d" "$(lines 500 500)"
    fill_disk
    # 100 KB while the disk is full: more than a pipe holds, all read into memory.
    lines 501 3000 >&7 &
    local prod=$!
    track_pid "$prod"
    wait_for 10 more_warnings 1
    wait_for 10 exited "$prod"
    # At EOF it still keeps what it has read: it retries until it can write.
    exec 7>&-
    local n
    n=$(warnings)
    wait_for 10 more_warnings $((n + 3))
    alive "$LPID"
    rm -f "$M/fill"
    reap
    [ "$LSTATUS" = 0 ]
    logged "$M/d" > all
    lines 1 3000 | cmp - all
    [ "$(mode_of "$M/d/current")" = -rwxr--r-- ]
}
@test "svlog: disk full (tmpfs): warns, retries every r ms, loses nothing" {
    need_root
    need_cmd unshare
    each_logger case_enospc
}

case_enospc_block() {
    start_tmpfs_log 4m -b r100 n100 ./d
    lines 1 500 >&7
    wait_for 5 logged_has "$M/d" "$(lines 500 500)"
    fill_disk
    # 800 KB: with -b the logger stops reading while it cannot write, so the producer blocks.
    lines 501 20000 >&7 &
    local prod=$!
    track_pid "$prod"
    wait_for 10 more_warnings 5
    alive "$prod"
    local n
    n=$(warnings)
    wait_for 10 more_warnings $((n + 5))
    alive "$prod"
    rm -f "$M/fill"
    wait_for 20 exited "$prod"
    eof_and_reap
    logged "$M/d" > all
    lines 1 20000 | cmp - all
}
@test "svlog -b: disk full blocks the producer; nothing is lost" {
    need_root
    need_cmd unshare
    each_logger case_enospc_block
}

# --- Same output as s6-log -------------------------------------------------------------------

# normalized: stamps and program names out of the way.
normalized() {
    sed -E 's/@[0-9a-f]{24} /@STAMP /g; s/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}  /DATE  /g; s/^(s6-log|svlog): /PROG: /'
}

# outcome LOGGER DIR SCRIPT...: runs LOGGER on ./input in DIR and prints everything it made:
# exit status, stdout, stderr, status files, logdir contents (archives then current).
outcome() {
    local logger=$1 dir=$2 f
    shift 2
    mkdir -p "$dir"
    (cd "$dir" && TZ=UTC "$logger" "$@" < ../input > out 2> err; echo "status $?" > status)
    for f in status out err; do echo "== $f"; normalized < "$dir/$f"; done
    for f in "$dir"/*; do
        if [ -d "$f" ]; then
            echo "== logdir ${f##*/}"
            logged "$f" | normalized
        else
            case $f in */out | */err | */status) ;; *) echo "== ${f##*/}"; od -c "$f" ;; esac
        fi
    done
}

case_same_as_s6() {
    {
        printf '%s\n' 'info one' 'fatal: boom' 'STAT ok' 'STAT fatal mixed' 'info two' a b ab c
        head -c 300 /dev/zero | tr '\0' L; echo
        printf '\377\303(\r\n\n'
        lines 1 800
        printf 'unterminated'
    } > input
    local s
    while IFS= read -r s; do
        rm -rf k s6
        # shellcheck disable=SC2086
        outcome "$LOG" k $s > keel.txt
        # shellcheck disable=SC2086
        outcome s6-log s6 $s > s6.txt
        diff -u s6.txt keel.txt || { echo "script: $s"; false; }
    done <<'EOF'
- +fatal 2 - +^STAT ^20 =st f ./d 1
-- -a 1 -b ./d - +b ./e
E10 pX 2 p t 1 T ./d
-l 100 t 1 pP ./d
n100 s4096 T ./d -line.* f 2
-q - +boom ^0 =st1 ^7 =st2 E3 2 t =st3
EOF
}
@test "svlog: the same output as s6-log for the same input and script (keel-only)" {
    need_s6 s6-log
    keel_only case_same_as_s6 "a comparison with s6-log"
}
