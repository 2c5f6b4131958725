#!/usr/bin/env bats
# umount-all. A read-only remount changes the file system itself, even from a private mount
# namespace, so umount-all (even with bad options) runs only after pivot_root into a tmpfs
# root where every mount belongs to the test: each case builds that root in a child PID and
# mount namespace, copies in the few programs it needs (no bind mount of any host file
# system), pivots, detaches the old root, and checks /proc/self/mountinfo before anything else.
# devtmpfs and sysfs are never mounted here: their super blocks are the host's.

load helper
load final

# Runs as pid 1 of the namespace (in_ns_sh), $1 = $T, $2 = the umount-all to test. Builds the
# new root R, a tmpfs, with sh, cat, ln, rm, mount, umount, unshare, umount-all and their libraries
# at the same paths, a /dev/null, a proc at R/proc and a tmpfs at R/run.
# shellcheck disable=SC2016
ROOT_BUILD="$ROOT_COPY"'
set -e
R=$1/root
mkdir -p "$R"
mount -t tmpfs -o size=64m,mode=755 keeltest-root "$R"
for p in /bin/sh /bin/cat /bin/ln /bin/rm /bin/mount /bin/umount /usr/bin/unshare; do
    root_copy "$p"
done
root_copy "$2" /bin/umount-all
mkdir -p "$R/etc" "$R/dev" "$R/proc" "$R/realproc" "$R/run"
cp /etc/ld.so.cache "$R/etc/"
cp -a /dev/null "$R/dev/"
mount -t proc keeltest-proc "$R/proc"
mount -t tmpfs keeltest-run "$R/run"
'

# Then (after the case's own mounts under R): pivot_root, detach the old root, check the mounts
# (tests/final.bash), and define the helpers of the scenarios.
# shellcheck disable=SC2016
ROOT_ENTER="$ROOT_PIVOT"'
# show_mounts: each mount point left, with its mount flag and its super block flag (rw/ro).
show_mounts() {
    while read -r _id _parent _dev _root _mp _opts _rest; do
        _super=${_rest##* }
        printf "left %s %s %s\n" "$_mp" "${_opts%%,*}" "${_super%%,*}"
    done < /proc/self/mountinfo
}
# fake_proc < LIST: hides the real /proc under a tmpfs whose mounts file is LIST, made-up
# mount points that do not exist: each one umount-all tries fails with ENOENT and is named in
# a warning, in the order tried. The real proc stays reachable as /proc/self (a sanitizer
# runtime reads its options and maps there); the leak checker, which needs /proc/PID, is off.
fake_proc() {
    mount -t proc keeltest-proc /realproc && mount -t tmpfs keeltest-fake /proc &&
        ln -s /realproc/self /proc/self && cat > /proc/mounts || exit 93
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
}
'

# in_root 'MOUNTS UNDER $R' 'SCENARIO': the case, run in the test root.
in_root() {
    in_ns_sh "$ROOT_BUILD
$1
$ROOT_ENTER
$2" "$T" "$KEEL_BIN/umount-all"
}

@test "the test root holds only test mounts (the safety check refuses anything else)" {
    run --separate-stderr in_root '' 'show_mounts'
    [ "$status" -eq 0 ]
    [ "$output" = "left / rw rw
left /proc rw rw
left /run rw rw" ]
    # A mount that is not the test'\''s own (here a bind of a host directory) is refused.
    run --separate-stderr in_root 'mkdir "$R/host"; mount --bind /etc "$R/host"' 'echo ran'
    [ "$status" -eq 92 ]
    [ -z "$output" ]
    [[ $stderr == "foreign mount: /host "* ]]
}

@test "reverse order, busy mounts remounted read-only, /run and the first proc kept" {
    # shellcheck disable=SC2016
    run --separate-stderr in_root '
        mkdir -p "$R/a" "$R/c" "$R/d" "$R/e" "$R/sp ace" "$R/proc2"
        mount -t tmpfs keeltest-a "$R/a"; mkdir "$R/a/b" "$R/a/x"
        mount -t tmpfs keeltest-b "$R/a/b"
        mount --bind "$R/a/x" "$R/c"
        mount -t tmpfs keeltest-d "$R/d"
        mount -t tmpfs keeltest-e "$R/e"
        mount -t tmpfs keeltest-sp "$R/sp ace"
        mount -t proc keeltest-proc "$R/proc2"' '
        exec 7>/e/held  # a file open for writing: /e can be neither unmounted nor made ro
        cd /d           # our working directory keeps /d busy: it becomes read-only
        umount-all; echo "status $?"
        cd /
        if (true >/d/new) 2>/dev/null; then echo "d writable"; else echo "d read-only"; fi
        show_mounts'
    [ "$status" -eq 0 ]
    # /a, listed before /a/b, is gone: unmounted after it (in forward order it would have
    # been busy and left read-only). The root's super block is read-only.
    [ "$output" = "status 1
d read-only
left / rw ro
left /proc rw rw
left /run rw rw
left /d ro ro
left /e rw rw" ]
    [ "$stderr" = "umount-all: warning: unable to read-only remount /e: Device or resource busy" ]
}

@test "every failure is warned about and counted in the exit status" {
    # In a user namespace of its own, every mount is locked: each umount fails (EINVAL). The
    # root refused with EINVAL is remounted read-only instead (an initramfs's rootfs says
    # EINVAL: tests/vm), which a locked mount refuses too.
    # shellcheck disable=SC2016
    run --separate-stderr in_root '
        mkdir -p "$R/a" "$R/b" "$R/c"
        mount -t tmpfs keeltest-a "$R/a"
        mount -t tmpfs keeltest-b "$R/b"
        mount -t tmpfs keeltest-c "$R/c"' '
        /usr/bin/unshare --user --map-root-user --mount umount-all; echo "status $?"
        show_mounts'
    [ "$status" -eq 0 ]
    [ "$output" = "status 4
left / rw rw
left /proc rw rw
left /run rw rw
left /a rw rw
left /b rw rw
left /c rw rw" ]
    [ "$stderr" = "umount-all: warning: unable to umount /c: Invalid argument
umount-all: warning: unable to umount /b: Invalid argument
umount-all: warning: unable to umount /a: Invalid argument
umount-all: warning: unable to read-only remount /: Operation not permitted" ]
}

@test "skips /run and the first devtmpfs, proc and sysfs; later ones go; escapes decoded" {
    # shellcheck disable=SC2016
    run --separate-stderr in_root '' "
        printf '%s\n' \\
            'devtmpfs /dev devtmpfs rw 0 0' \\
            'proc /proc proc rw 0 0' \\
            'sysfs /sys sysfs rw 0 0' \\
            'tmpfs /run tmpfs rw 0 0' \\
            'tmpfs /run/user tmpfs rw 0 0' \\
            'devtmpfs /dev2 devtmpfs rw 0 0' \\
            'sysfs /sys2 sysfs rw 0 0' \\
            'proc /proc2 proc rw 0 0' \\
            'tmpfs /sp\\040ace tmpfs rw 0 0' \\
            'tmpfs /t\\011ab\\134x tmpfs rw 0 0' \\
            'tmpfs /not\\04octal\\9 tmpfs rw 0 0' \\
            '' \\
            'lonely' \\
            'tmpfs /end\\04' \\
            'tmpfs /last tmpfs rw 0 0' > /list
        fake_proc < /list
        umount-all; echo \"status \$?\""
    [ "$status" -eq 0 ]
    [ "$output" = "status 9" ]
    [ "$stderr" = "umount-all: warning: unable to umount /last: No such file or directory
umount-all: warning: unable to umount /end\\04: No such file or directory
umount-all: warning: unable to umount /not\\04octal\\9: No such file or directory
umount-all: warning: unable to umount /t	ab\\x: No such file or directory
umount-all: warning: unable to umount /sp ace: No such file or directory
umount-all: warning: unable to umount /proc2: No such file or directory
umount-all: warning: unable to umount /sys2: No such file or directory
umount-all: warning: unable to umount /dev2: No such file or directory
umount-all: warning: unable to umount /run/user: No such file or directory" ]
}

@test "no limit on mount points; the exit status stops at 99" {
    # shellcheck disable=SC2016
    run --separate-stderr in_root '' "
        i=0
        while [ \$i -lt 150 ]; do echo \"tmpfs /m\$i tmpfs rw 0 0\"; i=\$((i + 1)); done > /list
        fake_proc < /list
        umount-all; echo \"status \$?\""
    [ "$status" -eq 0 ]
    [ "$output" = "status 99" ]
    [ "$(grep -c '^umount-all: warning: unable to umount /m[0-9]*: No such file or directory$' <<<"$stderr")" -eq 150 ]
    [ "${stderr%%$'\n'*}" = "umount-all: warning: unable to umount /m149: No such file or directory" ]
}

@test "an empty /proc/mounts: nothing to do, exit 0; none at all: 111" {
    run --separate-stderr in_root '' 'fake_proc < /dev/null; umount-all; echo "status $?"'
    [ "$output" = "status 0" ]
    [ -z "$stderr" ]
    run --separate-stderr in_root '' 'fake_proc < /dev/null; rm /proc/mounts
        umount-all; echo "status $?"'
    [ "$output" = "status 111" ]
    [ "$stderr" = "umount-all: fatal: unable to read /proc/mounts: No such file or directory" ]
}

@test "bad options: 100 and the usage line, nothing unmounted" {
    # shellcheck disable=SC2016
    run --separate-stderr in_root 'mkdir "$R/a"; mount -t tmpfs keeltest-a "$R/a"' '
        umount-all -x; echo "status $?"
        umount-all extra; echo "status $?"
        umount-all -- extra; echo "status $?"
        show_mounts'
    [ "$output" = "status 100
status 100
status 100
left / rw rw
left /proc rw rw
left /run rw rw
left /a rw rw" ]
    u="umount-all: usage: $(usage_of umount-all)"
    [ "$stderr" = "$u
$u
$u" ]
}
