#!/usr/bin/env bats
# redirfd: each open mode, -n and -b, the FIFO cases the catch-all logger relies on, errors;
# the same fixtures through execline's redirfd where it is installed.

load helper

EXECLINE_REDIRFD=/usr/lib/execline/bin/redirfd
need_execline() { [ -x "$EXECLINE_REDIRFD" ] || skip "execline's redirfd not installed"; }

# What fd N is in the program redirfd runs: access mode and O_NONBLOCK/O_APPEND from fdinfo
# (octal flags), and whether it is close-on-exec (it must not be: the program sees it at all).
FLAGS='f=$(awk "/^flags:/ { print \$2 }" /proc/self/fdinfo/$0)
acc=$(( 0$f & 3 )); nb=$(( (0$f >> 11) & 1 )); ap=$(( (0$f >> 10) & 1 ))
echo "acc=$acc nonblock=$nb append=$ap"'
flags_of() { local fd=$1; shift; "$@" sh -c "$FLAGS" "$fd"; }

@test "redirfd -r: the program reads the file on fd N" {
    echo content > "$T/f"
    run redirfd -r 5 "$T/f" sh -c 'cat <&5'
    [ "$status" -eq 0 ]
    [ "$output" = content ]
    run redirfd -r 0 "$T/f" cat
    [ "$output" = content ]
    run flags_of 5 redirfd -r 5 "$T/f"
    [ "$output" = "acc=0 nonblock=0 append=0" ]
}

@test "redirfd -w creates or truncates; -a appends, creating; -c appends, never creates" {
    redirfd -w 1 "$T/w" echo first
    redirfd -w 1 "$T/w" echo second
    [ "$(cat "$T/w")" = second ]
    redirfd -a 1 "$T/a" echo one
    redirfd -a 1 "$T/a" echo two
    [ "$(cat "$T/a")" = "$(printf 'one\ntwo')" ]
    redirfd -c 1 "$T/a" echo three
    [ "$(cat "$T/a")" = "$(printf 'one\ntwo\nthree')" ]
    expect_fail 111 "redirfd: fatal: unable to open $T/c: No such file or directory" \
        redirfd -c 1 "$T/c" echo x
    [ ! -e "$T/c" ]
    run flags_of 7 redirfd -a 7 "$T/a"
    [ "$output" = "acc=1 nonblock=0 append=1" ]
    run flags_of 7 redirfd -c 7 "$T/a"
    [ "$output" = "acc=1 nonblock=0 append=1" ]
    run flags_of 7 redirfd -w 7 "$T/w"
    [ "$output" = "acc=1 nonblock=0 append=0" ]
    [ ! -s "$T/w" ]
}

@test "redirfd -u reads and writes without creating or truncating; -x only creates" {
    echo abcdef > "$T/u"
    redirfd -u 4 "$T/u" sh -c 'printf XY >&4'
    [ "$(cat "$T/u")" = XYcdef ]
    run flags_of 4 redirfd -u 4 "$T/u"
    [ "$output" = "acc=2 nonblock=0 append=0" ]
    expect_fail 111 "redirfd: fatal: unable to open $T/nou: No such file or directory" \
        redirfd -u 4 "$T/nou" true
    redirfd -x 1 "$T/x" echo made
    [ "$(cat "$T/x")" = made ]
    expect_fail 111 "redirfd: fatal: unable to open $T/x: File exists" redirfd -x 1 "$T/x" true
    [ "$(cat "$T/x")" = made ]
}

@test "redirfd: the last mode option wins; file modes follow the umask" {
    echo keep > "$T/f"
    run redirfd -w -a -r 0 "$T/f" cat
    [ "$output" = keep ]
    (umask 027; redirfd -w 1 "$T/m" true)
    [ "$(stat -c %a "$T/m")" = 640 ]
}

@test "redirfd -n opens non-blocking; -b flips the mode after the open" {
    echo x > "$T/f"
    run flags_of 5 redirfd -n -r 5 "$T/f"
    [ "$output" = "acc=0 nonblock=1 append=0" ]
    run flags_of 5 redirfd -rnb 5 "$T/f"
    [ "$output" = "acc=0 nonblock=0 append=0" ]
    run flags_of 5 redirfd -rb 5 "$T/f"
    [ "$output" = "acc=0 nonblock=1 append=0" ]
}

@test "redirfd -r on a FIFO without a writer waits; -rn and -rnb return at once" {
    mkfifo "$T/fifo"
    run timeout 0.5 redirfd -r 0 "$T/fifo" true
    [ "$status" -eq 124 ]
    run timeout 5 redirfd -rn 0 "$T/fifo" true
    [ "$status" -eq 0 ]
    run timeout 5 redirfd -rnb 0 "$T/fifo" sh -c "$FLAGS" 0
    [ "$status" -eq 0 ]
    [ "$output" = "acc=0 nonblock=0 append=0" ]
}

@test "redirfd -rnb 0 fifo: the catch-all logger's reader, EOF once every writer is gone" {
    mkfifo "$T/fifo"
    # No writer ever: the open returns at once and the first read sees EOF.
    run timeout 5 redirfd -rnb 0 "$T/fifo" cat
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    # A writer first, as svscanboot leaves one (open read-write, then write-only, drop the
    # first): the reader then blocks for data and exits at EOF when the last writer closes.
    exec 6<>"$T/fifo"
    exec 5>"$T/fifo"
    exec 6<&-
    redirfd -rnb 0 "$T/fifo" cat > "$T/out" 3>&- 5>&- &
    local pid=$!
    track_pid "$pid"
    wait_for 5 eval '[ "$(readlink /proc/$pid/fd/0)" = "$T/fifo" ]'
    echo one >&5
    echo two > "$T/fifo"
    wait_for 5 eval '[ "$(cat "$T/out")" = "$(printf "one\ntwo")" ]'
    kill -0 "$pid"
    exec 5>&-
    wait_for 5 gone "$pid"
}

@test "redirfd -wn on a FIFO without a reader opens at once; writes then fail with EPIPE" {
    mkfifo "$T/fifo"
    run timeout 0.5 redirfd -w 1 "$T/fifo" true
    [ "$status" -eq 124 ]
    run timeout 5 redirfd -wn 1 "$T/fifo" sh -c 'trap "" PIPE; echo x 2>/dev/null || echo EPIPE >&2'
    [ "$status" -eq 0 ]
    [ "$output" = EPIPE ]
    run timeout 5 redirfd -wnb 5 "$T/fifo" sh -c "$FLAGS" 5
    [ "$output" = "acc=1 nonblock=0 append=0" ]
    # With a reader, -wn writes reach it.
    exec 6<>"$T/fifo"
    redirfd -wnb 1 "$T/fifo" echo through
    read -r -t 5 line <&6
    exec 6>&-
    [ "$line" = through ]
}

@test "redirfd: file names with spaces, quotes and newlines" {
    f="$T/a b'c
d"
    redirfd -w 1 "$f" echo ok
    [ "$(cat "$f")" = ok ]
    run redirfd -r 3 "$f" sh -c 'cat <&3'
    [ "$output" = ok ]
}

@test "redirfd: usage errors" {
    expect_usage redirfd
    expect_usage redirfd 0 "$T/f" true
    expect_usage redirfd -r 0 "$T/f"
    expect_usage redirfd -r x "$T/f" true
    expect_usage redirfd -r -1 "$T/f" true
    expect_usage redirfd -r 2147483648 "$T/f" true
    expect_usage redirfd -z -r 0 "$T/f" true
    expect_usage redirfd -N -r 0 "$T/f" true
}

@test "redirfd: open failures exit 111" {
    expect_fail 111 "redirfd: fatal: unable to open $T/none: No such file or directory" \
        redirfd -r 0 "$T/none" true
    long=$T/$(printf 'x%.0s' $(seq 5000))
    expect_fail 111 "redirfd: fatal: unable to open $long: File name too long" \
        redirfd -r 0 "$long" true
    expect_fail 111 "redirfd: fatal: unable to open $T: Is a directory" redirfd -w 1 "$T" true
}

@test "redirfd: a descriptor beyond the limit exits 111" {
    echo x > "$T/f"
    run --separate-stderr redirfd -r 5000000 "$T/f" true
    [ "$status" -eq 111 ]
    [[ "$stderr" =~ ^redirfd:\ fatal:\ unable\ to\ move\ fd\ [0-9]+\ to\ fd\ 5000000: ]]
    [[ "$stderr" =~ :\ Bad\ file\ descriptor$ ]]
}

@test "redirfd: a missing program exits 127, a non-executable one 126" {
    echo x > "$T/f"
    expect_fail 127 "redirfd: fatal: unable to exec $T/nope: No such file or directory" \
        redirfd -r 0 "$T/f" "$T/nope"
    expect_fail 126 "redirfd: fatal: unable to exec $T/f: Permission denied" \
        redirfd -r 0 "$T/f" "$T/f"
}

# --- execline's redirfd: the same fixtures, the same results -------------------------------

# both CMD...: run "$@" with redirfd and with execline's redirfd (the word REDIRFD is replaced);
# outputs and exit statuses must agree, messages modulo the usage text. The file $fresh, if
# set, is removed before each run.
both() {
    local k s ks ss
    [ -z "${fresh:-}" ] || rm -f "$fresh"
    ks=0; k=$("${@/#REDIRFD/redirfd}" 2>&1) || ks=$?
    [ -z "${fresh:-}" ] || rm -f "$fresh"
    ss=0; s=$("${@/#REDIRFD/$EXECLINE_REDIRFD}" 2>&1) || ss=$?
    [ "$ks" = "$ss" ] || { echo "status: redirfd $ks, execline $ss ($*)"; return 1; }
    if [ "$ks" != 100 ]; then
        [ "$k" = "$s" ] || { echo "redirfd: $k"; echo "execline: $s"; return 1; }
    fi
}

@test "redirfd agrees with execline's redirfd" {
    need_execline
    echo abc > "$T/f"
    mkfifo "$T/fifo"
    for m in -r -u -rn -rb -rnb -un -ub; do
        both REDIRFD $m 5 "$T/f" sh -c "$FLAGS; cat <&5" 5
    done
    for m in -w -a -x -wn -wb -an -anb; do
        fresh=$T/o both REDIRFD $m 5 "$T/o" sh -c "$FLAGS; echo hi >&5" 5
        [ "$(cat "$T/o")" = hi ]
    done
    both REDIRFD -x 5 "$T/f" true
    both REDIRFD -r 5 "$T/none" true
    both timeout 5 REDIRFD -rnb 5 "$T/fifo" sh -c "$FLAGS" 5
    both timeout 5 REDIRFD -wnb 5 "$T/fifo" sh -c "$FLAGS" 5
    both timeout 5 REDIRFD -wn 5 "$T/fifo" \
        sh -c 'trap "" PIPE; echo x >&5 2>/dev/null || echo EPIPE'
    both REDIRFD -r 5 "$T/f" "$T/nope"
    both REDIRFD -r 5 "$T/f" "$T/f"
    both REDIRFD
    both REDIRFD -r x "$T/f" true
    both REDIRFD 5 "$T/f" true
}
