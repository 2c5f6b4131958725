#!/usr/bin/env bats
# setuidgid: user name -> uid, primary gid, supplementary groups; uid:gid -> no other group;
# "" -> unchanged. Ids are read from /proc/self/status (the kernel's view), not from `id`.
# Made-up accounts live in $T/passwd and $T/group, bind-mounted over /etc/passwd and /etc/group
# in a private mount namespace: the host's files are never touched.

load helper

# uid, gid and supplementary groups of PROG: "uid gid [groups]".
creds() {
    "$@" sh -c 'set -- $(grep ^Uid: /proc/self/status) $(grep ^Gid: /proc/self/status)
        echo "$2 $7 [$(grep ^Groups: /proc/self/status | cut -f2 | sed "s/ *$//")]"'
}

need_ns() {
    need_root
    unshare -m true 2>/dev/null || skip "no mount namespaces"
}

with_db() {
    unshare -m sh -c 'mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group &&
        shift 2 && exec "$@"' sh "$T/passwd" "$T/group" "$@"
}

mkdb() {
    cat > "$T/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
alice:x:2001:3001:Alice:/home/alice:/bin/sh
bob:x:2002:3002::/:/bin/sh
EOF
    cat > "$T/group" <<'EOF'
root:x:0:
staff:x:3001:
g1:x:4001:alice,bob
g2:x:4002:bob
g3:x:4003:carol,alice
wheel:x:10:root
EOF
}

# setuidgid built with -DKEEL_STATIC=1: the account files are parsed by keel, not libc.
# make check builds it.
STATIC_BIN=$KEEL_BUILD/test/setuidgid-static

@test "setuidgid NAME: the user's uid, primary gid and groups" {
    need_root
    run creds setuidgid nobody
    [ "$status" -eq 0 ]
    [ "$output" = "65534 65534 [65534]" ]
    run creds setuidgid daemon
    [ "$output" = "1 1 [1]" ]
}

@test "setuidgid NAME: supplementary groups from the group database" {
    need_ns
    mkdb
    run creds with_db "$KEEL_BIN/setuidgid" alice
    [ "$status" -eq 0 ]
    [ "$output" = "2001 3001 [3001 4001 4003]" ]
    run creds with_db "$KEEL_BIN/setuidgid" bob
    [ "$output" = "2002 3002 [3002 4001 4002]" ]
    run creds with_db "$KEEL_BIN/setuidgid" root
    [ "$output" = "0 0 [0 10]" ]
}

@test "setuidgid drops the caller's supplementary groups" {
    need_root
    run creds applyuidgid -G 5,6,7 setuidgid nobody
    [ "$output" = "65534 65534 [65534]" ]
    run creds applyuidgid -G 5,6,7 setuidgid root
    [ "$output" = "0 0 [0]" ]
    run creds applyuidgid -G 5,6,7 setuidgid 0:0
    [ "$output" = "0 0 [0]" ]
}

@test "setuidgid uid:gid sets those ids and no other group" {
    need_root
    run creds setuidgid 1234:5678
    [ "$status" -eq 0 ]
    [ "$output" = "1234 5678 [5678]" ]
    [ "$(setuidgid 1234:5678 id)" = "uid=1234 gid=5678 groups=5678" ]
    run creds setuidgid 65534:0
    [ "$output" = "65534 0 [0]" ]
    # no name lookup: a number that is also a user name is still a number
    run creds setuidgid 0:65534
    [ "$output" = "0 65534 [65534]" ]
}

@test "setuidgid '': the program runs unchanged" {
    need_root
    run creds applyuidgid -G 5 setuidgid ''
    [ "$status" -eq 0 ]
    [ "$output" = "$(creds applyuidgid -G 5)" ]
    UID_=x run setuidgid '' sh -c 'echo "$UID_"'
    [ "$output" = x ]
}

@test "setuidgid: UID, GID and GIDLIST never reach the program" {
    need_root
    run env -u UID -u GID -u GIDLIST setuidgid nobody env
    [ "$status" -eq 0 ]
    ! grep -E '^(UID|GID|GIDLIST)=' <<<"$output"
    # as s6-setuidgid (envuidgid | applyuidgid -z), a name also removes inherited ones...
    run env UID=1 GID=2 GIDLIST=3 setuidgid nobody env
    ! grep -E '^(UID|GID|GIDLIST)=' <<<"$output"
    # ...while uid:gid leaves the environment alone
    run env UID=1 GID=2 GIDLIST=3 setuidgid 7:8 env
    grep -qx UID=1 <<<"$output"
    grep -qx GIDLIST=3 <<<"$output"
}

@test "setuidgid: an unknown user exits 1" {
    expect_fail 1 "setuidgid: fatal: unknown user: no-such-user-keel" setuidgid no-such-user-keel true
    expect_fail 1 "setuidgid: fatal: unknown user: a b
c" setuidgid 'a b
c' true
    expect_fail 1 "setuidgid: fatal: unknown user: -" setuidgid - true
}

@test "setuidgid: usage errors exit 100" {
    expect_usage setuidgid
    expect_usage setuidgid nobody
    expect_usage setuidgid -x nobody true
    expect_usage setuidgid -- nobody
    for a in x:y :5 5: : 1:2:3 -1:2 4294967296:1 '1 :2'; do
        expect_usage setuidgid -- "$a" true
    done
}

@test "setuidgid: without the privilege, 111" {
    need_root
    expect_fail 111 "setuidgid: fatal: unable to set supplementary group list: Operation not permitted" \
        setuidgid nobody setuidgid nobody true
    expect_fail 111 "setuidgid: fatal: unable to set supplementary group list: Operation not permitted" \
        setuidgid nobody setuidgid 65534:65534 true
}

@test "setuidgid: exec failures exit 127 (not found) and 126 (not executable)" {
    need_root
    # ($T may not be searchable by nobody)
    expect_fail 127 "setuidgid: fatal: unable to exec /nonexistent-keel/x: No such file or directory" \
        setuidgid nobody /nonexistent-keel/x
    expect_fail 127 "setuidgid: fatal: unable to exec no-such-program-keel: No such file or directory" \
        setuidgid '' no-such-program-keel
    # only root may run it: after the switch to nobody, 126
    printf '#!/bin/sh\necho ran\n' > "$T/rootonly"
    chmod 700 "$T/rootonly"
    run "$T/rootonly"
    [ "$output" = ran ]
    expect_fail 126 "setuidgid: fatal: unable to exec $T/rootonly: Permission denied" \
        setuidgid nobody "$T/rootonly"
    expect_fail 126 "setuidgid: fatal: unable to exec $T/rootonly: Permission denied" \
        setuidgid 1234:5678 "$T/rootonly"
}

@test "setuidgid: the rest of argv is passed on untouched" {
    need_root
    run setuidgid nobody sh -c 'echo "$@"' sh -u 'a b' --
    [ "$output" = "-u a b --" ]
}

@test "setuidgid (KEEL_STATIC file parser): same credentials as the libc build" {
    need_ns
    [ -x "$STATIC_BIN" ] || { echo "$STATIC_BIN is missing: run make check" >&2; false; }
    mkdb
    for u in alice bob root 5:6; do
        a=$(creds with_db "$KEEL_BIN/setuidgid" "$u")
        b=$(creds with_db "$STATIC_BIN" "$u")
        [ "$a" = "$b" ] || { echo "$u: libc [$a] static [$b]"; false; }
    done
    [ "$(creds with_db "$STATIC_BIN" alice)" = "2001 3001 [3001 4001 4003]" ]
    expect_fail 1 "setuidgid: fatal: unknown user: nobody" \
        with_db "$STATIC_BIN" nobody true
}

@test "setuidgid: same credentials, exit codes and errors as s6-setuidgid" {
    need_root
    need_s6 s6-setuidgid
    for a in nobody root daemon 1234:5678 65534:0 0:0 ''; do
        [ "$(creds setuidgid "$a")" = "$(creds s6-setuidgid "$a")" ] || { echo "$a"; false; }
        [ "$(setuidgid "$a" id)" = "$(s6-setuidgid "$a" id)" ]
        [ "$(env UID=1 setuidgid "$a" env | sort)" = "$(env UID=1 s6-setuidgid "$a" env | sort)" ]
    done
    for args in "no-such-user-keel true" "nobody" "x:y true" "nobody /nonexistent-keel/x"; do
        # (no `run`: bats would warn about the expected 127)
        # shellcheck disable=SC2086
        s6_err=$(s6-setuidgid $args 2>&1 >/dev/null) && s6_status=0 || s6_status=$?
        # shellcheck disable=SC2086
        err=$(setuidgid $args 2>&1 >/dev/null) && status=0 || status=$?
        [ "$status" -eq "$s6_status" ]
        case $s6_err in *usage:*) ;; *) [ "${err#setuidgid: }" = "${s6_err#s6-*: }" ];; esac
    done
}

@test "setuidgid: same groups as s6-setuidgid for users in several groups" {
    need_ns
    need_s6 s6-setuidgid
    mkdb
    for u in alice bob root; do
        a=$(creds with_db "$KEEL_BIN/setuidgid" "$u")
        b=$(creds with_db "$(command -v s6-setuidgid)" "$u")
        [ "$a" = "$b" ] || { echo "$u: keel [$a] s6 [$b]"; false; }
    done
}
