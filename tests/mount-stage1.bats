#!/usr/bin/env bats
# mount-stage1: the early mounts of pid 1 (spec init.md §2.3). Every test runs it in a child
# PID namespace with a private mount namespace, after pivot_root into a fresh tmpfs: the new
# root holds only read-only binds of /usr and keel's bin/ (at /keel) and the test's output
# directory (at /t), so /proc, /sys, /dev and /run are empty directories of the test's own.

load helper

setup() {
    keel_setup
    need_root
    need_cmd unshare
    need_cmd pivot_root
    mkdir "$T/root" "$T/out"
}

# in_root 'SH COMMANDS': runs them with sh as pid 1 of a new namespace, in the tmpfs root.
# Refuses to run in the host's PID namespace. Under the sanitizers, their runtime's warnings
# about the missing /proc are dropped from stderr (tests/helper.bash drop_sanitizer_noise).
in_root() {
    if build_is SANITIZE; then
        local rc=0
        in_root_raw "$1" 2>"$T/in_root.err" || rc=$?
        drop_sanitizer_noise < "$T/in_root.err" >&2
        return "$rc"
    fi
    in_root_raw "$1"
}

in_root_raw() {
    unshare --pid --fork --mount --mount-proc sh -c '
        [ "$(readlink /proc/self/ns/pid)" != "$1" ] || { echo "not in a child PID namespace" >&2; exit 90; }
        r=$2
        mount --make-rprivate / && mount -t tmpfs -o mode=0755 tmpfs "$r" || exit 91
        mkdir "$r/usr" "$r/keel" "$r/t" "$r/old"
        for l in bin lib lib64 sbin; do ln -s "usr/$l" "$r/$l"; done
        mount --bind /usr "$r/usr" && mount -o remount,bind,ro "$r/usr" &&
            mount --bind "$3" "$r/keel" && mount -o remount,bind,ro "$r/keel" &&
            mount --bind "$4" "$r/t" || exit 92
        # (umount needs a /proc to find what it unmounts: one, for that only.)
        mkdir "$r/proc"
        cd "$r" && pivot_root . old && cd / && mount -t proc proc /proc &&
            umount -l /old && umount /proc && rmdir /old || exit 93
        shift 4
        eval "$1"' sh "$HOST_PIDNS" "$T/root" "$KEEL_BIN" "$T/out" "$1" 3>&-
}

# points FILE: the mount points and types of a saved mountinfo, one "POINT TYPE" per line.
points() { awk '{ for (i = 7; $i != "-"; i++) {}; print $5, $(i + 1) }' "$1"; }
# options FILE POINT: the per-mount options of POINT in a saved mountinfo.
options() { awk -v p="$2" '$5 == p { print $6 }' "$1"; }

@test "mount-stage1 mounts /proc /sys /dev /run, then execs; a second run mounts nothing" {
    run in_root '
        /keel/mount-stage1 sh -c "cat /proc/self/mountinfo > /t/m1; exit 7"; echo "status $?"
        /keel/mount-stage1 cat /proc/self/mountinfo > /t/m2'
    [ "$output" = "status 7" ]
    run points "$T/out/m1"
    [[ $output == *"/proc proc"* ]]
    [[ $output == *"/sys sysfs"* ]]
    [[ $output == *"/dev devtmpfs"* ]]
    [[ $output == *"/run tmpfs"* ]]
    [[ $output != *"/dev/pts"* && $output != *"/dev/shm"* ]]
    [ "$(options "$T/out/m1" /proc)" = rw,nosuid,nodev,noexec,relatime ]
    [ "$(options "$T/out/m1" /sys)" = rw,nosuid,nodev,noexec,relatime ]
    [ "$(options "$T/out/m1" /dev)" = rw,nosuid,noexec,relatime ]
    [ "$(options "$T/out/m1" /run)" = rw,nosuid,nodev,relatime ]
    # The second run found everything mounted: the same table, mount ids included.
    diff "$T/out/m1" "$T/out/m2"
}

@test "mount-stage1 -C and -D skip /dev; -a adds /dev/pts and /dev/shm" {
    run in_root '
        /keel/mount-stage1 -C cat /proc/self/mountinfo > /t/c
        /keel/mount-stage1 -D cat /proc/self/mountinfo > /t/d
        /keel/mount-stage1 -a cat /proc/self/mountinfo > /t/a
        /keel/mount-stage1 -a cat /proc/self/mountinfo > /t/a2'
    [ "$status" = 0 ]
    run points "$T/out/c"
    [[ $output == *"/proc proc"* && $output == *"/run tmpfs"* && $output != *"/dev "* ]]
    run points "$T/out/d"
    [[ $output == *"/proc proc"* && $output != *"/dev "* ]]
    run points "$T/out/a"
    [[ $output == *"/dev devtmpfs"* && $output == *"/dev/pts devpts"* ]]
    [[ $output == *"/dev/shm tmpfs"* ]]
    [ "$(options "$T/out/a" /dev/shm)" = rw,nosuid,nodev,relatime ]
    diff "$T/out/a" "$T/out/a2"
}

@test "mount-stage1 -R leaves /run alone, -r remounts it" {
    run in_root '
        /keel/mount-stage1 -R cat /proc/self/mountinfo > /t/R
        mkdir /run && mount -t tmpfs tmpfs /run
        /keel/mount-stage1 -r cat /proc/self/mountinfo > /t/r'
    [ "$status" = 0 ]
    run points "$T/out/R"
    [[ $output == *"/proc proc"* && $output != *"/run "* ]]
    run points "$T/out/r"
    [ "$(grep -c "^/run " <<< "$output")" = 1 ]
    [ "$(options "$T/out/r" /run)" = rw,nosuid,nodev,relatime ]
}

@test "mount-stage1: a mandatory mount that fails exits 111, others warn (-q: silently)" {
    # A file where /proc should be.
    run --separate-stderr in_root 'rmdir /proc; : > /proc; /keel/mount-stage1 echo ran'
    [ "$status" = 111 ]
    [ "$stderr" = "mount-stage1: fatal: unable to mount /proc: Not a directory" ]
    [ "$output" = "" ]
    run --separate-stderr in_root ': > /run; /keel/mount-stage1 echo ran'
    [ "$status" = 111 ]
    [ "$stderr" = "mount-stage1: fatal: unable to mount /run: Not a directory" ]
    run --separate-stderr in_root ': > /dev; /keel/mount-stage1 echo ran'
    [ "$status" = 111 ]
    [ "$stderr" = "mount-stage1: fatal: unable to mount /dev: Not a directory" ]
    # Not in a container (-C), /dev is not needed.
    run --separate-stderr in_root ': > /dev; /keel/mount-stage1 -C echo ran'
    [ "$status" = 0 ] && [ "$output" = ran ]
    # /sys is optional.
    run --separate-stderr in_root ': > /sys; /keel/mount-stage1 echo ran'
    [ "$status" = 0 ] && [ "$output" = ran ]
    [ "$stderr" = "mount-stage1: warning: unable to mount /sys: Not a directory" ]
    run --separate-stderr in_root ': > /sys; /keel/mount-stage1 -q echo ran'
    [ "$status" = 0 ] && [ "$output" = ran ] && [ "$stderr" = "" ]
    # -r with nothing on /run.
    run --separate-stderr in_root 'mkdir /run; /keel/mount-stage1 -r echo ran'
    [ "$status" = 111 ]
    [ "$stderr" = "mount-stage1: fatal: unable to remount /run: Invalid argument" ]
}

@test "mount-stage1: usage errors; a program that cannot be run" {
    # Even these only in the namespace: a parsing bug must not mount anything on the host.
    local u
    u="mount-stage1: usage: $(usage_of mount-stage1)"
    expect_fail 100 "$u" in_root /keel/mount-stage1
    expect_fail 100 "$u" in_root '/keel/mount-stage1 -x true'
    expect_fail 100 "$u" in_root '/keel/mount-stage1 -C'
    run -127 --separate-stderr in_root '/keel/mount-stage1 /nonexistent'
    [ "$status" = 127 ]
    [ "$stderr" = "mount-stage1: fatal: unable to exec /nonexistent: No such file or directory" ]
}
