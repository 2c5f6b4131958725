#!/usr/bin/env bats
# mkfifodir: public fifodir 01733, -g GID restricted 03730 with that group, an existing dir
# left alone unless -f; same modes, groups and errors as s6-mkfifodir.

load helper

mode_group() { stat -c '%a %g' "$1"; }

@test "mkfifodir: a public fifodir, mode 01733, whatever the umask" {
    run mkfifodir "$T/f"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    [ "$(mode_group "$T/f")" = "1733 $(id -g)" ]
    [ "$(stat -c %u "$T/f")" = "$(id -u)" ]
    (umask 077; mkfifodir "$T/g")
    [ "$(stat -c %a "$T/g")" = 1733 ]
}

@test "mkfifodir -g: restricted to a group, mode 03730" {
    need_root
    run mkfifodir -g 100 "$T/f"
    [ "$status" -eq 0 ]
    [ "$(mode_group "$T/f")" = "3730 100" ]
    mkfifodir -g0 "$T/g"
    [ "$(mode_group "$T/g")" = "3730 0" ]
}

@test "mkfifodir: an existing directory is left alone; -f enforces the mode and group" {
    need_root
    mkfifodir "$T/f"
    mkfifodir -g 100 "$T/f"
    [ "$(mode_group "$T/f")" = "1733 0" ]
    mkfifodir -f -g 100 "$T/f"
    [ "$(mode_group "$T/f")" = "3730 100" ]
    # -f without -g: public again, the group is kept
    mkfifodir -f "$T/f"
    [ "$(mode_group "$T/f")" = "1733 100" ]
    mkdir -m 700 "$T/plain"
    mkfifodir "$T/plain"
    [ "$(stat -c %a "$T/plain")" = 700 ]
    mkfifodir -f "$T/plain"
    [ "$(stat -c %a "$T/plain")" = 1733 ]
}

@test "mkfifodir: as a user, a group one is not in is refused" {
    need_root
    chmod 777 "$T"
    expect_fail 111 "mkfifodir: fatal: unable to create fifodir at $T/f: Operation not permitted" setuidgid nobody mkfifodir -g 0 "$T/f"
    setuidgid nobody mkfifodir "$T/g"
    [ "$(stat -c '%a %U' "$T/g")" = "1733 nobody" ]
}

@test "mkfifodir: a name with spaces and a newline" {
    d="$T/my
fifo dir"
    mkfifodir "$d"
    [ "$(stat -c %a "$d")" = 1733 ]
}

@test "mkfifodir: errors exit 111" {
    touch "$T/file"
    expect_fail 111 "mkfifodir: fatal: unable to create fifodir at $T/file: Not a directory" mkfifodir "$T/file"
    expect_fail 111 "mkfifodir: fatal: unable to create fifodir at $T/file: Not a directory" mkfifodir -f "$T/file"
    expect_fail 111 "mkfifodir: fatal: unable to create fifodir at $T/none/f: No such file or directory" mkfifodir "$T/none/f"
    long=$T/$(printf '%05000d' 0)
    expect_fail 111 "mkfifodir: fatal: unable to create fifodir at $long: File name too long" mkfifodir "$long"
}

@test "mkfifodir: usage errors exit 100" {
    expect_usage mkfifodir
    expect_usage mkfifodir -x "$T/f"
    expect_usage mkfifodir -g
    expect_usage mkfifodir -g x "$T/f"
    expect_usage mkfifodir -g -1 "$T/f"
    expect_usage mkfifodir "$T/f" "$T/g"
    [ ! -e "$T/f" ]
}

@test "mkfifodir and s6-mkfifodir: the same modes, groups and errors" {
    need_s6 s6-mkfifodir
    need_root
    mkdir "$T/k" "$T/s"
    touch "$T/k/file" "$T/s/file"
    for args in "f" "-g 100 g" "-f -g 100 f" "-f f" "file" "-f file" "none/x"; do
        # shellcheck disable=SC2086
        (cd "$T/s" && s6-mkfifodir $args) 2>"$T/s.err" && s=0 || s=$?
        # shellcheck disable=SC2086
        (cd "$T/k" && mkfifodir $args) 2>"$T/k.err" && k=0 || k=$?
        [ "$k" = "$s" ]
        [ "$(cat "$T/k.err")" = "$(sed 's/^s6-//' "$T/s.err")" ]
        for f in f g; do
            [ ! -e "$T/s/$f" ] || [ "$(mode_group "$T/k/$f")" = "$(mode_group "$T/s/$f")" ]
        done
    done
}
