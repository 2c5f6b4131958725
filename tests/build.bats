#!/usr/bin/env bats
# What the build promises: no binary needs libstdc++.so, chainloaders stay small, and install /
# uninstall put exactly the listed files where a packager asks.

load helper

sanitized() { grep -q -- -fsanitize "$KEEL_ROOT/build/flags"; }

@test "no binary needs libstdc++.so" {
    for b in "$KEEL_BIN"/*; do
        run readelf -d "$b"
        ! grep -q 'NEEDED.*libstdc++' <<<"$output" || { echo "$b needs libstdc++.so"; false; }
        # (a sanitizer runtime brings libstdc++.so in by itself: only our own NEEDED counts)
        sanitized && continue
        run ldd "$b"
        ! grep -q 'libstdc++' <<<"$output" || { echo "$b loads libstdc++.so"; false; }
    done
}

@test "no binary carries C++ exception machinery" {
    # A stray throwing call (string_view::substr, std::vector::at...) links ~100 KB of it.
    for b in "$KEEL_BIN"/*; do
        ! nm "$b" 2>/dev/null | grep -q ' __cxa_throw$' || { echo "$(basename "$b") links __cxa_throw"; false; }
    done
}

@test "every chainloader is at most 64 KiB stripped" {
    sanitized && skip "sanitizer build"
    grep -qE -- ' -static( |$)' "$KEEL_ROOT/build/flags" && skip "static build (libc inside)"
    for b in "$KEEL_BIN"/*; do
        cp "$b" "$T/x"
        strip "$T/x"
        size=$(wc -c < "$T/x")
        [ "$size" -le 65536 ] || { echo "$(basename "$b"): $size bytes stripped"; false; }
    done
}

# Install from a copy of the built tree (so this tree's binaries are never rebuilt under the
# running suite), with the make variables this tree was built with.
copy_tree() {
    tar -C "$KEEL_ROOT" --exclude=.git -cf - . | tar -C "$T" -xf -
    unset MAKEFLAGS MAKELEVEL MFLAGS
}

@test "make install with DESTDIR, PREFIX and PROGRAM_PREFIX; make uninstall removes it all" {
    need_cmd make
    copy_tree
    mkdir "$T/root"
    # shellcheck disable=SC2086
    run make -C "$T" -s install DESTDIR="$T/root" PREFIX=/usr PROGRAM_PREFIX=keel- ${KEEL_MAKE_VARS:-}
    [ "$status" -eq 0 ]
    while read -r name section mode; do
        case $name in ''|\#*) continue;; esac
        [ -x "$T/root/usr/bin/keel-$name" ] || { echo "missing usr/bin/keel-$name"; false; }
        [ "$(stat -c %a "$T/root/usr/bin/keel-$name")" = "${mode#0}" ]
        [ -f "$T/root/usr/share/man/man$section/keel-$name.$section" ] || { echo "missing man page keel-$name"; false; }
    done < "$KEEL_ROOT/package/modes"
    [ -f "$T/root/usr/share/man/man7/keel.7" ]
    # init-maker's skeleton, where the build told init-maker it would be.
    local f
    for f in "$KEEL_ROOT"/skel/*; do
        [ "$(stat -c %a "$T/root/usr/share/keel/skel/${f##*/}")" = 755 ]
    done
    grep -q '"/usr/share/keel/skel"' "$T/build/keel/config.h"
    run "$T/root/usr/bin/keel-envdir"
    [ "$status" -eq 100 ]
    run make -C "$T" -s uninstall DESTDIR="$T/root" PREFIX=/usr PROGRAM_PREFIX=keel-
    [ "$status" -eq 0 ]
    run find "$T/root" -type f
    [ -z "$output" ]
}

@test "BINDIR, MANDIR and SKELDIR override PREFIX" {
    need_cmd make
    copy_tree
    # shellcheck disable=SC2086
    run make -C "$T" -s install DESTDIR="$T/root" PREFIX=/opt/k BINDIR=/sbin MANDIR=/man \
        SKELDIR=/etc/keel/skel ${KEEL_MAKE_VARS:-}
    [ "$status" -eq 0 ]
    [ -x "$T/root/sbin/envdir" ]
    [ -f "$T/root/man/man8/envdir.8" ]
    [ -d "$T/root/etc/keel/skel" ]
    [ ! -e "$T/root/opt/k" ]
}
