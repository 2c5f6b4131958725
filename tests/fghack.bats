#!/usr/bin/env bats
# fghack: spawn PROG with 30 copies of a pipe's write end, wait for EOF, exit with PROG's code.

load helper

warning="fghack: warning: this program is obsolescent, please use background-watch instead"

@test "fghack: exits with the program's exit code, after the obsolescence warning" {
    run --separate-stderr fghack sh -c 'echo out; exit 3'
    [ "$status" -eq 3 ]
    [ "$output" = out ]
    [ "$stderr" = "$warning" ]
    run fghack true
    [ "$status" -eq 0 ]
}

@test "fghack: a program killed by a signal gives 128+signal" {
    run fghack sh -c 'kill -KILL $$'
    [ "$status" -eq 137 ]
    run fghack sh -c 'kill -TERM $$'
    [ "$status" -eq 143 ]
}

@test "fghack: the program gets 30 copies of the pipe's write end" {
    run --separate-stderr fghack sh -c 'for f in /proc/$$/fd/*; do readlink "$f"; done; true'
    [ "$status" -eq 0 ]
    # exactly one pipe appears 30 times, and only write ends of it are open
    [ "$(sort <<<"$output" | uniq -c | awk '$1 == 30' | wc -l)" = 1 ]
    pipe=$(sort <<<"$output" | uniq -c | awk '$1 == 30 { print $2 }')
    [[ $pipe == pipe:* ]]
}

@test "fghack: the program runs with an empty signal mask" {
    # (not sh -c: dash blocks signals while it waits for a command)
    run --separate-stderr fghack grep -E '^Sig(Blk|Ign)' /proc/self/status
    [ "${lines[0]}" = "$(printf 'SigBlk:\t0000000000000000')" ]
    native_only "qemu-user catches every signal itself: none stays ignored across its exec"
    # an ignored signal stays ignored, as across a plain exec
    run --separate-stderr sh -c "trap '' USR1; exec fghack grep '^SigIgn' /proc/self/status"
    (( 0x${output#SigIgn:?} & 0x200 ))
}

@test "fghack: writing on the hack pipe exits 102" {
    # Find the descriptor that is one of the 30 copies, and write on it.
    cat > "$T/writer" <<'EOF'
#!/bin/bash
hack=$(for f in /proc/$$/fd/*; do readlink "$f"; done | sort | uniq -c | awk '$1 == 30 { print $2 }')
for f in /proc/$$/fd/*; do
    [ "$(readlink "$f")" = "$hack" ] || continue
    eval "echo x >&${f##*/}"
    exit 0
done
exit 1
EOF
    chmod 755 "$T/writer"
    expect_fail 102 "$warning
fghack: fatal: $T/writer wrote on hackpipe" fghack "$T/writer"
}

@test "fghack: a backgrounded daemon keeps fghack waiting until it exits" {
    mkfifo "$T/release"
    fghack sh -c "sh -c 'read x < $T/release; exit 5' >/dev/null 2>&1 & echo \$! > $T/daemon; exit 4" \
        >/dev/null 2>&1 3>&- &
    fg=$!
    track_pid "$fg"
    wait_for 5 test -s "$T/daemon"
    track_pid "$(cat "$T/daemon")"
    # the foreground program has exited: fghack is still there because of the daemon
    wait_for 5 sh -c "ps -o stat= --ppid $fg | grep -q Z"
    kill -0 "$fg"
    echo go > "$T/release"
    status=0
    wait "$fg" || status=$?
    # the exit code is the foreground program's, not the daemon's
    [ "$status" -eq 4 ]
}

@test "fghack: exec failures exit 127 (not found) and 126 (not executable)" {
    expect_fail 127 "$warning
fghack: fatal: unable to exec $T/nothere: No such file or directory" fghack "$T/nothere"
    expect_fail 127 "$warning
fghack: fatal: unable to exec no-such-program-keel: No such file or directory" fghack no-such-program-keel
    printf '#!/bin/sh\n' > "$T/noexec"
    expect_fail 126 "$warning
fghack: fatal: unable to exec $T/noexec: Permission denied" fghack "$T/noexec"
    expect_fail 126 "$warning
fghack: fatal: unable to exec $T: Permission denied" fghack "$T"
}

@test "fghack: program names with spaces and newlines" {
    d="$T/a b
c"
    mkdir "$d"
    printf '#!/bin/sh\nexit 6\n' > "$d/prog x"
    chmod 755 "$d/prog x"
    run fghack "$d/prog x"
    [ "$status" -eq 6 ]
    expect_fail 127 "$warning
fghack: fatal: unable to exec $d/nothere: No such file or directory" fghack "$d/nothere"
}

@test "fghack: usage errors exit 100" {
    expect_usage fghack
}

@test "fghack: same exit codes as s6-fghack" {
    need_s6 s6-fghack
    # s6-fghack 2.11 has no obsolescence warning; the last line of stderr must match.
    for script in 'exit 0' 'exit 3' 'echo x >&4' 'echo out'; do
        run --separate-stderr s6-fghack sh -c "$script"; s6_status=$status; s6_out=$output
        s6_err=$(tail -n 1 <<<"$stderr"); s6_err=${s6_err#s6-}
        run --separate-stderr fghack sh -c "$script"
        [ "$status" -eq "$s6_status" ]
        [ "$output" = "$s6_out" ]
        [ "$(tail -n 1 <<<"$stderr")" = "${s6_err:-$warning}" ]
    done
    # Deliberate differences: s6-fghack 2.11 exits 111 for a killed program and for exec
    # failures; fghack gives 128+signal and 126/127.
}
