#!/usr/bin/env bats
# make demo's script keeps working, as root and as an ordinary user.

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
