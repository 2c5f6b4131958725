#!/bin/sh
# run.sh [ARCH [BATS FILES...]]: the chainloader and supervision tests against a cross build of
# keel for ARCH (aarch64 by default), run by qemu-user on this host (make check-cross).
#
#  1. The tree is copied to build/cross/ARCH (tests/cross/copy.sh) and built there with
#     make CROSS=ARCH-linux-gnu- STATIC=1: static programs need no target libc under qemu.
#  2. build/cross/ARCH/qemu/bin/NAME is a native program (tests/cross/wrap.cc) that execs
#     qemu-ARCH on the program NAME. A program that execs another keel program (svscan runs supervise,
#     setuidgid runs what follows it) finds it there through PATH and KEEL_BINDIR: qemu-user
#     hands a foreign execve to the host kernel, which cannot run an ARCH binary unless
#     binfmt_misc knows it, and this run never depends on binfmt_misc.
#     qemu is started through a symlink named after the program, so that the process's
#     /proc/PID/comm is the program's name, as natively (its exe is qemu all the same).
#  3. The Bats files run with KEEL_TEST_BIN and KEEL_TEST_BUILD (tests/helper.bash) pointing at
#     the wrappers, and KEEL_TEST_QEMU set, so that the few tests that look at the binary
#     itself (ELF, ldd, strace, valgrind) skip with the reason.
#
# Environment: CROSS (the toolchain prefix, default ARCH-linux-gnu-), QEMU (default qemu-ARCH,
# else qemu-ARCH-static), MAKE. Prints bats' TAP and the summary line of tests/run.sh.
set -eu
arch=${1:-aarch64}
[ $# -gt 0 ] && shift
top=$(cd "$(dirname "$0")/../.." && pwd)
cross=${CROSS:-$arch-linux-gnu-}
dir=$top/build/cross/$arch

die() { echo "tests/cross/run.sh: fatal: $*" >&2; exit 111; }
command -v "${cross}g++" >/dev/null 2>&1 || die "${cross}g++ not found (apt-get install g++-$arch-linux-gnu)"
qemu=${QEMU:-$(command -v "qemu-$arch" || command -v "qemu-$arch-static" || true)}
[ -n "$qemu" ] && qemu=$(command -v "$qemu") || die "qemu-$arch not found (apt-get install qemu-user)"
if [ -e "/proc/sys/fs/binfmt_misc/qemu-$arch" ]; then
    echo "# note: binfmt_misc has qemu-$arch registered; this run does not use it"
fi

# The default subset: programs that run as ordinary processes. build.bats, the init, rc and
# fault files need what qemu-user cannot give (ELF checks of the host's build, pid 1 in a
# namespace under a foreign kernel ABI, LD_PRELOAD shims into qemu itself).
if [ $# -eq 0 ]; then
    set --
    for t in envdir setuidgid softlimit redirfd setlock setsid applyuidgid envuidgid fghack \
        supervise svc svstat svok svwait svscan svlog tai64n tai64nlocal; do
        set -- "$@" "$top/tests/$t.bats"
    done
fi

start=$(date +%s)
sh "$top/tests/cross/copy.sh" "$top" "$dir"
${MAKE:-make} -C "$dir" -s CROSS="$cross" STATIC=1 all \
    build/test/setuidgid-static build/test/envuidgid-static

# The stand-ins (tests/cross/wrap.cc, built for this host): qemu/bin for bin/, qemu/build/test
# for the test-only programs.
w=$dir/qemu
rm -rf "$w"
mkdir -p "$w/bin" "$w/build/test"
${HOSTCXX:-g++} -std=c++20 -O2 -Wall -Wextra -Werror -o "$w/wrap" "$top/tests/cross/wrap.cc"
wrap() { # wrap PROGRAM DIR
    mkdir -p "$2/.qemu" "$2/.target"
    ln -s "$qemu" "$2/.qemu/${1##*/}"
    ln -s "$1" "$2/.target/${1##*/}"
    cp "$w/wrap" "$2/${1##*/}"
}
for b in "$dir"/bin/*; do wrap "$b" "$w/bin"; done
for b in "$dir"/build/test/*-static; do wrap "$b" "$w/build/test"; done
built=$(date +%s)
echo "# cross build for $arch: $((built - start)) s; running $# files under $qemu"

cd "$top"
mkdir -p build
tap=build/cross/$arch.tap
set +e
{ KEEL_TEST_BIN=$w/bin KEEL_TEST_BUILD=$w/build KEEL_TEST_QEMU=$qemu \
    KEEL_MAKE_VARS="CXX=${cross}g++ STATIC=1 SANITIZE= CROSS=$cross" \
    bats --timing "$@"; echo $? > "$tap.status"; } | tee "$tap"
status=$(cat "$tap.status")
# As tests/run.sh: no test may have overwritten a program of the build under test.
for f in "$dir"/bin/*; do
    if [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" != '177ELF' ]; then
        echo "not ok: $f is no longer the built program (a test overwrote it)"
        status=1
    fi
done
total=$(grep -c '^\(not \)\{0,1\}ok ' "$tap")
failed=$(grep -c '^not ok ' "$tap")
skipped=$(grep -c '^ok .* # skip' "$tap")
echo "$arch under qemu-user: $total tests, $failed failures, $skipped skipped, $(( $(date +%s) - built )) s (build $((built - start)) s)"
exit "$status"
