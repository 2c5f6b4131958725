#!/usr/bin/env bash
# keel's VM test: boots a real Linux kernel under qemu (software emulation, no KVM needed)
# with keel as its init, and checks what the guest says on its serial console.
#
#   tests/vm/run.sh [ prepare | SCENARIO... ]       (make check-vm runs them all)
#
# What boots is what `make install` ships, built with STATIC=1 in build/vm/src (a copy of the
# sources, so this tree's own build is left alone), installed into an initramfs (cpio newc,
# gzip) with busybox-static, and a boot directory made by the installed init-maker -M: /init
# is its bin/init (mount-stage1, then stage1, then svscan as process 1). The test's own parts
# are the services (guest/service), the admin's edits of the skeleton scripts (guest/rc.*)
# and a driver (guest/driver, an early service) that checks each step and prints markers.
# The kernel comes from Debian's linux-image-amd64 (apt-get download, nothing installed),
# cached in $KEEL_VM_CACHE (default /var/tmp/keel-vm).
#
# Scenarios (default: all of them):
#   poweroff  stage 1 mounts, svscan is process 1, three services up, svtree, kill -9 -1 and
#             every service back with a new pid, poweroff: rc.shutdown stops the services in
#             reverse order, stage 4 unmounts (nothing left read-write), the kernel powers off
#   reboot    up, then reboot: the kernel restarts (qemu -no-reboot exits)
#   rcfail    rc.init fails at once: the machine still comes up usable and powers off cleanly
#   selftest  the harness itself must say FAIL for a process 1 that exits (kernel panic), for
#             a guest that hangs (timeout), and for canned bad consoles
#   timing    boot-to-stage-2-ready and boot-to-power-off, next to a bare busybox /init that
#             powers off at once (the kernel's floor), from the same kernel and initramfs
#   timing-icount  the same, with the guest's clock counting instructions (not by default)
# Exit status 0 if every scenario passed, 1 otherwise, 2 if the VM cannot be prepared.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$root/build/vm
cache=${KEEL_VM_CACHE:-/var/tmp/keel-vm}
timeout_s=${KEEL_VM_TIMEOUT:-120}
hang_timeout_s=${KEEL_VM_HANG_TIMEOUT:-10}
jobs=$(nproc 2>/dev/null || echo 2)

say() { printf 'vm: %s\n' "$*"; }
die() { say "cannot run: $*" >&2; exit 2; }

# --- preparation ----------------------------------------------------------------------------

need_tools() {
    local t
    for t in qemu-system-x86_64 cpio gzip xz dpkg-deb apt-get timeout flock make; do
        command -v "$t" >/dev/null 2>&1 || die "$t is not installed"
    done
    [ -x /bin/busybox ] || die "/bin/busybox is not installed (Debian: busybox-static)"
    case $(LC_ALL=C ldd /bin/busybox 2>&1 || true) in
        *'not a dynamic executable'*) ;;
        *) die "/bin/busybox is not static (Debian: install busybox-static)" ;;
    esac
}

# keel, built with STATIC=1 from a copy of the sources (mtimes kept: the build there is
# incremental), then installed into $work/dest as a package would be.
build_keel() {
    local src=$work/src
    mkdir -p "$src"
    rm -rf "$src/Makefile" "$src/lib" "$src/tools" "$src/doc" "$src/skel" "$src/package"
    tar -C "$root" -cf - Makefile lib tools doc skel package | tar -C "$src" -xf -
    # Nothing of an outer make's command line (make check SANITIZE=...) reaches this build.
    unset MAKEFLAGS MFLAGS MAKELEVEL
    if ! make -C "$src" -j"$jobs" STATIC=1 PREFIX=/usr all >"$work/build.log" 2>&1; then
        tail -n 30 "$work/build.log" >&2
        die "the STATIC=1 build failed (build/vm/build.log)"
    fi
    # Stripped, as a distribution package ships them.
    rm -rf "$work/dest"
    make -C "$src" STATIC=1 PREFIX=/usr DESTDIR="$work/dest" strip install >>"$work/build.log" 2>&1 ||
        die "make strip install failed (build/vm/build.log)"
}

# The kernel behind linux-image-amd64: the .deb, its bzImage, the uncompressed vmlinux (under
# emulation, booting it directly saves the ~4 s the bzImage spends decompressing itself) and
# the pvpanic modules. Sets $kernel and $kdir.
fetch_kernel() {
    local pkg ver tmp deb off old
    mkdir -p "$cache"
    exec 9>"$cache/.lock"
    flock 9
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }') || true
    if [ -z "$pkg" ]; then
        # No package lists (offline, say): the newest kernel already cached.
        kdir=$(ls -d "$cache"/linux-image-*/ 2>/dev/null | sort -V | tail -n 1)
        [ -n "$kdir" ] || die "no kernel package found behind linux-image-amd64 (apt-get update?)"
        kdir=${kdir%/}
    else
        kdir=$cache/$pkg
    fi
    if [ ! -s "$kdir/vmlinuz" ]; then
        ver=${pkg#linux-image-}
        tmp=$(mktemp -d "$cache/fetch.XXXXXX")
        deb=$(ls "$cache/${pkg}"_*.deb 2>/dev/null | tail -n 1) || true
        if [ -z "$deb" ]; then
            (cd "$tmp" && apt-get download -o APT::Sandbox::User=root "$pkg" >"$tmp/apt.log" 2>&1) ||
                { cat "$tmp/apt.log" >&2; rm -rf "$tmp"; die "apt-get download $pkg failed"; }
            deb=$(ls "$tmp"/*.deb)
            mv "$deb" "$cache/"
            deb=$cache/${deb##*/}
        fi
        mkdir "$tmp/k"
        dpkg-deb --fsys-tarfile "$deb" | tar -C "$tmp" -x "./boot/vmlinuz-$ver" \
            "./lib/modules/$ver/kernel/drivers/misc/pvpanic/pvpanic.ko" \
            "./lib/modules/$ver/kernel/drivers/misc/pvpanic/pvpanic-mmio.ko" ||
            { rm -rf "$tmp"; die "unable to extract the kernel from $deb"; }
        mv "$tmp/boot/vmlinuz-$ver" "$tmp/k/vmlinuz"
        mv "$tmp/lib/modules/$ver/kernel/drivers/misc/pvpanic/"*.ko "$tmp/k/"
        off=$(LC_ALL=C grep -obUaP '\xFD7zXZ\x00' "$tmp/k/vmlinuz" | head -n 1 | cut -d: -f1) || true
        if [ -n "$off" ] &&
            { tail -c "+$((off + 1))" "$tmp/k/vmlinuz" 2>/dev/null || :; } |
            xz -dc --single-stream >"$tmp/k/vmlinux" 2>/dev/null &&
            [ "$(head -c 4 "$tmp/k/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ]; then
            :
        else
            rm -f "$tmp/k/vmlinux"
        fi
        rm -rf "$kdir"
        mv "$tmp/k" "$kdir"
        rm -rf "$tmp"
        # Only the newest kernel stays cached (each .deb is some 70 MB).
        for old in "$cache"/linux-image-*; do
            case ${old##*/} in "$pkg" | "$pkg"_*.deb) ;; *) rm -rf "$old" ;; esac
        done
    fi
    exec 9>&-
    kernel=$kdir/vmlinuz
    [ -s "$kdir/vmlinux" ] && kernel=$kdir/vmlinux
    return 0
}

# The initramfs: keel as installed, busybox for a shell and the test's helpers, the boot
# directory, the test's services, modules and driver.
build_initrd() {
    local r=$work/root skel=$work/skel boot=$work/boot p c
    rm -rf "$r" "$skel" "$boot"
    mkdir -p "$r"
    cp -a "$work/dest/." "$r/"
    mkdir -p "$r/bin" "$r/sbin" "$r/usr/bin" "$r/usr/sbin" "$r/etc/keel" "$r/proc" "$r/sys" \
        "$r/dev" "$r/run" "$r/tmp" "$r/mnt" "$r/srv" "$r/root" "$r/var/log" "$r/lib/keelvm" \
        "$r/vmtest"
    chmod 1777 "$r/tmp"
    cp /bin/busybox "$r/bin/busybox"
    # busybox's applets where keel has no program of that name (keel's come first).
    for p in $("$r/bin/busybox" --list-full); do
        [ -e "$r/$p" ] || [ -L "$r/$p" ] || ln -s /bin/busybox "$r/$p"
    done
    printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/:/bin/false' \
        >"$r/etc/passwd"
    printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$r/etc/group"

    # The boot directory, from the installed skeleton with the test's edits (as an admin
    # edits his copy): rc.init fails at once under keelvm=rcfail, rc.shutdown says it runs,
    # rc.shutdown.final reports what stage 4 did.
    cp -R "$r/usr/share/keel/skel" "$skel"
    sed -i "1r $here/guest/rc.init.hook" "$skel/rc.init"
    sed -i "1r $here/guest/rc.shutdown.hook" "$skel/rc.shutdown"
    cp "$here/guest/rc.shutdown.final" "$skel/rc.shutdown.final"
    env -u KEEL_BINDIR "$r/usr/bin/init-maker" -M -f "$skel" -c /etc/keel/current \
        -p /sbin:/usr/bin:/bin:/usr/sbin -q 1000 "$boot" >"$work/init-maker.log" 2>&1 ||
        { cat "$work/init-maker.log" >&2; die "init-maker failed"; }
    mkdir "$boot/run-image/service/keelvm-driver"
    printf '#!/bin/sh\nexec /vmtest/driver\n' >"$boot/run-image/service/keelvm-driver/run"
    chmod 755 "$boot/run-image/service/keelvm-driver/run"
    cp -a "$boot" "$r/etc/keel/current"
    cp -R "$here/guest/service" "$r/etc/keel/service"
    # The service manager's database, compiled by the installed rc-compile: the skeleton's
    # rc.init finds it at the default place and brings its bundle "default" up through rc.
    mkdir -p "$r/etc/keel/rc/compiled"
    env -u KEEL_BINDIR "$r/usr/bin/rc-compile" "$r/etc/keel/rc/compiled/db1" "$here/guest/rc" \
        >"$work/rc-compile.log" 2>&1 || { cat "$work/rc-compile.log" >&2; die "rc-compile failed"; }
    ln -s db1 "$r/etc/keel/rc/compiled/current"
    # As keel-boot(7) says: the kernel runs /init (an initramfs), the admin runs /sbin/...
    ln -sfn /etc/keel/current/bin/init "$r/init"
    for c in init halt poweroff reboot shutdown telinit; do
        ln -sfn "/etc/keel/current/bin/$c" "$r/sbin/$c"
    done
    cp "$kdir/pvpanic.ko" "$kdir/pvpanic-mmio.ko" "$r/lib/keelvm/"
    cp "$here/guest/driver" "$here/guest/bare" "$here/guest/panic" "$here/guest/hang" "$r/vmtest/"
    (cd "$r" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) |
        gzip -1 >"$work/initrd.gz"
}

prepare() {
    need_tools
    mkdir -p "$work"
    build_keel
    fetch_kernel
    build_initrd
    echo "$kernel" >"$work/kernel"
    say "prepared: kernel $kernel, initramfs $(wc -c <"$work/initrd.gz") bytes"
}

# --- booting --------------------------------------------------------------------------------

# stamp: each console line, \r dropped, behind the host's clock when it arrived.
stamp() {
    local line
    while IFS= read -r line || [ -n "$line" ]; do
        printf '%s %s\n' "$EPOCHREALTIME" "${line%$'\r'}"
    done
}

# boot NAME TIMEOUT KERNEL-ARGS: one run of qemu; the console goes to $work/NAME.console,
# qemu's exit status to NAME.status, its start and end (host clock) to NAME.time. With
# $icount set, the guest's clock counts instructions (2^4 ns each), not time: the same boot
# then gives the same figures whatever else the host does.
boot() {
    local name=$1 limit=$2 args=$3 start st
    start=$EPOCHREALTIME
    set +e
    timeout -k 5 "$limit" qemu-system-x86_64 -M pc -accel tcg ${icount:+-icount shift=4,sleep=off} \
        -m 256 -smp 1 -nodefaults \
        -no-user-config -display none -serial stdio -no-reboot -device pvpanic \
        -action panic=exit-failure -kernel "$(cat "$work/kernel")" -initrd "$work/initrd.gz" \
        -append "console=ttyS0 panic=-1 quiet $args" </dev/null 2>"$work/$name.qemu" |
        stamp >"$work/$name.console"
    st=${PIPESTATUS[0]}
    set -e
    echo "$st" >"$work/$name.status"
    echo "$start $EPOCHREALTIME $limit" >"$work/$name.time"
}

# verdict NAME END-LINE MARKER...: PASS if qemu exited by itself with status 0, the kernel
# did not panic, no "KEELVM: FAIL" nor keel fatal/warning line came, the markers (fixed
# strings) came in this order, the last marker is the last of the guest's KEELVM lines, and
# the kernel's END-LINE ("reboot: Power down", say) follows it. Prints one PASS or FAIL line
# (with the reasons, and the console's end on FAIL); the reasons go to $work/NAME.reasons.
verdict() {
    local name=$1 end=$2 log=$work/$1.console st limit missing last
    shift 2
    local -a why=()
    st=$(cat "$work/$name.status")
    read -r _ _ limit <"$work/$name.time"
    case $st in
        0) ;;
        124 | 137) why+=("timed out after ${limit} s: the guest hung") ;;
        *) why+=("qemu exited $st") ;;
    esac
    if grep -q 'Kernel panic' "$log"; then
        why+=("kernel panic: $(grep -m 1 'Kernel panic' "$log" | cut -d' ' -f2-)")
    fi
    while IFS= read -r line; do why+=("$line"); done < <(
        cut -d' ' -f2- "$log" | grep -E '^KEELVM: FAIL|^[a-z0-9-]+: (fatal|warning): ' || true)
    missing=$(cut -d' ' -f2- "$log" | awk -v n=$# '
        BEGIN { for (i = 1; i < ARGC; i++) m[i] = ARGV[i]; ARGC = 1; k = 1 }
        k <= n && index($0, m[k]) { k++ }
        END { if (k <= n) print m[k] }' "$@")
    [ -z "$missing" ] || why+=("missing, or out of order: '$missing'")
    if [ $# -gt 0 ] && [ -z "$missing" ]; then
        case ${!#} in
            "KEELVM: "*)
                last=$(cut -d' ' -f2- "$log" | grep '^KEELVM: ' | tail -n 1)
                case $last in "${!#}"*) ;; *) why+=("the last marker is '$last', not '${!#}'") ;; esac ;;
        esac
        cut -d' ' -f2- "$log" | sed -n "/^${!#}/,\$p" | grep -qF "reboot: $end" ||
            why+=("no 'reboot: $end' after '${!#}'")
    elif ! grep -qF "reboot: $end" "$log"; then
        why+=("no 'reboot: $end' line")
    fi
    printf '%s\n' "${why[@]}" >"$work/$name.reasons"
    if [ ${#why[@]} -eq 0 ]; then
        say "PASS $name ($(elapsed "$name") s)"
        return 0
    fi
    say "FAIL $name: $(IFS=';'; echo "${why[*]}")"
    cut -d' ' -f2- "$log" | tail -n 25 | sed 's/^/    | /'
    return 1
}

# elapsed NAME [MARKER]: seconds from qemu's start to its end, or to MARKER's console line.
elapsed() {
    local start end
    read -r start end _ <"$work/$1.time"
    if [ $# -gt 1 ]; then
        end=$(grep -F -m 1 "$2" "$work/$1.console" | cut -d' ' -f1)
        [ -n "$end" ] || { echo "?"; return; }
    fi
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}

# uptime_at NAME MARKER: the guest's uptime that MARKER's line carries ("... uptime 1.23").
uptime_at() {
    grep -F -m 1 "$2" "$work/$1.console" | sed -n 's/.*uptime \([0-9.]*\).*/\1/p'
}

stage3_markers=("KEELVM: RC.SHUTDOWN" "KEELVM: FINISH e-app" "KEELVM: RCDOWN d-setup"
    "KEELVM: FINISH c-ready" "KEELVM: FINISH b-logged"
    "KEELVM: FINISH a-plain" "KEELVM: STAGE4" "KEELVM: PROCS-OK" "KEELVM: UMOUNT-OK"
    "KEELVM: FINAL-END")

# finish_order NAME WANT: the services' finish lines after the shutdown request are exactly WANT.
finish_order() {
    local got
    got=$(cut -d' ' -f2- "$work/$1.console" | sed -n '/-REQUESTED/,$s/^KEELVM: FINISH //p' | tr '\n' ' ')
    [ "$got" = "$2 " ] && return 0
    say "FAIL $1: services stopped in the order '$got', not '$2'"
    return 1
}

scenario_poweroff() {
    boot poweroff "$timeout_s" keelvm=poweroff
    verdict poweroff "Power down" "KEELVM: MOUNTS-OK" "KEELVM: PID1-SVSCAN" \
        "KEELVM: STAGE2-READY" "KEELVM: SVTREE-OK" "KEELVM: RC-OK" "KEELVM: KILL-9-ALL" "KEELVM: RESPAWN-OK" \
        "KEELVM: LOG-OK" "KEELVM: EXTRA-MOUNTS" "KEELVM: POWEROFF-REQUESTED" \
        "${stage3_markers[@]}" &&
        finish_order poweroff "e-app c-ready b-logged a-plain"
}

scenario_reboot() {
    boot reboot "$timeout_s" keelvm=reboot
    verdict reboot "Restarting system" "KEELVM: MOUNTS-OK" "KEELVM: PID1-SVSCAN" \
        "KEELVM: STAGE2-READY" "KEELVM: SVTREE-OK" "KEELVM: RC-OK" "KEELVM: REBOOT-REQUESTED" \
        "${stage3_markers[@]}" &&
        finish_order reboot "e-app c-ready b-logged a-plain"
}

scenario_rcfail() {
    boot rcfail "$timeout_s" keelvm=rcfail
    verdict rcfail "Power down" "KEELVM: MOUNTS-OK" "KEELVM: PID1-SVSCAN" \
        "KEELVM: RCFAIL-SEEN" "KEELVM: USABLE" "KEELVM: POWEROFF-REQUESTED" \
        "KEELVM: RC.SHUTDOWN" "KEELVM: FINISH a-plain" "KEELVM: STAGE4" "KEELVM: PROCS-OK" \
        "KEELVM: UMOUNT-OK" "KEELVM: FINAL-END" &&
        finish_order rcfail "a-plain"
}

# fake_console NAME LINE...: a console as boot leaves it (qemu exited 0), without qemu.
fake_console() {
    local name=$1 line
    shift
    for line in "$@"; do printf '1.0 %s\n' "$line"; done >"$work/$name.console"
    echo 0 >"$work/$name.status"
    echo "0.0 1.0 $timeout_s" >"$work/$name.time"
}

# The verdict on canned consoles: only the good one passes.
selftest_verdict() {
    local ok=0 name
    local -a m=("KEELVM: ONE" "KEELVM: TWO" "KEELVM: END")
    fake_console fake-good "KEELVM: ONE" "noise" "KEELVM: TWO" "KEELVM: END" "[ 1.0] reboot: Power down"
    fake_console fake-order "KEELVM: TWO" "KEELVM: ONE" "KEELVM: END" "[ 1.0] reboot: Power down"
    fake_console fake-missing "KEELVM: ONE" "KEELVM: END" "[ 1.0] reboot: Power down"
    fake_console fake-fail "KEELVM: ONE" "KEELVM: FAIL something" "KEELVM: TWO" "KEELVM: END" "[ 1.0] reboot: Power down"
    fake_console fake-warning "KEELVM: ONE" "umount-all: warning: unable to umount /x: Device or resource busy" "KEELVM: TWO" "KEELVM: END" "[ 1.0] reboot: Power down"
    fake_console fake-noend "KEELVM: ONE" "KEELVM: TWO" "KEELVM: END"
    fake_console fake-early "KEELVM: ONE" "KEELVM: TWO" "[ 1.0] reboot: Power down" "KEELVM: END"
    fake_console fake-after "KEELVM: ONE" "KEELVM: TWO" "KEELVM: END" "KEELVM: MORE" "[ 1.0] reboot: Power down"
    fake_console fake-restart "KEELVM: ONE" "KEELVM: TWO" "KEELVM: END" "[ 1.0] reboot: Restarting system"
    if ! verdict fake-good "Power down" "${m[@]}" >/dev/null; then
        say "FAIL selftest: the harness failed a good console: $(paste -sd';' "$work/fake-good.reasons")"
        ok=1
    fi
    for name in fake-order fake-missing fake-fail fake-warning fake-noend fake-early fake-after fake-restart; do
        if verdict "$name" "Power down" "${m[@]}" >/dev/null; then
            say "FAIL selftest: the harness passed a bad console ($name)"
            ok=1
        fi
    done
    [ $ok = 1 ] || say "PASS selftest-verdict: a good console passes; markers out of order or missing, a FAIL marker, a keel warning, no power-down line (or before the last marker, or the wrong one), a marker after the last one: each fails"
    return $ok
}

# must_fail NAME MARKER REASON WHAT: the verdict on boot NAME must be FAIL, with a reason
# that starts with REASON (WHAT says what booted).
must_fail() {
    local why
    if verdict "$1" "Power down" "$2" >/dev/null; then
        say "FAIL selftest: the harness passed $4"
        return 1
    fi
    why=$(paste -sd';' "$work/$1.reasons")
    if ! grep -q "^$3" "$work/$1.reasons"; then
        say "FAIL selftest: $4 failed for another reason: $why"
        return 1
    fi
    say "PASS $1: the harness says FAIL: $why"
}

# The harness must fail these, for the right reason.
selftest() {
    local ok=0
    selftest_verdict || ok=1
    boot selftest-panic "$timeout_s" "keelvm=selftest rdinit=/vmtest/panic" &
    boot selftest-hang "$hang_timeout_s" "keelvm=selftest rdinit=/vmtest/hang" &
    wait
    must_fail selftest-panic "KEELVM: PANIC-NEXT" "kernel panic" "a process 1 that exits" || ok=1
    must_fail selftest-hang "KEELVM: HANG-NEXT" "timed out" "a hung guest" || ok=1
    return $ok
}

# Boot timing, each VM alone on the machine: the bare busybox /init (mount /proc, print,
# power off) and keel's boot that powers off as soon as stage 2 is ready. The kernel's own
# part varies from boot to boot by a tenth of a second under emulation, so each boot also
# reports when the kernel ran its init (from the kernel's log): the init's own cost is the
# time from then to its ready marker, measured within one boot.
timing() {
    local ok=0 bare keel bare_exec keel_exec
    [ -z "${icount:-}" ] || say "timing: with -icount: guest seconds are 2^4 ns per instruction, not time"
    boot timing-bare "$timeout_s" "keelvm=bare rdinit=/vmtest/bare"
    verdict timing-bare "Power down" "BARE-READY" "BARE-INIT-EXEC" || ok=1
    boot timing-keel "$timeout_s" keelvm=quick
    verdict timing-keel "Power down" "KEELVM: STAGE2-READY" "KEELVM: INIT-EXEC" \
        "KEELVM: POWEROFF-REQUESTED" "${stage3_markers[@]}" || ok=1
    bare=$(uptime_at timing-bare BARE-READY)
    keel=$(uptime_at timing-keel "KEELVM: STAGE2-READY")
    bare_exec=$(uptime_at timing-bare BARE-INIT-EXEC)
    keel_exec=$(uptime_at timing-keel "KEELVM: INIT-EXEC")
    say "timing: bare busybox /init: run by the kernel at uptime ${bare_exec:-?} s, ready at ${bare:-?} s ($(elapsed timing-bare BARE-READY) s after qemu started); powered off $(elapsed timing-bare) s after qemu started"
    say "timing: keel: /init run by the kernel at uptime ${keel_exec:-?} s, stage 2 ready at ${keel:-?} s ($(elapsed timing-keel "KEELVM: STAGE2-READY") s after qemu started); powered off $(elapsed timing-keel) s after qemu started (1 s of it the shutdown grace, -q 1000)"
    say "timing-data bare_exec=${bare_exec:-?} bare_ready=${bare:-?} keel_exec=${keel_exec:-?} keel_ready=${keel:-?} bare_ready_host=$(elapsed timing-bare BARE-READY) keel_ready_host=$(elapsed timing-keel "KEELVM: STAGE2-READY") bare_off_host=$(elapsed timing-bare) keel_off_host=$(elapsed timing-keel)"
    if [ -n "$bare" ] && [ -n "$keel" ] && [ -n "$bare_exec" ] && [ -n "$keel_exec" ]; then
        awk -v b="$bare" -v k="$keel" -v be="$bare_exec" -v ke="$keel_exec" 'BEGIN {
            printf "vm: timing: the init'"'"'s own cost: bare %.0f ms, keel %.0f ms; keel ready / bare ready: %.3f this boot, %.3f on a common kernel floor\n",
                (b - be) * 1000, (k - ke) * 1000, k / b, (be + k - ke) / b }'
    fi
    return $ok
}

main() {
    local -a todo=("$@") failed=()
    # One run at a time in this tree: they share build/vm.
    mkdir -p "$work"
    exec 8>"$work/.lock"
    flock 8
    [ ${#todo[@]} -gt 0 ] || todo=(timing poweroff reboot rcfail selftest)
    if [ "${todo[0]}" = prepare ]; then
        prepare
        return 0
    fi
    [ -s "$work/initrd.gz" ] && [ -s "$work/kernel" ] && [ "${KEEL_VM_PREPARED:-}" = 1 ] || prepare
    local t
    for t in "${todo[@]}"; do
        case $t in
            poweroff | reboot | rcfail) "scenario_$t" || failed+=("$t") ;;
            selftest | timing) "$t" || failed+=("$t") ;;
            timing-icount) icount=1 timing || failed+=("$t") ;;
            *) die "unknown scenario: $t" ;;
        esac
    done
    if [ ${#failed[@]} -gt 0 ]; then
        say "FAILED: ${failed[*]} (consoles in build/vm/*.console)"
        return 1
    fi
    say "all passed: ${todo[*]}"
}

main "$@"
