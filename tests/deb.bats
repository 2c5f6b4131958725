#!/usr/bin/env bats
# The Debian package (make deb: mk/deb.mk, package/deb/): its files, owners, modes and control
# fields; the same bytes when made again; and in a fresh Debian root it installs, its programs
# run under their keel- names and find each other and init-maker's skeleton by the paths
# compiled in, and it removes and purges without leaving anything behind.
#
# The fresh root is a debootstrap --variant=minbase bookworm, made once (about 3 minutes) and
# cached in /var/tmp/keel-deb-chroot (KEEL_DEB_CHROOT), then copied for each run. Without
# debootstrap, the dpkg --root test still runs in an empty dpkg database.

load helper

CHROOT_CACHE=${KEEL_DEB_CHROOT:-/var/tmp/keel-deb-chroot}
PFX=keel-

# One make deb for the whole file (incremental after the first: the package's own build tree
# is build/deb/src). Its log and the .deb's path go to BATS_FILE_TMPDIR.
setup_file() {
    deb_skip_reason > /dev/null && return 0
    unset MAKEFLAGS MAKELEVEL MFLAGS
    if make -C "$KEEL_ROOT" -s -j"$(nproc)" deb > "$BATS_FILE_TMPDIR/make.log" 2>&1; then
        ls "$KEEL_ROOT"/build/deb/keel_*.deb > "$BATS_FILE_TMPDIR/deb"
    fi
}

# Why this file's tests cannot run here, if they cannot.
deb_skip_reason() {
    if ! command -v dpkg-deb > /dev/null 2>&1; then
        echo "dpkg-deb not installed (make deb needs it)"
    elif build_is SANITIZE || build_is STATIC; then
        echo "the package has a build of its own: tested once, in the default make check"
    else
        return 1
    fi
}

# need_deb: skip if the package cannot be made here, fail if make deb failed; sets DEB.
need_deb() {
    local why
    why=$(deb_skip_reason) && skip "$why"
    if [ ! -s "$BATS_FILE_TMPDIR/deb" ]; then
        cat "$BATS_FILE_TMPDIR/make.log"
        echo "make deb failed"
        return 1
    fi
    DEB=$(cat "$BATS_FILE_TMPDIR/deb")
}

# The programs package/modes lists, one per line: NAME MODE.
programs() { awk '!/^#/ && NF == 3 { print $1, $3 }' "$KEEL_ROOT/package/modes"; }

@test "deb: file name, control fields, md5sums, owners, modes, dates and stripped programs" {
    need_deb
    local arch version epoch
    arch=$(dpkg --print-architecture)
    version=$(sed -n 's/^version=//p' "$KEEL_ROOT/package/info")-1
    [ "$DEB" = "$KEEL_ROOT/build/deb/keel_${version}_$arch.deb" ]
    [ "$(dpkg-deb -f "$DEB" Package)" = keel ]
    [ "$(dpkg-deb -f "$DEB" Version)" = "$version" ]
    [ "$(dpkg-deb -f "$DEB" Architecture)" = "$arch" ]
    [[ "$(dpkg-deb -f "$DEB" Depends)" =~ ^libc6\ \(\>=\ 2\.[0-9]+\)$ ]]
    [[ "$(dpkg-deb -f "$DEB" Description)" == *"/usr/bin/${PFX}NAME"* ]]

    mkdir "$T/x"
    dpkg-deb -R "$DEB" "$T/x"
    (cd "$T/x" && md5sum --quiet -c DEBIAN/md5sums)
    [ "$(cd "$T/x" && find usr -type f | sort)" = "$(cut -c35- "$T/x/DEBIAN/md5sums")" ]

    # Every entry root:root and dated SOURCE_DATE_EPOCH (the last commit's time).
    epoch=$(git -C "$KEEL_ROOT" log -1 --format=%ct 2>/dev/null || echo 1767225600)
    dpkg-deb -c "$DEB" > "$T/list"
    run awk '$2 != "root/root"' "$T/list"
    [ -z "$output" ]
    [ "$(TZ=UTC date -d "@$epoch" '+%Y-%m-%d %H:%M')" = "$(awk '{ print $4, $5 }' "$T/list" | sort -u)" ]

    local name mode f
    while read -r name mode; do
        f=$T/x/usr/bin/$PFX$name
        [ "$(stat -c %a "$f")" = "${mode#0}" ] || { echo "$f: mode $(stat -c %a "$f")"; false; }
        ! readelf -SW "$f" | grep -qE ' \.(symtab|comment|debug_info) ' || { echo "$f not stripped"; false; }
        gzip -t "$T/x/usr/share/man/man8/$PFX$name.8.gz"
    done < <(programs)
    [ "$(find "$T/x/usr/bin" -type f | wc -l)" = "$(programs | wc -l)" ]
    # No man page left uncompressed; gzip -n: no name, no date in the header.
    [ -z "$(find "$T/x/usr/share/man" -type f ! -name '*.gz')" ]
    [ "$(od -An -tu4 -j4 -N4 "$T/x/usr/share/man/man8/${PFX}svc.8.gz" | tr -d ' ')" = 0 ]
    for f in "$KEEL_ROOT"/doc/keel*.7; do [ -f "$T/x/usr/share/man/man7/${f##*/}.gz" ]; done
    for f in "$KEEL_ROOT"/skel/*; do
        cmp "$f" "$T/x/usr/share/keel/skel/${f##*/}"
        [ "$(stat -c %a "$T/x/usr/share/keel/skel/${f##*/}")" = 755 ]
    done
    run find "$T/x/usr" ! -type d ! -type f
    [ -z "$output" ]
    run find "$T/x/usr" -type d ! -perm 0755
    [ -z "$output" ]
    run find "$T/x/usr/share" -type f ! -path '*/skel/*' ! -perm 0644
    [ -z "$output" ]

    # Policy's doc files: a DEP-5 copyright with package/info's license, a Debian changelog.
    head -n 1 "$T/x/usr/share/doc/keel/copyright" | grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/'
    grep -qx "License: $(sed -n 's/^license=//p' "$KEEL_ROOT/package/info")" "$T/x/usr/share/doc/keel/copyright"
    zcat "$T/x/usr/share/doc/keel/changelog.Debian.gz" | head -n 1 | grep -q "^keel ($version) "
    [ -f "$T/x/usr/share/lintian/overrides/keel" ]
}

@test "deb: made again, the package has the same bytes" {
    need_deb
    local before
    before=$(sha256sum < "$DEB")
    # The installed tree is made anew (stripped, compressed, dated again) from the same build.
    rm -rf "$KEEL_ROOT/build/deb/root"
    unset MAKEFLAGS MAKELEVEL MFLAGS
    make -C "$KEEL_ROOT" -s deb > "$T/make.log" 2>&1 || { cat "$T/make.log"; false; }
    [ "$(sha256sum < "$DEB")" = "$before" ]
}

@test "deb: dpkg --root installs it into an empty dpkg database, then removes and purges it" {
    need_root
    need_deb
    local R=$T/root
    mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates"
    : > "$R/var/lib/dpkg/status"
    : > "$R/var/lib/dpkg/available"
    # The database knows no libc6: only that dependency may be forced.
    run --separate-stderr dpkg --root="$R" --log=/dev/null --force-depends -i "$DEB"
    [ "$status" -eq 0 ]
    run ! grep -v -e 'dependency problems, but configuring anyway' -e ' keel depends on libc6 ' \
        -e ' Package libc6 is not installed' <<<"$stderr"
    # shellcheck disable=SC2016
    [ "$(dpkg-query --root="$R" -W -f '${Status}' keel)" = "install ok installed" ]
    local name mode
    while read -r name mode; do
        [ -x "$R/usr/bin/$PFX$name" ] || { echo "missing /usr/bin/$PFX$name"; false; }
    done < <(programs)
    expect_fail 100 "svc: usage: $(usage_of svc)" "$R/usr/bin/${PFX}svc" -Z

    run dpkg --root="$R" --log=/dev/null -r keel
    [ "$status" -eq 0 ]
    [ -z "$(find "$R" ! -path "$R/var/lib/dpkg*" ! -path "$R" ! -path "$R/var" ! -path "$R/var/lib")" ]
    run dpkg --root="$R" --log=/dev/null -P keel
    [ "$status" -eq 0 ]
    run ! dpkg-query --root="$R" -W keel
    [ -z "$(find "$R/var/lib/dpkg/info" -name 'keel.*')" ]
}

# A fresh bookworm root: debootstrap'd once into the cache (under a lock, made aside and renamed
# into place, so an interrupted run leaves no half root), copied into $T for each run.
fresh_root() {
    if [ ! -d "$CHROOT_CACHE/var/lib/dpkg" ]; then
        command -v debootstrap > /dev/null 2>&1 ||
            skip "debootstrap not installed (apt-get install debootstrap) and no root cached in $CHROOT_CACHE"
        (
            flock 9
            [ -d "$CHROOT_CACHE/var/lib/dpkg" ] && exit 0
            rm -rf "$CHROOT_CACHE.new"
            debootstrap --variant=minbase bookworm "$CHROOT_CACHE.new" http://deb.debian.org/debian \
                > "$T/debootstrap.log" 2>&1 && mv "$CHROOT_CACHE.new" "$CHROOT_CACHE"
        ) 9> "$CHROOT_CACHE.lock" || {
            tail -n 5 "$T/debootstrap.log"
            rm -rf "$CHROOT_CACHE.new"
            skip "debootstrap of bookworm failed (no Debian mirror reachable?)"
        }
    fi
    cp -a "$CHROOT_CACHE" "$1"
}

# in_root CMD...: CMD chrooted in $R, with the environment of a login there, not this test's
# (whose KEEL_BINDIR would point the tools at this tree's bin/).
in_root() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C chroot "$R" "$@"; }

# up_in DIR: the service DIR of $R is up, as the packaged svstat reads it.
up_in() { [ "$(in_root ${PFX}svstat -o up "$1")" = true ]; }

# The root's files, less what dpkg itself keeps changing (its database, log and backups).
root_files() {
    (cd "$1" && find . -xdev ! -path './var/lib/dpkg/*' ! -path './var/log/*' ! -path './var/backups/*' \
        ! -path './tmp/*' -printf '%y %m %p\n' | sort)
}

@test "deb: in a debootstrapped bookworm, dpkg -i, the programs run, dpkg -r and -P leave nothing" {
    need_root
    need_deb
    local R=$T/root
    fresh_root "$R"
    root_files "$R" > "$T/before"
    cp "$DEB" "$R/tmp/keel.deb"

    run --separate-stderr in_root dpkg -i /tmp/keel.deb
    [ "$status" -eq 0 ] || { echo "$output $stderr"; false; }
    [ -z "$stderr" ]
    # shellcheck disable=SC2016
    [ "$(in_root dpkg-query -W -f '${Status}' keel)" = "install ok installed" ]
    in_root dpkg --verify keel
    in_root dpkg --audit

    # The programs run under their prefixed names, in the target's own libc.
    expect_fail 100 "svc: usage: $(usage_of svc)" in_root ${PFX}svc -Z
    expect_fail 100 "supervise: usage: $(usage_of supervise)" in_root ${PFX}supervise
    mkdir "$R/tmp/env"
    echo keel > "$R/tmp/env/PACKAGED"
    run in_root ${PFX}envdir /tmp/env env
    [ "$status" -eq 0 ]
    grep -qx PACKAGED=keel <<<"$output"

    # The compiled-in paths: init-maker copies /usr/share/keel/skel, naming /usr/bin/keel-*.
    in_root ${PFX}init-maker -C /tmp/boot
    sed "s|@KEEL_PROGRAMS@|/usr/bin/$PFX|" "$R/usr/share/keel/skel/rc.init" | cmp - "$R/tmp/boot/scripts/rc.init"
    grep -q "^exec /usr/bin/${PFX}stage1 " "$R/tmp/boot/bin/init"
    # svscan runs supervise by its installed name; the service comes up under it.
    mkdir -p "$R/tmp/sv/a"
    printf '#!/bin/sh\nexec sleep 1000\n' > "$R/tmp/sv/a/run"
    chmod 755 "$R/tmp/sv/a/run"
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot "$R" ${PFX}svscan /tmp/sv < /dev/null > "$T/scan.log" 2>&1 3>&- &
    local scan=$!
    track_pid "$scan"
    wait_for 10 in_root ${PFX}svok /tmp/sv/a || { cat "$T/scan.log"; false; }
    wait_for 10 up_in /tmp/sv/a
    in_root ${PFX}svscanctl -t /tmp/sv
    wait_for 10 gone "$scan"
    wait_for 10 nothing_under "$R"
    rm -rf "$R/tmp/boot" "$R/tmp/sv" "$R/tmp/env"

    # Remove, then purge: not one file of the package, nor a directory it made, is left, and
    # dpkg forgets it.
    in_root dpkg-query -L keel > "$T/files"
    run --separate-stderr in_root dpkg -r keel
    [ "$status" -eq 0 ] || { echo "$output $stderr"; false; }
    [ -z "$stderr" ]
    run in_root dpkg -P keel
    [ "$status" -eq 0 ]
    run ! in_root dpkg-query -W keel
    [ -z "$(find "$R/var/lib/dpkg/info" -name 'keel.*')" ]
    local f
    while read -r f; do
        [ -d "$R$f" ] || [ ! -e "$R$f" ] || { echo "left behind: $f"; false; }
    done < "$T/files"
    rm -f "$R/tmp/keel.deb"
    root_files "$R" > "$T/after"
    diff "$T/before" "$T/after"
}
