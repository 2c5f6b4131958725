#!/usr/bin/env bats
# softlimit: options apply in order; soft by default (capped at hard), -H both, -h hard only;
# values are decimal or "="; unknown letters ignored; compared with s6-softlimit.

load helper

# lim NAME: "SOFT HARD" of the /proc/PID/limits line NAME, read from stdin.
lim() { awk -F'  +' -v n="$1" '$1 == n { print $2, $3 }'; }

# limits_after ARGS...: /proc/self/limits as seen by the program softlimit ARGS... execs.
limits_after() { softlimit "$@" cat /proc/self/limits; }

# after NAME ARGS...: "SOFT HARD" of limit NAME after softlimit ARGS...
after() { local n=$1; shift; limits_after "$@" | lim "$n"; }

# The current hard limit (a number or "unlimited") of NAME in this process.
hard_of() { lim "$1" < /proc/self/limits | cut -d' ' -f2; }

# min VALUE LIMIT: VALUE capped at LIMIT, where LIMIT may be "unlimited".
min() { if [ "$2" = unlimited ] || [ "$1" -le "$2" ]; then echo "$1"; else echo "$2"; fi; }

# Raising a hard limit needs CAP_SYS_RESOURCE, which root in a container may lack.
can_raise() { sh -c 'ulimit -Hc 100 && ulimit -Hc 200' 2>/dev/null; }

# faked NAME: under qemu-user (tests/cross/run.sh), qemu only pretends to set the limit NAME
# (it would limit its own allocations too). A test checks every other limit, then skips.
faked() {
    [ -n "${KEEL_TEST_QEMU:-}" ] &&
        case $1 in "Max address space" | "Max data size" | "Max stack size") true ;; *) false ;; esac
}
skip_faked() { native_only "qemu-user does not apply RLIMIT_AS, _DATA, _STACK (the rest was checked)"; }
# no_faked: drops the lines of the faked limits from /proc/PID/limits on stdin (none natively).
no_faked() {
    if [ -n "${KEEL_TEST_QEMU:-}" ]; then grep -v -e '^Max address' -e '^Max data' -e '^Max stack'
    else cat; fi
}

# Run without privilege: as nobody when root (which drops every capability).
need_unprivileged() { ! is_root || need_cmd setpriv; }
unprivileged() {
    if is_root; then setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; else "$@"; fi
}

@test "softlimit: each option sets its own limit (soft only, capped at the hard limit)" {
    while IFS='|' read -r opt name value; do
        faked "$name" && continue
        want="$(min "$value" "$(hard_of "$name")") $(hard_of "$name")"
        got=$(after "$name" "$opt" "$value")
        [ "$got" = "$want" ] || { echo "$opt $value: $name is '$got', want '$want'"; false; }
    done <<'EOF'
-a|Max address space|300000000
-c|Max core file size|4096
-d|Max data size|200000000
-f|Max file size|1048576
-l|Max locked memory|65536
-o|Max open files|77
-P|Max realtime priority|0
-p|Max processes|1234
-r|Max resident set|50000000
-s|Max stack size|1048576
-t|Max cpu time|100
EOF
    if faked "Max data size"; then skip_faked; fi
}

@test "softlimit: an option changes nothing but its own limit" {
    before=$(cat /proc/self/limits)
    run limits_after -o 77
    [ "$status" -eq 0 ]
    diff <(grep -v '^Max open files' <<<"$before") <(grep -v '^Max open files' <<<"$output")
}

@test "softlimit -m sets data, stack, locked memory and address space, nothing else" {
    v=200000000
    out=$(limits_after -m $v)
    for name in "Max data size" "Max stack size" "Max locked memory" "Max address space"; do
        faked "$name" && continue
        [ "$(lim "$name" <<<"$out")" = "$(min $v "$(hard_of "$name")") $(hard_of "$name")" ]
    done
    diff <(grep -v -e '^Max data' -e '^Max stack' -e '^Max locked' -e '^Max address' /proc/self/limits) \
        <(grep -v -e '^Max data' -e '^Max stack' -e '^Max locked' -e '^Max address' <<<"$out")
    if faked "Max data size"; then skip_faked; fi
}

@test "softlimit: a limit really applies to the program (-f, -o)" {
    run --separate-stderr softlimit -f 10 sh -c 'trap "" XFSZ; head -c 100 /dev/zero > "$1" || echo failed' sh "$T/big"
    [ "$output" = failed ]
    [ "$(stat -c %s "$T/big")" = 10 ]
    need_cmd bash
    run --separate-stderr softlimit -o 30 bash -c 'exec 9>/dev/null && echo 9 opened; exec 40>/dev/null && echo 40 opened'
    [ "$output" = "9 opened" ]
    [[ $stderr == *"40: Bad file descriptor" ]]
}

@test "softlimit: a soft value above the hard limit becomes the hard limit" {
    hard=$(hard_of "Max open files")
    [ "$(after "Max open files" -o 99999999999)" = "$hard $hard" ]
    [ "$(after "Max open files" -o 18446744073709551615)" = "$hard $hard" ]
}

@test "softlimit -o = raises the soft limit to the hard limit" {
    hard=$(hard_of "Max open files")
    [ "$(after "Max open files" -o 50 softlimit -o =)" = "$hard $hard" ]
    [ "$(after "Max open files" -o 50 -o =)" = "$hard $hard" ]
}

@test "softlimit -H sets the soft and the hard limit" {
    need_unprivileged
    [ "$(after "Max open files" -H -o 100)" = "100 100" ]
    [ "$(after "Max core file size" -H -c 0)" = "0 0" ]
    run unprivileged softlimit -H -o 100 softlimit -o 200 sh -c 'ulimit -Sn; ulimit -Hn'
    [ "$output" = "$(printf '100\n100')" ]
}

@test "softlimit -h sets the hard limit only; a lower hard limit drags the soft one down" {
    hard=$(hard_of "Max open files")
    [ "$hard" = unlimited ] || [ "$hard" -ge 1000 ] || skip "hard limit on open files below 1000"
    [ "$(after "Max open files" -o 100 -h -o 500)" = "100 500" ]
    [ "$(after "Max open files" -o 800 -h -o 500)" = "500 500" ]
    # -h stays in force: a soft limit raised afterwards needs another softlimit
    [ "$(after "Max open files" -o 100 -h -o 300 softlimit -o =)" = "300 300" ]
}

@test "softlimit: = means unlimited for the hard limit" {
    [ "$(hard_of "Max core file size")" = unlimited ] || can_raise || skip "cannot raise the core hard limit"
    [ "$(after "Max core file size" -c 0 -H -c =)" = "unlimited unlimited" ]
    [ "$(after "Max core file size" -c 0 -h -c =)" = "0 unlimited" ]
}

@test "softlimit: options apply in order, -H and -h only to those after them" {
    hard=$(hard_of "Max open files")
    out=$(limits_after -o 100 -H -o 200 -c 0)
    [ "$(lim "Max open files" <<<"$out")" = "200 200" ]
    [ "$(lim "Max core file size" <<<"$out")" = "0 0" ]
    out=$(limits_after -c 0 -H -o 200)
    [ "$(lim "Max core file size" <<<"$out")" = "0 $(hard_of "Max core file size")" ]
    # the last of -H and -h is the mode
    [ "$(after "Max open files" -o 100 -H -h -o 300)" = "100 300" ]
    [ "$(after "Max open files" -h -H -o 300)" = "300 300" ]
    # a hard limit set first caps a soft value given later
    [ "$(after "Max open files" -h -o 300 softlimit -o 400)" = "300 300" ]
    # soft first, then hard: the hard limit drags the soft one down
    [ "$(after "Max open files" -o 400 -h -o 300)" = "300 300" ]
    [ "$hard" != 300 ]
}

@test "softlimit: options cluster, and a value may be attached" {
    [ "$(after "Max open files" -Ho100)" = "100 100" ]
    [ "$(after "Max open files" -o77)" = "77 $(hard_of "Max open files")" ]
}

@test "softlimit -P sets the real-time priority limit" {
    hard=$(hard_of "Max realtime priority")
    [ "$(after "Max realtime priority" -P =)" = "$hard $hard" ]
    expect_usage softlimit -P x true
    can_raise || skip "cannot raise the hard real-time priority limit"
    [ "$(after "Max realtime priority" -H -P 10)" = "10 10" ]
}

@test "softlimit: raising a hard limit without privilege is fatal (111)" {
    need_unprivileged
    expect_fail 111 "softlimit: fatal: unable to setrlimit: Operation not permitted" \
        unprivileged softlimit -h -c 10 softlimit -h -c 20 true
    expect_fail 111 "softlimit: fatal: unable to setrlimit: Operation not permitted" \
        unprivileged softlimit -H -c 10 softlimit -H -c = true
}

@test "softlimit -H -o = always fails on Linux: no unlimited open files" {
    [ "$(uname -s)" = Linux ] || skip "Linux only"
    expect_fail 111 "softlimit: fatal: unable to setrlimit: Operation not permitted" \
        softlimit -H -o = true
    expect_fail 111 "softlimit: fatal: unable to setrlimit: Operation not permitted" \
        softlimit -h -o = true
}

@test "softlimit: a setrlimit failure stops before later options and before the program" {
    need_unprivileged
    run --separate-stderr unprivileged softlimit -h -c 10 softlimit -h -c 20 -o x echo ran
    [ "$status" -eq 111 ]
    [ -z "$output" ]
}

@test "softlimit: values are decimal numbers, with an optional exponent, or =" {
    if ! faked "Max data size"; then
        [ "$(after "Max data size" -d 1e8)" = "100000000 $(hard_of "Max data size")" ]
        [ "$(after "Max data size" -d 25E5)" = "2500000 $(hard_of "Max data size")" ]
    fi
    [ "$(after "Max core file size" -c 7e0)" = "7 $(hard_of "Max core file size")" ]
    for v in -1 +5 0x10 '' ' 5' '5 ' 18446744073709551616 '==' '= ' unlimited 1.5 '1
2' 1e e8 1e-3 1e+3 1.5e3 1e20 2e19 1ee3 1e3e1 '1e 3'; do
        expect_usage softlimit -o "$v" true
    done
    # the value is checked even when the option would be applied last
    expect_usage softlimit -o 100 -c bad true
    if faked "Max data size"; then skip_faked; fi
}

@test "softlimit: unknown option letters are ignored, as by s6-softlimit" {
    run softlimit -Z -% -: -xy echo ran
    [ "$status" -eq 0 ]
    [ "$output" = ran ]
    [ "$(after "Max open files" -Zo77)" = "77 $(hard_of "Max open files")" ]
}

@test "softlimit: options end at the first operand or after --" {
    run softlimit echo -o 5
    [ "$output" = "-o 5" ]
    run softlimit -o 77 -- sh -c 'ulimit -n'
    [ "$output" = 77 ]
    run -127 softlimit -- -o 5
}

@test "softlimit: usage errors exit 100" {
    expect_usage softlimit
    expect_usage softlimit -o 100
    expect_usage softlimit -H
    expect_usage softlimit -o
    expect_usage softlimit --
}

@test "softlimit: exec failures exit 127 (not found) and 126 (not executable)" {
    expect_fail 127 "softlimit: fatal: unable to exec $T/nothere: No such file or directory" \
        softlimit -o 100 "$T/nothere"
    expect_fail 127 "softlimit: fatal: unable to exec no-such-program-keel: No such file or directory" \
        softlimit no-such-program-keel
    printf '#!/bin/sh\n' > "$T/noexec"
    expect_fail 126 "softlimit: fatal: unable to exec $T/noexec: Permission denied" softlimit "$T/noexec"
    d="$T/a dir
with newline"
    mkdir "$d"
    expect_fail 127 "softlimit: fatal: unable to exec $d/prog: No such file or directory" softlimit "$d/prog"
}

@test "softlimit: the same limits as s6-softlimit" {
    need_s6 s6-softlimit
    # -h lowering below the soft limit and -P differ on purpose (see the man page).
    for args in "" "-o 100" "-o =" "-o 99999999999" "-H -o 100" "-m 100000000" "-a 300000000" \
        "-c 0 -d 200000000 -f 1048576 -l 65536 -p 1234 -r 5000000 -s 1048576 -t 100" \
        "-o 100 -H -c 0 -o 200" "-H -c 0 -h -o 20000" "-Z -o 100" "-Ho100"; do
        # shellcheck disable=SC2086
        diff <(s6-softlimit $args cat /proc/self/limits | no_faked) \
            <(softlimit $args cat /proc/self/limits | no_faked) ||
            { echo "differs for: $args"; false; }
    done
    if faked "Max data size"; then skip_faked; fi
}

@test "softlimit: the same errors and exit codes as s6-softlimit" {
    need_unprivileged
    need_s6 s6-softlimit
    for args in "-H -o = true" "-h -o = true" "-o x true" "-o" "" "-Z true"; do
        # shellcheck disable=SC2086
        run --separate-stderr s6-softlimit $args; s6_status=$status; s6_err=${stderr#s6-}
        # shellcheck disable=SC2086
        run --separate-stderr softlimit $args
        [ "$status" -eq "$s6_status" ] || { echo "status $status, s6 $s6_status for: $args"; false; }
        case $s6_err in *usage:*) ;; *) [ "$stderr" = "$s6_err" ];; esac
    done
    run -127 --separate-stderr s6-softlimit "$T/nothere"; s6_err=${stderr#s6-}
    run -127 --separate-stderr softlimit "$T/nothere"
    [ "$stderr" = "$s6_err" ]
    run --separate-stderr unprivileged s6-softlimit -h -c 10 s6-softlimit -h -c 20 true
    s6_status=$status; s6_err=${stderr#s6-}
    run --separate-stderr unprivileged softlimit -h -c 10 softlimit -h -c 20 true
    [ "$status" -eq "$s6_status" ]
    [ "$stderr" = "$s6_err" ]
}

@test "softlimit -h below the soft limit: keel lowers it, s6-softlimit fails (documented)" {
    [ "$(after "Max open files" -o 800 -h -o 500)" = "500 500" ]
    need_s6 s6-softlimit
    run s6-softlimit -o 800 -h -o 500 true
    [ "$status" -eq 111 ]
}
