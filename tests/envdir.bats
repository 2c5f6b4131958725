#!/usr/bin/env bats
# envdir: one variable per file; first line, trailing blanks cut, NUL -> newline, empty unsets.

load helper

mkenv() {
    mkdir -p "$T/env"
    printf 'a b \t\nsecond\n' > "$T/env/TWO"
    printf 'a\0b  ' > "$T/env/NUL"
    : > "$T/env/EMPTY"
    printf 'x\ny\n\n' > "$T/env/F"
    printf '\n' > "$T/env/NL"
    printf 'noeol  ' > "$T/env/NOEOL"
    printf ' lead\n' > "$T/env/LEAD"
    echo hidden > "$T/env/.dot"
    echo nope > "$T/env/a=b"
}

# Print the variables as shell-quoted assignments, NULs and newlines visible.
dump() { envdir "$@" sh -c 'for v in TWO NUL EMPTY F NL NOEOL LEAD; do eval "x=\${$v-UNSET}"; printf "%s=[%s]\n" "$v" "$x"; done'; }

@test "envdir: first line, trailing blanks removed, NUL becomes newline" {
    mkenv
    run dump "$T/env"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "TWO=[a b]" ]
    [ "${lines[1]}" = "NUL=[a" ]
    [ "${lines[2]}" = "b]" ]
    [ "${lines[4]}" = "F=[x]" ]
    [ "${lines[5]}" = "NL=[]" ]
    [ "${lines[6]}" = "NOEOL=[noeol]" ]
    [ "${lines[7]}" = "LEAD=[ lead]" ]
}

@test "envdir: an empty file removes the variable" {
    mkenv
    EMPTY=set run dump "$T/env"
    [ "${lines[3]}" = "EMPTY=[UNSET]" ]
    HOME=/root run envdir "$T/env" sh -c 'echo "${HOME-gone}"'
    [ "$output" = /root ]
    : > "$T/env/HOME"
    HOME=/root run envdir "$T/env" sh -c 'echo "${HOME-gone}"'
    [ "$output" = gone ]
}

@test "envdir: dotfiles and names with = are ignored" {
    mkenv
    run envdir "$T/env" env
    [ "$status" -eq 0 ]
    ! grep -q hidden <<<"$output"
    ! grep -q '^a=b' <<<"$output"
    ! grep -q nope <<<"$output"
}

@test "envdir -n keeps trailing blanks" {
    mkenv
    run dump -n "$T/env"
    [ "${lines[0]}" = "$(printf 'TWO=[a b \t]')" ]
    [ "${lines[6]}" = "NOEOL=[noeol  ]" ]
}

@test "envdir -f takes the whole file minus its last newline; -fn keeps it" {
    mkenv
    run dump -f "$T/env"
    [ "$output" = "$(printf 'TWO=[a b \t\nsecond]\nNUL=[a\nb  ]\nEMPTY=[UNSET]\nF=[x\ny\n]\nNL=[]\nNOEOL=[noeol  ]\nLEAD=[ lead]')" ]
    run dump -fn "$T/env"
    [ "$output" = "$(printf 'TWO=[a b \t\nsecond\n]\nNUL=[a\nb  ]\nEMPTY=[UNSET]\nF=[x\ny\n\n]\nNL=[\n]\nNOEOL=[noeol  ]\nLEAD=[ lead\n]')" ]
}

@test "envdir -c replaces NULs with the first character of its argument" {
    mkenv
    run dump -c '!x' "$T/env"
    [ "${lines[1]}" = "NUL=[a!b]" ]
}

@test "envdir reads at most 4095 bytes per file unless -L" {
    mkdir "$T/env"
    head -c 5000 /dev/zero | tr '\0' x > "$T/env/BIG"
    run envdir "$T/env" sh -c 'echo ${#BIG}'
    [ "$output" = 4095 ]
    run envdir -L "$T/env" sh -c 'echo ${#BIG}'
    [ "$output" = 5000 ]
    # (the kernel limits one environment string to 128 KiB)
    head -c 100000 /dev/zero | tr '\0' y > "$T/env/BIG"
    run envdir -L "$T/env" sh -c 'echo ${#BIG}'
    [ "$output" = 100000 ]
}

@test "envdir: a directory with spaces and newlines in its name" {
    d="$T/my env
dir"
    mkdir "$d"
    echo val > "$d/V"
    run envdir "$d" sh -c 'echo "$V"'
    [ "$status" -eq 0 ]
    [ "$output" = val ]
}

@test "envdir: the value of an envdir survives into an exec chain" {
    mkdir "$T/env"
    echo one > "$T/env/A"
    mkdir "$T/env2"
    echo two > "$T/env2/B"
    run envdir "$T/env" envdir "$T/env2" sh -c 'echo "$A $B"'
    [ "$output" = "one two" ]
}

@test "envdir: missing directory is fatal (111), or ignored with -I" {
    expect_fail 111 "envdir: fatal: unable to envdir $T/none: No such file or directory" envdir "$T/none" true
    run envdir -I "$T/none" echo ran
    [ "$status" -eq 0 ]
    [ "$output" = ran ]
    # -i after -I restores the default
    expect_fail 111 "envdir: fatal: unable to envdir $T/none: No such file or directory" envdir -I -i "$T/none" true
}

@test "envdir -I does not hide other errors" {
    printf x > "$T/file"
    expect_fail 111 "envdir: fatal: unable to envdir $T/file: Not a directory" envdir -I "$T/file" true
}

@test "envdir: a subdirectory entry is fatal" {
    mkdir -p "$T/env/SUB"
    expect_fail 111 "envdir: fatal: unable to envdir $T/env: Is a directory" envdir "$T/env" true
}

# As root, drop to nobody first: root reads every file.
as_user() { if is_root; then setuidgid nobody "$@"; else "$@"; fi; }

@test "envdir: an unreadable file is fatal" {
    mkdir "$T/env"; echo x > "$T/env/X"; chmod 000 "$T/env/X"
    expect_fail 111 "envdir: fatal: unable to envdir $T/env: Permission denied" as_user envdir "$T/env" true
    chmod 644 "$T/env/X"
    run as_user envdir "$T/env" sh -c 'echo $X'
    [ "$output" = x ]
}

@test "envdir: an unreadable directory is fatal" {
    mkdir "$T/env"; echo x > "$T/env/X"; chmod 000 "$T/env"
    expect_fail 111 "envdir: fatal: unable to envdir $T/env: Permission denied" as_user envdir "$T/env" true
}

@test "envdir: an overlong directory name fails cleanly" {
    long=$(printf '%05000d' 0)
    expect_fail 111 "envdir: fatal: unable to envdir $long: File name too long" envdir "$long" true
}

@test "envdir: usage errors exit 100" {
    mkdir "$T/env"
    expect_usage envdir
    expect_usage envdir "$T/env"
    expect_usage envdir -x "$T/env" true
    expect_usage envdir -c
    expect_usage envdir -c '' "$T/env" true
}

@test "envdir: exec failures exit 127 (not found) and 126 (not executable)" {
    mkdir "$T/env"
    expect_fail 127 "envdir: fatal: unable to exec $T/nothere: No such file or directory" envdir "$T/env" "$T/nothere"
    expect_fail 127 "envdir: fatal: unable to exec no-such-program-keel: No such file or directory" envdir "$T/env" no-such-program-keel
    printf '#!/bin/sh\n' > "$T/noexec"
    expect_fail 126 "envdir: fatal: unable to exec $T/noexec: Permission denied" envdir "$T/env" "$T/noexec"
}

@test "envdir: '--' ends the options" {
    mkdir -- "$T/env"
    echo v > "$T/env/V"
    run envdir -- "$T/env" sh -c 'echo $V'
    [ "$output" = v ]
}

@test "envdir: same environment as s6-envdir for every option" {
    need_s6 s6-envdir
    mkenv
    for o in "" -n -f -fn -c! "-n -c!" "-f -c%"; do
        # shellcheck disable=SC2086
        diff <(s6-envdir $o "$T/env" env -i env -0 | od -c) <(envdir $o "$T/env" env -i env -0 | od -c)
        # shellcheck disable=SC2086
        diff <(env -i HOME=/x EMPTY=1 "$(command -v s6-envdir)" $o "$T/env" /usr/bin/env) \
            <(env -i HOME=/x EMPTY=1 "$KEEL_BIN/envdir" $o "$T/env" /usr/bin/env)
    done
}

@test "envdir: same errors and exit codes as s6-envdir" {
    need_s6 s6-envdir
    mkdir -p "$T/env/SUB"
    for args in "$T/none true" "$T/env true" "-I $T/none true" "$T/none"; do
        # shellcheck disable=SC2086
        run --separate-stderr s6-envdir $args; s6_status=$status; s6_err=${stderr#s6-}
        # shellcheck disable=SC2086
        run --separate-stderr envdir $args
        [ "$status" -eq "$s6_status" ]
        case $s6_err in *usage:*) ;; *) [ "$stderr" = "$s6_err" ];; esac
    done
}
