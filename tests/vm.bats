#!/usr/bin/env bats
# keel boots a real Linux kernel: tests/vm/run.sh (also `make check-vm`) builds keel with
# STATIC=1, installs it into an initramfs with busybox-static and a boot directory made by the
# installed init-maker, and boots Debian's kernel under qemu (software emulation), checking
# the markers the guest prints on its serial console. Each scenario's console is kept in
# build/vm/NAME.console.
#
# Runs where qemu-system-x86_64 and busybox-static are installed (.ci/run installs them), and
# only in the main check: the ASan and STATIC re-runs of make check would boot the very same
# STATIC=1 build again (the harness builds its own).

load helper

# (bats 1.8 fails a setup_file that calls skip: the reason is kept for each test instead.)
setup_file() {
    local why=
    if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
        why="qemu-system-x86_64 not installed"
    elif [ ! -x /bin/busybox ]; then
        why="busybox-static not installed"
    elif build_is SANITIZE || build_is STATIC; then
        why="the same STATIC=1 build boots in the main check"
    fi
    if [ -n "$why" ]; then
        echo "$why" > "$BATS_FILE_TMPDIR/skip"
        return 0
    fi
    # A failure to prepare (build, kernel download) fails every test below: not a skip.
    "$KEEL_ROOT/tests/vm/run.sh" prepare > "$BATS_FILE_TMPDIR/prepare.out" 2>&1 ||
        echo "$?" > "$BATS_FILE_TMPDIR/prepare.failed"
}

# vm SCENARIO...: the harness on the prepared initramfs; its report on failure.
vm() {
    if [ -f "$BATS_FILE_TMPDIR/skip" ]; then
        skip "$(cat "$BATS_FILE_TMPDIR/skip")"
    fi
    if [ -f "$BATS_FILE_TMPDIR/prepare.failed" ]; then
        cat "$BATS_FILE_TMPDIR/prepare.out"
        return 1
    fi
    run env KEEL_VM_PREPARED=1 "$KEEL_ROOT/tests/vm/run.sh" "$@"
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "vm: stage 1 mounts, svscan is pid 1, services up, kill -9 -1 survived, poweroff in order, stage 4 unmounts, power down" {
    vm poweroff
}

@test "vm: reboot: services stopped in reverse order, stage 4, the kernel restarts" {
    vm reboot
}

@test "vm: rc.init fails: the machine is still usable and powers off cleanly" {
    vm rcfail
}

@test "vm harness: FAIL for a panicking process 1, a hung guest, and bad consoles" {
    vm selftest
}

@test "vm: boot timing next to a bare busybox /init (figures in the TAP output)" {
    vm timing
    local line
    while IFS= read -r line; do
        case $line in "vm: timing:"*) echo "# $line" >&3 ;; esac
    done <<< "$output"
}
