#!/usr/bin/env bats
# make demo (demo/tree.sh) and make demo-chain (demo/chain.sh) keep working, as root and as an
# ordinary user.

load helper

@test "demo: the chain changes what it says it changes" {
    run sh "$KEEL_ROOT/demo/chain.sh"
    [ "$status" -eq 0 ]
    grep -q '^  GREETING   = hello from envdir$' <<<"$output"
    grep -q '^  open files = 64 (soft limit)$' <<<"$output"
    if is_root; then
        grep -q "^  identity   = uid=$(id -u nobody)(nobody)" <<<"$output"
    fi
    grep -Eq '^@4[0-9a-f]{23} first line$' <<<"$output"
    grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}\.[0-9]{9} second line$' <<<"$output"
}

@test "demo: runs as a user who is not root, and says what it leaves out" {
    need_root
    chmod 1777 "$T"
    run setuidgid nobody env TMPDIR="$T" sh "$KEEL_ROOT/demo/chain.sh"
    [ "$status" -eq 0 ]
    grep -q 'not root: setuidgid is left out' <<<"$output"
    grep -q '^  GREETING   = hello from envdir$' <<<"$output"
}

# The tree demo (make demo): boots, shows, kills, rebuilds, stops; leaves nothing behind.
tree_demo_ok() {
    grep -q '^== booting: svscan as pid 1 of a new PID namespace' <<<"$output"
    grep -Eq '^ticker/log +up +[0-9]+ ' <<<"$output"
    grep -Eq '^ready +up +[0-9]+ +[0-9]+s +yes ' <<<"$output"
    grep -Eq '^crashy +[a-z]+ .* up +up +(exit 3|-)$' <<<"$output"
    grep -Eq '^[0-9-]+ [0-9:.]+ exitcode 3$' <<<"$output"
    grep -q 'the tree rebuilt itself, with new pids' <<<"$output"
    grep -Eq '^[0-9-]+ [0-9:.]+ tick [0-9]+$' <<<"$output"
    grep -q '^the tree stopped cleanly' <<<"$output"
    # The pids after the kill are not the pids before.
    local before after
    before=$(sed -n 's/.*(pids before: \(.*\))$/\1/p' <<<"$output")
    after=$(sed -n 's/.*with new pids (\(.*\))$/\1/p' <<<"$output")
    [ -n "$before" ] && [ -n "$after" ]
    for p in $after; do case " $before " in *" $p "*) false ;; esac; done
}

@test "demo: the tree boots as pid 1 of a namespace, survives kill -9 -1, stops cleanly" {
    need_root
    TMPDIR=$T run sh "$KEEL_ROOT/demo/tree.sh"
    echo "$output"
    [ "$status" -eq 0 ]
    tree_demo_ok
    [ -z "$(ls "$T")" ]
}

@test "demo: the tree demo as a user who is not root (in a user namespace)" {
    need_root
    unshare --user --map-root-user --pid --fork --mount --mount-proc true 2>/dev/null ||
        skip "user namespaces are not allowed here"
    chmod 1777 "$T"
    run setuidgid nobody env TMPDIR="$T" sh "$KEEL_ROOT/demo/tree.sh"
    echo "$output"
    [ "$status" -eq 0 ]
    tree_demo_ok
}

@test "demo: without a namespace, the tree demo skips the kill and says why" {
    KEEL_DEMO_NO_NS=1 TMPDIR=$T run sh "$KEEL_ROOT/demo/tree.sh"
    echo "$output"
    [ "$status" -eq 0 ]
    grep -q 'svscan as an ordinary process (KEEL_DEMO_NO_NS is set: the kill -9 -1 part is skipped' <<<"$output"
    ! grep -q 'kill -9 -1 inside' <<<"$output"
    grep -q '^the tree stopped cleanly' <<<"$output"
}
