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

# The boot demo (make demo): init-maker, bin/init as pid 1, kill -9 -1 survived, halt with an
# exit code; leaves nothing behind.
tree_demo_ok() {
    grep -q '^== booting: .*/boot/bin/init as pid 1 of a new namespace' <<<"$output"
    grep -Eq '^  \./bin/init$' <<<"$output"
    grep -Eq '^s6-linux-init-shutdownd +up +[0-9]+ ' <<<"$output"
    grep -Eq '^ticker/log +up +[0-9]+ ' <<<"$output"
    grep -Eq '^ready +up +[0-9]+ +[0-9]+s +yes ' <<<"$output"
    grep -Eq '^crashy +[a-z]+ .* up +up +(exit 3|-)$' <<<"$output"
    grep -Eq '^[0-9-]+ [0-9:.]+ rc.init: stage 2 \(runlevel default\)' <<<"$output"
    grep -q 'the tree rebuilt itself, with new pids' <<<"$output"
    grep -Eq '^[0-9-]+ [0-9:.]+ tick [0-9]+$' <<<"$output"
    grep -q "^the namespace's init exited with status 3$" <<<"$output"
    # The pids after the kill are not the pids before.
    local before after
    before=$(sed -n 's/.*(pids before: \(.*\))$/\1/p' <<<"$output")
    after=$(sed -n 's/.*with new pids (\(.*\))$/\1/p' <<<"$output")
    [ -n "$before" ] && [ -n "$after" ]
    for p in $after; do case " $before " in *" $p "*) false ;; esac; done
}

@test "demo: the boot directory boots as pid 1 of a namespace, survives kill -9 -1, halts with a code" {
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

@test "demo: without a namespace, the boot demo says why and does nothing" {
    KEEL_DEMO_NO_NS=1 TMPDIR=$T run sh "$KEEL_ROOT/demo/tree.sh"
    echo "$output"
    [ "$status" -eq 0 ]
    grep -q 'needs to run bin/init as pid 1 of a PID namespace (KEEL_DEMO_NO_NS is set): nothing to show' <<<"$output"
    ! grep -q 'booting' <<<"$output"
    [ -z "$(ls "$T")" ]
}
