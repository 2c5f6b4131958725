#!/usr/bin/env bats
# applyuidgid: -u/-g/-G or -U (UID, GID, GIDLIST) set groups, then gid, then uid; -z unexports;
# an id of 0 is never applied. Ids are read from /proc/self/status (the kernel's view).

load helper

# uid, gid and supplementary groups of PROG: "uid gid [groups]".
creds() {
    "$@" sh -c 'set -- $(grep ^Uid: /proc/self/status) $(grep ^Gid: /proc/self/status)
        echo "$2 $7 [$(grep ^Groups: /proc/self/status | cut -f2 | sed "s/ *$//")]"'
}

@test "applyuidgid -u -g -G sets the groups (with the gid), the gid and the uid" {
    need_root
    run creds applyuidgid -u 1000 -g 1001 -G 10,20
    [ "$status" -eq 0 ]
    [ "$output" = "1000 1001 [10 20 1001]" ]
    [ "$(applyuidgid -u 1000 -g 1000 -G 10,20 id -G)" = "1000 10 20" ]
    # the gid already in the list is not added twice
    run creds applyuidgid -u 1000 -g 20 -G 10,20
    [ "$output" = "1000 20 [10 20]" ]
}

@test "applyuidgid -G '' leaves only the gid; without -G the groups are untouched" {
    need_root
    run creds applyuidgid -u 1000 -g 1000 -G ''
    [ "$output" = "1000 1000 [1000]" ]
    run creds applyuidgid -G 5,6 applyuidgid -u 1000 -g 1000
    [ "$output" = "1000 1000 [0 5 6]" ]
    run creds applyuidgid -G 5,6 applyuidgid -g 7
    [ "$output" = "0 7 [0 5 6]" ]
}

@test "applyuidgid: -u alone, -g alone, -G alone" {
    need_root
    run creds applyuidgid -u 1234
    [ "$output" = "1234 0 [$(creds env | sed 's/.*\[//; s/\]//')]" ]
    run creds applyuidgid -G '' applyuidgid -u 1234
    [ "$output" = "1234 0 [0]" ]
    run creds applyuidgid -G '' applyuidgid -g 7
    [ "$output" = "0 7 [0]" ]
    # with no gid, the list gets the current gid
    run creds applyuidgid -G 5,6
    [ "$output" = "0 0 [0 5 6]" ]
}

@test "applyuidgid: gid lists take s6's separators" {
    need_root
    run creds applyuidgid -G '10 20;30,,40,'
    [ "$output" = "0 0 [0 10 20 30 40]" ]
    run creds applyuidgid -G "$(printf '8\t9\r\n')"
    [ "$output" = "0 0 [0 8 9]" ]
}

@test "applyuidgid: uid and gid 0 are never applied" {
    need_root
    # as nobody, setuid(0) or setgid(0) would fail
    run creds applyuidgid -u 65534 -g 65534 -G '' applyuidgid -u 0 -g 0
    [ "$status" -eq 0 ]
    [ "$output" = "65534 65534 [65534]" ]
    run creds applyuidgid -u 0 -g 0
    [ "$status" -eq 0 ]
    [ "$output" = "$(creds env)" ]
}

@test "applyuidgid -U reads UID, GID and GIDLIST" {
    need_root
    run creds env UID=1000 GID=1001 GIDLIST=3,4 applyuidgid -U
    [ "$status" -eq 0 ]
    [ "$output" = "1000 1001 [3 4 1001]" ]
    run creds env UID=1000 GID=1001 GIDLIST= applyuidgid -U
    [ "$output" = "1000 1001 [1001]" ]
    # options after -U override it, options before are overridden
    run creds env UID=1 GID=2 GIDLIST=3,4 applyuidgid -U -u 5 -G 6
    [ "$output" = "5 2 [2 6]" ]
    run creds env UID=1 GID=2 GIDLIST=3,4 applyuidgid -u 5 -G 6 -U
    [ "$output" = "1 2 [2 3 4]" ]
}

@test "applyuidgid -U: missing or invalid variables exit 100" {
    expect_fail 100 "applyuidgid: fatal: UID not set" env -u UID applyuidgid -U true
    expect_fail 100 "applyuidgid: fatal: GID not set" env -u GID UID=1 applyuidgid -U true
    expect_fail 100 "applyuidgid: fatal: GIDLIST not set" env -u GIDLIST UID=1 GID=2 applyuidgid -U true
    expect_fail 100 'applyuidgid: fatal: invalid $UID' env UID=x GID=2 GIDLIST= applyuidgid -U true
    expect_fail 100 'applyuidgid: fatal: invalid $UID' env UID= GID=2 GIDLIST= applyuidgid -U true
    expect_fail 100 'applyuidgid: fatal: invalid $UID' env UID=-1 GID=2 GIDLIST= applyuidgid -U true
    expect_fail 100 'applyuidgid: fatal: invalid $GID' env UID=1 GID=2x GIDLIST= applyuidgid -U true
    expect_fail 100 'applyuidgid: fatal: invalid $GIDLIST' env UID=1 GID=2 GIDLIST=x applyuidgid -U true
    expect_fail 100 'applyuidgid: fatal: invalid $GIDLIST' env UID=1 GID=2 GIDLIST=,3 applyuidgid -U true
    expect_fail 100 'applyuidgid: fatal: invalid $GIDLIST' env UID=1 GID=2 GIDLIST=3,4x applyuidgid -U true
}

@test "applyuidgid -z removes UID, GID and GIDLIST from the program's environment" {
    need_root
    run env UID=1 GID=2 GIDLIST=3 applyuidgid -zU env
    [ "$status" -eq 0 ]
    ! grep -E '^(UID|GID|GIDLIST)=' <<<"$output"
    run env UID=1 GID=2 GIDLIST=3 applyuidgid -z -u 5 env
    ! grep -E '^(UID|GID|GIDLIST)=' <<<"$output"
    run env UID=1 GID=2 GIDLIST=3 applyuidgid -U env
    grep -qx UID=1 <<<"$output"
    grep -qx GID=2 <<<"$output"
    grep -qx GIDLIST=3 <<<"$output"
}

@test "applyuidgid: envuidgid | applyuidgid -U is setuidgid" {
    need_root
    run creds envuidgid nobody applyuidgid -Uz
    [ "$output" = "$(creds setuidgid nobody)" ]
}

@test "applyuidgid: usage errors exit 100" {
    expect_usage applyuidgid
    expect_usage applyuidgid -u 1
    expect_usage applyuidgid -x true
    expect_usage applyuidgid -u
    for v in '' x 1x -1 4294967296 ' 1' +1 0x10; do
        expect_usage applyuidgid -u "$v" true
        expect_usage applyuidgid -g "$v" true
    done
    for l in x ,1 ' 1' 1,x 10,20x 4294967296 '1;;-2'; do
        expect_usage applyuidgid -G "$l" true
    done
}

@test "applyuidgid: failing system calls exit 111" {
    need_root
    expect_fail 111 "applyuidgid: fatal: unable to set supplementary group list: Operation not permitted" \
        applyuidgid -u 65534 applyuidgid -G '' true
    expect_fail 111 "applyuidgid: fatal: unable to setgid: Operation not permitted" \
        applyuidgid -u 65534 applyuidgid -g 1 true
    expect_fail 111 "applyuidgid: fatal: unable to setuid: Operation not permitted" \
        applyuidgid -u 65534 applyuidgid -u 1 true
    expect_fail 111 "applyuidgid: fatal: unable to setuid: Invalid argument" \
        applyuidgid -u 4294967295 true
    expect_fail 111 "applyuidgid: fatal: unable to setgid: Invalid argument" \
        applyuidgid -g 4294967295 true
}

@test "applyuidgid: exec failures exit 127 (not found) and 126 (not executable)" {
    expect_fail 127 "applyuidgid: fatal: unable to exec /nonexistent-keel/x: No such file or directory" \
        applyuidgid /nonexistent-keel/x
    expect_fail 127 "applyuidgid: fatal: unable to exec no-such-program-keel: No such file or directory" \
        applyuidgid -z no-such-program-keel
    printf '#!/bin/sh\n' > "$T/noexec"
    expect_fail 126 "applyuidgid: fatal: unable to exec $T/noexec: Permission denied" \
        applyuidgid "$T/noexec"
}

@test "applyuidgid: '--' ends the options; the rest of argv is passed on" {
    run applyuidgid -- sh -c 'echo "$@"' sh -u 'a b'
    [ "$output" = "-u a b" ]
}

@test "applyuidgid: same credentials, exit codes and errors as s6-applyuidgid" {
    need_root
    need_s6 s6-applyuidgid
    # what PROG sees: its ids and the three variables
    probe='grep -E "^(Uid|Gid|Groups):" /proc/self/status; env | grep -E "^(UID|GID|GIDLIST)=" | sort'
    for args in "-u 1000 -g 1000 -G 10,20" "-u 1000 -g 1000 -G ''" "-u 1000 -g 1000" "-G 5,6" \
        "-g 7" "-u 7" "-G '10 20;30,'" "-u 0 -g 0" "-G 5 -u 65534 -g 65534" "-U" "-U -u 5 -G 6" \
        "-u 5 -G 6 -U" "-zU" "-u x" "-G x" "-u 4294967295" "-x" "-u" ""; do
        for e in "UID=1 GID=2 GIDLIST=3,4" "UID=1 GID=2" "UID=x GID=2 GIDLIST=" \
            "UID=1 GID=2 GIDLIST=x"; do
            s6=$(eval "env -u UID -u GID -u GIDLIST $e s6-applyuidgid $args sh -c \"\$probe\"" 2>&1
                echo "status $?")
            s6=$(sed 's/^s6-applyuidgid: usage: .*/usage/; s/^s6-//' <<<"$s6")
            mine=$(eval "env -u UID -u GID -u GIDLIST $e applyuidgid $args sh -c \"\$probe\"" 2>&1
                echo "status $?")
            mine=$(sed 's/^applyuidgid: usage: .*/usage/' <<<"$mine")
            [ "$mine" = "$s6" ] || { echo "$e applyuidgid $args: keel [$mine] s6 [$s6]"; false; }
        done
    done
}
