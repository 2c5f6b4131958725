#!/usr/bin/env bats
# ftrig-wait: the events received so far are searched for an ERE (unanchored, ^ and $ never
# match), the last byte of the match is printed; 99 on timeout; never polls; no FIFO left on
# exit, timeout, SIGTERM/SIGINT/SIGHUP. The same matches and exit codes as s6-ftrig-wait.

load helper

listeners() { find "$1" -name 'ftrig1:@*' 2>/dev/null | wc -l; }
listening() { [ "$(listeners "$1")" -ge "${2:-1}" ]; }
no_listener() { [ -z "$(ls -A "$1")" ]; }

bg() {
    local name=$1; shift
    perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die "exec $ARGV[0]: $!\n"' "$@" \
        >"$T/$name.out" 2>"$T/$name.err" &
    echo $! > "$T/$name.pid"
    track_pid $!
}
bg_wait() { wait "$(cat "$T/$1.pid")" && bg_status=0 || bg_status=$?; }

# match WAITER REGEX MESSAGE...: runs WAITER (ftrig-wait or s6-ftrig-wait) -t 2000 on a fresh
# fifodir, sends each MESSAGE with ftrig-notify once it listens, and prints its exit status
# and its output as octal bytes.
match() {
    local waiter=$1 re=$2 m; shift 2
    rm -rf "$T/m"
    mkfifodir "$T/m"
    bg w "$waiter" -t 2000 "$T/m" "$re"
    wait_for 5 listening "$T/m"
    for m; do ftrig-notify "$T/m" "$m"; done
    bg_wait w
    echo "$bg_status $(od -An -c "$T/w.out" | tr -s ' ')"
}

@test "ftrig-wait: waits for the match, prints its last byte and a newline" {
    mkfifodir "$T/f"
    bg w ftrig-wait -t 10000 "$T/f" 'a.c'
    wait_for 5 listening "$T/f"
    ftrig-notify "$T/f" xa
    ftrig-notify "$T/f" bcd
    bg_wait w
    [ "$bg_status" -eq 0 ]
    [ "$(cat "$T/w.out")" = c ]
    [ ! -s "$T/w.err" ]
    no_listener "$T/f"
}

@test "ftrig-wait: matching rules" {
    [ "$(match ftrig-wait a xay)" = "0  a \n" ]
    # the whole sequence so far is searched, across notifications
    [ "$(match ftrig-wait ab a b)" = "0  b \n" ]
    [ "$(match ftrig-wait 'a.' abc)" = "0  b \n" ]
    [ "$(match ftrig-wait '(b|c)+' xbbbc)" = "0  c \n" ]
    [ "$(match ftrig-wait '[[:upper:]]' abC)" = "0  C \n" ]
    # ^ and $ never match
    [ "$(match ftrig-wait '^a' a | cut -d' ' -f1)" = 99 ]
    [ "$(match ftrig-wait 'a$' a | cut -d' ' -f1)" = 99 ]
    # an empty match reports a NUL byte, but only once something has arrived
    [ "$(match ftrig-wait 'x?' abc)" = "0  \0 \n" ]
}

@test "ftrig-wait: the same matches as s6-ftrig-wait" {
    need_s6 s6-ftrig-wait
    for c in "a xay" "ab a b" "a. abc" "(b|c)+ xbbbc" "[[:upper:]] abC" "x? abc" "a|b|c zzzc" \
        "D udOD"; do
        # shellcheck disable=SC2086
        k=$(match ftrig-wait $c)
        # shellcheck disable=SC2086
        s=$(match s6-ftrig-wait $c)
        [ "$k" = "$s" ] || { echo "$c: keel '$k', s6 '$s'"; false; }
    done
}

@test "ftrig-wait -t: 99 'timed out', FIFO removed; -t 0 is no timeout" {
    mkfifodir "$T/f"
    t0=$(now_ms)
    expect_fail 99 "ftrig-wait: fatal: timed out" ftrig-wait -t 300 "$T/f" a
    [ $(( $(now_ms) - t0 )) -ge 300 ]
    no_listener "$T/f"
    bg w ftrig-wait -t 0 "$T/f" a
    wait_for 5 listening "$T/f"
    ftrig-notify "$T/f" a
    bg_wait w
    [ "$bg_status" -eq 0 ]
}

@test "ftrig-wait never polls" {
    mkfifodir "$T/f"
    bg w ftrig-wait -t 10000 "$T/f" a
    wait_for 5 listening "$T/f"
    p=$(cat "$T/w.pid")
    c0=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$p/status")
    sleep 0.5 # a measurement window, not a wait for a condition
    c1=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$p/status")
    [ $(( c1 - c0 )) -le 1 ]
    ftrig-notify "$T/f" a
    bg_wait w
}

@test "ftrig-wait: SIGTERM, SIGINT and SIGHUP kill it, FIFO removed first" {
    mkfifodir "$T/f"
    for sig in TERM INT HUP; do
        bg w ftrig-wait -t 10000 "$T/f" a
        wait_for 5 listening "$T/f"
        kill -s "$sig" "$(cat "$T/w.pid")"
        bg_wait w
        [ "$bg_status" -eq $(( 128 + $(kill -l "$sig") )) ]
        no_listener "$T/f"
    done
}

@test "ftrig-wait: errors exit 111, no FIFO left" {
    expect_fail 111 "ftrig-wait: fatal: unable to subscribe to $T/none with regexp a: No such file or directory" ftrig-wait "$T/none" a
    touch "$T/file"
    expect_fail 111 "ftrig-wait: fatal: unable to subscribe to $T/file with regexp a: Not a directory" ftrig-wait "$T/file" a
    mkfifodir "$T/f"
    expect_fail 111 "ftrig-wait: fatal: unable to subscribe to $T/f with regexp (: Invalid argument" ftrig-wait "$T/f" '('
    expect_fail 111 "ftrig-wait: fatal: unable to subscribe to $T/f with regexp : Invalid argument" ftrig-wait "$T/f" ''
    no_listener "$T/f"
    need_root
    mkdir -m 0755 "$T/ro"
    expect_fail 111 "ftrig-wait: fatal: unable to subscribe to $T/ro with regexp a: Permission denied" setuidgid nobody ftrig-wait "$T/ro" a
}

@test "ftrig-wait: a fifodir with spaces and a newline in its name" {
    d="$T/my
fifo dir"
    mkfifodir "$d"
    bg w ftrig-wait -t 10000 "$d" a
    wait_for 5 listening "$d"
    ftrig-notify "$d" a
    bg_wait w
    [ "$bg_status" -eq 0 ]
    no_listener "$d"
}

@test "ftrig-wait: usage errors exit 100" {
    mkfifodir "$T/f"
    expect_usage ftrig-wait
    expect_usage ftrig-wait "$T/f"
    expect_usage ftrig-wait "$T/f" a b
    expect_usage ftrig-wait -x "$T/f" a
    expect_usage ftrig-wait -t x "$T/f" a
    expect_usage ftrig-wait -t -1 "$T/f" a
    expect_usage ftrig-wait -t
}

@test "ftrig-wait and s6-ftrig-wait: the same errors (timeout: s6 2.11 exits 1)" {
    need_s6 s6-ftrig-wait
    mkfifodir "$T/f"
    touch "$T/file"
    for args in "$T/none a" "$T/file a" "$T/f (" "-t x $T/f a" "$T/f"; do
        # shellcheck disable=SC2086
        run --separate-stderr s6-ftrig-wait $args; s6_status=$status; s6_err=${stderr#s6-}
        # shellcheck disable=SC2086
        run --separate-stderr ftrig-wait $args
        [ "$status" -eq "$s6_status" ]
        case $s6_err in *usage:*) ;; *) [ "$stderr" = "$s6_err" ];; esac
    done
    # keel's waiting tools all exit 99 on timeout, like s6 2.13 and later
    run s6-ftrig-wait -t 100 "$T/f" a
    [ "$status" -eq 1 ] || [ "$status" -eq 99 ]
    run ftrig-wait -t 100 "$T/f" a
    [ "$status" -eq 99 ]
    no_listener "$T/f"
}
