#!/usr/bin/env bats
# envuidgid: UID, GID and GIDLIST from the account databases, -u/-g/-B/-n/-i/-D, as s6.
# Tests with made-up accounts bind-mount $T/passwd and $T/group over /etc/passwd and /etc/group
# in a private mount namespace (root only): the host's files are never touched.

load helper

# The three variables as PROG sees them, "unset" when absent.
vars() {
    env -u UID -u GID -u GIDLIST "$@" sh -c \
        'printf "%s\n" "UID=${UID-unset}" "GID=${GID-unset}" "GIDLIST=${GIDLIST-unset}"'
}

need_ns() {
    need_root
    unshare -m true 2>/dev/null || skip "no mount namespaces"
}

# with_db CMD...: run CMD with the fake databases in place of /etc/passwd and /etc/group.
with_db() {
    unshare -m sh -c 'mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group &&
        shift 2 && exec "$@"' sh "$T/passwd" "$T/group" "$@"
}

mkdb() {
    cat > "$T/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
alice:x:2001:3001:Alice:/home/alice:/bin/sh
bob:x:2002:3002::/:/bin/sh
loner:x:2003:3003::/:/bin/sh
EOF
    cat > "$T/group" <<'EOF'
root:x:0:
staff:x:3001:
bobs:x:3002:
g1:x:4001:alice,bob
g2:x:4002:bob
g3:x:4003:carol,alice
g4:x:4004:alice
42:x:4242:
EOF
}

# envuidgid built with -DKEEL_STATIC=1, so it reads the files itself instead of asking libc
# (linked dynamically: only the lookup code differs from a `make STATIC=1` build). make check
# builds it.

need_static() {
    STATIC_BIN=$KEEL_BUILD/test/envuidgid-static
    [ -x "$STATIC_BIN" ] || { echo "$STATIC_BIN is missing: run make check" >&2; false; }
}

@test "envuidgid: a user sets UID, its primary GID and an empty GIDLIST" {
    run vars envuidgid nobody
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'UID=65534\nGID=65534\nGIDLIST=')" ]
    run vars envuidgid root
    [ "$output" = "$(printf 'UID=0\nGID=0\nGIDLIST=')" ]
}

@test "envuidgid: GIDLIST lists the user's other groups, comma-separated, primary left out" {
    need_ns
    mkdb
    run with_db "$KEEL_BIN/envuidgid" alice sh -c 'echo "$UID $GID $GIDLIST"'
    [ "$status" -eq 0 ]
    [ "$output" = "2001 3001 4001,4003,4004" ]
    run with_db "$KEEL_BIN/envuidgid" bob sh -c 'echo "$UID $GID $GIDLIST"'
    [ "$output" = "2002 3002 4001,4002" ]
    run with_db "$KEEL_BIN/envuidgid" loner sh -c 'echo "$UID $GID [$GIDLIST]"'
    [ "$output" = "2003 3003 []" ]
}

@test "envuidgid -u sets only UID, -g only GID" {
    run vars envuidgid -u nobody
    [ "$output" = "$(printf 'UID=65534\nGID=unset\nGIDLIST=unset')" ]
    run vars envuidgid -g nogroup
    [ "$output" = "$(printf 'UID=unset\nGID=65534\nGIDLIST=unset')" ]
    run vars envuidgid -g daemon
    [ "$output" = "$(printf 'UID=unset\nGID=1\nGIDLIST=unset')" ]
    # the last of -u -g -B wins
    run vars envuidgid -g -u nobody
    [ "$output" = "$(printf 'UID=65534\nGID=unset\nGIDLIST=unset')" ]
}

@test "envuidgid -B user:group sets UID and GID; an empty side is 0" {
    run vars envuidgid -B nobody:daemon
    [ "$output" = "$(printf 'UID=65534\nGID=1\nGIDLIST=unset')" ]
    run vars envuidgid -B :nogroup
    [ "$output" = "$(printf 'UID=0\nGID=65534\nGIDLIST=unset')" ]
    run vars envuidgid -B nobody:
    [ "$output" = "$(printf 'UID=65534\nGID=0\nGIDLIST=unset')" ]
    run vars envuidgid -B nobody
    [ "$output" = "$(printf 'UID=65534\nGID=0\nGIDLIST=unset')" ]
    run vars envuidgid -B :
    [ "$output" = "$(printf 'UID=0\nGID=0\nGIDLIST=unset')" ]
}

@test "envuidgid -n: numbers for names not in the database; alone it means -B" {
    run vars envuidgid -B -n 12:34
    [ "$output" = "$(printf 'UID=12\nGID=34\nGIDLIST=unset')" ]
    run vars envuidgid -nB root:42
    [ "$output" = "$(printf 'UID=0\nGID=42\nGIDLIST=unset')" ]
    run vars envuidgid -u -n 123
    [ "$output" = "$(printf 'UID=123\nGID=unset\nGIDLIST=unset')" ]
    run vars envuidgid -g -n 123
    [ "$output" = "$(printf 'UID=unset\nGID=123\nGIDLIST=unset')" ]
    # s6: -n turns the default account mode into -B
    run vars envuidgid -n 123
    [ "$output" = "$(printf 'UID=123\nGID=0\nGIDLIST=unset')" ]
    run vars envuidgid -n nobody
    [ "$output" = "$(printf 'UID=65534\nGID=0\nGIDLIST=unset')" ]
    run vars envuidgid -n -u nobody
    [ "$output" = "$(printf 'UID=65534\nGID=unset\nGIDLIST=unset')" ]
    run vars envuidgid -n -B 4294967295:0
    [ "$output" = "$(printf 'UID=4294967295\nGID=0\nGIDLIST=unset')" ]
}

@test "envuidgid -n: a name in the database wins over its numeric reading" {
    need_ns
    mkdb
    run with_db "$KEEL_BIN/envuidgid" -nB 2001:42 sh -c 'echo "$UID $GID"'
    [ "$output" = "2001 4242" ]
}

@test "envuidgid -n: what is not a whole number is still unknown" {
    expect_fail 1 "envuidgid: fatal: unknown user: 12x" envuidgid -n 12x true
    expect_fail 1 "envuidgid: fatal: unknown group: 4294967296" envuidgid -g -n 4294967296 true
    expect_fail 1 "envuidgid: fatal: unknown user: -1" envuidgid -B -n -- -1:2 true
    # (bats drops the trailing blank of "unknown group: ")
    expect_fail 1 "envuidgid: fatal: unknown group:" envuidgid -g -n '' true
}

@test "envuidgid -D uid:gid:gidlist replaces unknown accounts" {
    run vars envuidgid -D 1:2:3,4 no-such-user-keel
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'UID=1\nGID=2\nGIDLIST=3,4')" ]
    run vars envuidgid -D 1:2 no-such-user-keel
    [ "$output" = "$(printf 'UID=1\nGID=2\nGIDLIST=')" ]
    run vars envuidgid -D 7 no-such-user-keel
    [ "$output" = "$(printf 'UID=7\nGID=0\nGIDLIST=')" ]
    run vars envuidgid -D :: no-such-user-keel
    [ "$output" = "$(printf 'UID=0\nGID=0\nGIDLIST=')" ]
    run vars envuidgid -D :6 no-such-user-keel
    [ "$output" = "$(printf 'UID=0\nGID=6\nGIDLIST=')" ]
    run vars envuidgid -D '5:6:7 8;9,' no-such-user-keel
    [ "$output" = "$(printf 'UID=5\nGID=6\nGIDLIST=7,8,9')" ]
    # a known account ignores the defaults
    run vars envuidgid -D 1:2:3 nobody
    [ "$output" = "$(printf 'UID=65534\nGID=65534\nGIDLIST=')" ]
}

@test "envuidgid -D with -u, -g and -B" {
    run vars envuidgid -D 5:6:7 -g no-such-group-keel
    [ "$output" = "$(printf 'UID=unset\nGID=6\nGIDLIST=unset')" ]
    run vars envuidgid -D 5:6:7 -u no-such-user-keel
    [ "$output" = "$(printf 'UID=5\nGID=unset\nGIDLIST=unset')" ]
    run vars envuidgid -D 5:6:7 -B no-such-user-keel:no-such-group-keel
    [ "$output" = "$(printf 'UID=5\nGID=6\nGIDLIST=unset')" ]
    run vars envuidgid -B -D 5:6 nobody:no-such-group-keel
    [ "$output" = "$(printf 'UID=65534\nGID=6\nGIDLIST=unset')" ]
    # the -D values also fill an empty side
    run vars envuidgid -B -D 5:6 :
    [ "$output" = "$(printf 'UID=5\nGID=6\nGIDLIST=unset')" ]
}

@test "envuidgid -i after -D insists again; -D after -i does not" {
    expect_fail 1 "envuidgid: fatal: unknown user: no-such-user-keel" \
        envuidgid -D 5:6:7 -i no-such-user-keel true
    run vars envuidgid -i -D 5:6:7 no-such-user-keel
    [ "$output" = "$(printf 'UID=5\nGID=6\nGIDLIST=7')" ]
}

@test "envuidgid: unknown accounts exit 1" {
    expect_fail 1 "envuidgid: fatal: unknown user: no-such-user-keel" envuidgid no-such-user-keel true
    expect_fail 1 "envuidgid: fatal: unknown user: no-such-user-keel" envuidgid -u no-such-user-keel true
    expect_fail 1 "envuidgid: fatal: unknown group: no-such-group-keel" envuidgid -g no-such-group-keel true
    expect_fail 1 "envuidgid: fatal: unknown user: no-such-user-keel" \
        envuidgid -B no-such-user-keel:nogroup true
    expect_fail 1 "envuidgid: fatal: unknown group: no-such-group-keel" \
        envuidgid -B nobody:no-such-group-keel true
    expect_fail 1 "envuidgid: fatal: unknown user:" envuidgid '' true
    expect_fail 1 "envuidgid: fatal: unknown group:" envuidgid -g '' true
    expect_fail 1 "envuidgid: fatal: unknown user: a b
c" envuidgid 'a b
c' true
}

@test "envuidgid: usage errors exit 100" {
    expect_usage envuidgid
    expect_usage envuidgid nobody
    expect_usage envuidgid -x nobody true
    expect_usage envuidgid -D
    for d in '' x 5x 4294967296 :x 5:6:x 5:6:7,8x 5:6:,7 '5:6:7 x' 5:6:7: -1; do
        expect_usage envuidgid -D "$d" nobody true
    done
}

@test "envuidgid: exec failures exit 127 (not found) and 126 (not executable)" {
    expect_fail 127 "envuidgid: fatal: unable to exec $T/nothere: No such file or directory" \
        envuidgid nobody "$T/nothere"
    expect_fail 127 "envuidgid: fatal: unable to exec no-such-program-keel: No such file or directory" \
        envuidgid nobody no-such-program-keel
    printf '#!/bin/sh\n' > "$T/noexec"
    expect_fail 126 "envuidgid: fatal: unable to exec $T/noexec: Permission denied" \
        envuidgid nobody "$T/noexec"
}

@test "envuidgid: '--' ends the options; the rest of argv is passed on" {
    run envuidgid -- nobody sh -c 'echo "$UID" "$@"' sh -u 'a b'
    [ "$output" = "65534 -u a b" ]
}

@test "envuidgid: lines of any length, comments and malformed lines in the databases" {
    need_ns
    mkdb
    members=$(seq -f 'member%g' 1 20000 | paste -sd,)
    { echo "#alice:x:1:1::/:/bin/sh"
      echo "long:x:2100:2100:$members:/:/bin/sh"; } > "$T/p2"
    cat "$T/passwd" >> "$T/p2"
    mv "$T/p2" "$T/passwd"
    { echo "big:x:5000:$members,alice"
      echo "bigger:x:5001:$members"
      echo ""
      echo "nogid:x::alice"
      echo "badgid:x:12x:alice"
      echo "noalice:x:5002:alicex,xalice,alic"
      printf 'last:x:5003:bob,alice'; } >> "$T/group"
    run with_db "$KEEL_BIN/envuidgid" alice sh -c 'echo "$UID $GID $GIDLIST"'
    [ "$output" = "2001 3001 4001,4003,4004,5000,5003" ]
    run with_db "$KEEL_BIN/envuidgid" -B long:big sh -c 'echo "$UID $GID"'
    [ "$output" = "2100 5000" ]
}

@test "envuidgid (KEEL_STATIC file parser): same results as libc on the same databases" {
    need_ns
    need_static
    mkdb
    members=$(seq -f 'm%g' 1 30000 | paste -sd,)
    { echo "#alice:x:1:1::/:/bin/sh"
      echo "  spacey:x:2500:2500::/:/bin/sh"
      echo "x:x:1"
      echo "four:x:2600:2600"
      echo "sp:x: 7:8::/:/bin/sh"
      echo "bad:x:-1:5::/:/bin/sh"
      echo "big:x:1:1:$members:/:/bin/sh"; } > "$T/p2"
    cat "$T/passwd" >> "$T/p2"
    printf 'nonl:x:77:88::/:/bin/sh' >> "$T/p2"
    mv "$T/p2" "$T/passwd"
    { echo "huge:x:5000:$members,alice"
      echo ""
      echo "  g8:x:4008:alice"
      printf '\tg7:x:4007:alice\n'
      echo "badgid:x:12x:alice"
      echo "noalice:x:5002:alicex,xalice,alic"
      echo "dup:x:4001:alice"
      echo "prim:x:3001:alice"
      printf 'last:x:5003:bob,alice'; } >> "$T/group"
    for args in alice bob loner root nonl big bad x '#alice' spacey four -g\ huge -g\ g8 -g\ last -g\ g3 \
        -g\ badgid -B\ alice:g4 -B\ :huge -nB\ 17:42 -nB\ bob:17 -u\ nonl no-such-user-keel \
        -g\ no-such-group-keel '-D 1:2:3 nobody-keel'; do
        # shellcheck disable=SC2086
        run --separate-stderr with_db "$KEEL_BIN/envuidgid" $args env
        libc="$status $(grep -E '^(UID|GID|GIDLIST)=' <<<"$output" | sort) $stderr"
        # shellcheck disable=SC2086
        run --separate-stderr with_db "$STATIC_BIN" $args env
        mine="$status $(grep -E '^(UID|GID|GIDLIST)=' <<<"$output" | sort) $stderr"
        [ "$mine" = "$libc" ] || { echo "$args: static [$mine] libc [$libc]"; false; }
    done
    run with_db "$STATIC_BIN" alice sh -c 'echo "$UID $GID $GIDLIST"'
    [ "$output" = "2001 3001 4001,4003,4004,5000,4008,4007,5003" ]
}

@test "envuidgid (KEEL_STATIC file parser): '#' comments also in memberships, strict ids" {
    need_ns
    need_static
    mkdb
    echo "#g9:x:4009:alice" >> "$T/group"
    echo "#bob:x:1:1::/:/bin/sh" >> "$T/passwd"
    run with_db "$STATIC_BIN" alice sh -c 'echo "$GIDLIST"'
    [ "$output" = "4001,4003,4004" ]
    expect_fail 1 "envuidgid: fatal: unknown user: #bob" with_db "$STATIC_BIN" '#bob' true
    expect_fail 1 "envuidgid: fatal: unknown group: #g9" with_db "$STATIC_BIN" -g '#g9' true
    # ids are plain decimal numbers (glibc also takes " 7" and "+7")
    echo "sp:x: 7:8::/:/bin/sh" >> "$T/passwd"
    expect_fail 1 "envuidgid: fatal: unknown user: sp" with_db "$STATIC_BIN" sp true
}

@test "envuidgid (KEEL_STATIC file parser): missing or unreadable databases" {
    need_ns
    need_static
    run unshare -m sh -c 'mount -t tmpfs none /etc && exec "$@"' sh "$STATIC_BIN" -D 1:2:3 nobody env
    [ "$status" -eq 0 ]
    grep -qx GIDLIST=3 <<<"$output"
    expect_fail 1 "envuidgid: fatal: unknown group: nogroup" \
        unshare -m sh -c 'mount -t tmpfs none /etc && exec "$@"' sh "$STATIC_BIN" -g nogroup true
    # (a directory makes read(2) fail after open succeeded)
    expect_fail 111 "envuidgid: fatal: unable to look up user nobody: Is a directory" \
        unshare -m sh -c 'mount -t tmpfs none /etc && mkdir /etc/passwd && exec "$@"' sh \
        "$STATIC_BIN" nobody true
    expect_fail 111 "envuidgid: fatal: unable to look up group nogroup: Is a directory" \
        unshare -m sh -c 'mount -t tmpfs none /etc && mkdir /etc/group && exec "$@"' sh \
        "$STATIC_BIN" -g nogroup true
    expect_fail 111 "envuidgid: fatal: unable to get supplementary groups for root: Is a directory" \
        unshare -m sh -c 'mount -t tmpfs none /etc && mkdir /etc/group &&
            echo root:x:0:0::/:/bin/sh > /etc/passwd && exec "$@"' sh "$STATIC_BIN" root true
}

@test "envuidgid: same variables, exit codes and errors as s6-envuidgid" {
    need_s6 s6-envuidgid
    for args in nobody root daemon -u\ nobody -g\ nogroup -B\ nobody:nogroup -B\ :nogroup \
        -B\ nobody: -B\ : -n\ 123 -u\ -n\ 123 -g\ -n\ 123 -B\ -n\ 12:34 -nB\ root:42 \
        -n\ nobody '-D 1:2:3,4 nosuch' '-D 1:2 nosuch' '-D 1 nosuch' '-D :: nosuch' \
        '-D :6 nosuch' '-D 5:6:7 -B nosuch:nosuch' '-D 5:6:7 -g nosuch' '-D 5:6:7 -i nosuch' \
        '-B -D 5:6 nobody:nosuch' nosuch -g\ nosuch -B\ nosuch:nogroup -B\ nobody:nosuch \
        -n\ nosuch '-- nobody' '-D x nosuch' -x; do
        # shellcheck disable=SC2086
        run --separate-stderr vars s6-envuidgid $args
        s6="$status $output"; s6_err=${stderr#s6-}
        # shellcheck disable=SC2086
        run --separate-stderr vars envuidgid $args
        [ "$status $output" = "$s6" ] || { echo "$args: keel [$status $output] s6 [$s6]"; false; }
        case $s6_err in *usage:*) ;; *) [ "$stderr" = "$s6_err" ];; esac
    done
}

@test "envuidgid: same GIDLIST as s6-envuidgid for users in several groups" {
    need_ns
    need_s6 s6-envuidgid
    mkdb
    for u in alice bob loner root; do
        a=$(with_db "$KEEL_BIN/envuidgid" "$u" env | grep -E '^(UID|GID|GIDLIST)=' | sort)
        b=$(with_db "$(command -v s6-envuidgid)" "$u" env | grep -E '^(UID|GID|GIDLIST)=' | sort)
        [ "$a" = "$b" ] || { echo "$u: keel [$a] s6 [$b]"; false; }
    done
}
