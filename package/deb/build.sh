#!/bin/sh
# package/deb/build.sh ROOT OUTDIR: turn ROOT, a `make install DESTDIR=ROOT PREFIX=/usr` tree
# (mk/deb.mk made it), into OUTDIR/keel_VERSION_ARCH.deb with dpkg-deb alone: stripped
# programs, compressed man pages, the doc files Debian policy asks for, DEBIAN/control and
# md5sums, root:root owners, explicit modes and SOURCE_DATE_EPOCH dates (a reproducible file).
# Environment: DEB_PROGRAM_PREFIX, DEB_REVISION, DEB_MAINTAINER, SOURCE_DATE_EPOCH.
set -eu
export LC_ALL=C TZ=UTC

root=$1 out=$2
here=$(dirname "$0")
prefix=${DEB_PROGRAM_PREFIX-keel-}
die() { echo "package/deb/build.sh: fatal: $*" >&2; exit 1; }

field() { sed -n "s/^$1=//p" "$here/../info"; }
name=$(field name) upstream=$(field version) license=$(field license) summary=$(field description)
if [ -z "$name" ] || [ -z "$upstream" ] || [ -z "$license" ]; then
    die "package/info lacks name, version or license"
fi
version=$upstream-${DEB_REVISION:-1}
arch=$(dpkg --print-architecture) || die "unable to run dpkg --print-architecture"
epoch=${SOURCE_DATE_EPOCH:?SOURCE_DATE_EPOCH is not set}
export SOURCE_DATE_EPOCH="$epoch"
maint=${DEB_MAINTAINER:?DEB_MAINTAINER is not set}

# With no prefix, /usr/bin/setsid would be util-linux's file (an essential package) and svc,
# supervise, svscan... daemontools' ones: dpkg would refuse to install it.
[ -n "$prefix" ] || die "an empty DEB_PROGRAM_PREFIX ships /usr/bin/setsid, which util-linux owns"
[ -x "$root/usr/bin/${prefix}svc" ] || die "$root/usr/bin/${prefix}svc is missing: run make deb"
grep -q "^License: $license\$" "$here/copyright" ||
    die "package/deb/copyright does not give package/info's license ($license)"

doc=$root/usr/share/doc/$name
rm -rf "$root/DEBIAN"
install -d -m 0755 "$root/DEBIAN" "$doc" "$root/usr/share/lintian/overrides"

# Programs: stripped the way dh_strip does it (no .comment, no .note; the build id stays).
for f in "$root"/usr/bin/*; do
    [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
    strip --remove-section=.comment --remove-section=.note "$f"
done

# Man pages: gzip -9n (no name, no date in the header).
find "$root/usr/share/man" -type f ! -name '*.gz' -exec gzip -9nf {} +

# Doc files: the DEP-5 copyright, a Debian changelog dated SOURCE_DATE_EPOCH, the overrides.
install -m 0644 "$here/copyright" "$doc/copyright"
{
    printf '%s (%s) unstable; urgency=medium\n\n' "$name" "$version"
    printf '  * Binary package of keel %s built by make deb (dpkg-deb, no debhelper).\n' "$upstream"
    printf '    Programs are installed as /usr/bin/%sNAME.\n\n' "$prefix"
    printf ' -- %s  %s\n' "$maint" "$(date -u -R -d "@$epoch")"
} > "$doc/changelog.Debian"
gzip -9nf "$doc/changelog.Debian"
chmod 0644 "$doc/changelog.Debian.gz"
sed "s/@PREFIX@/$prefix/g; s/@NAME@/$name/g" "$here/lintian-overrides" > "$root/usr/share/lintian/overrides/$name"
chmod 0644 "$root/usr/share/lintian/overrides/$name"

# Modes: directories 0755, data 0644, programs as package/modes says (make install applied it),
# init-maker's skeleton scripts 0755 (they are copied into boot directories and run there).
find "$root/usr" -type d -exec chmod 0755 {} +
find "$root/usr/share" -type f ! -path "*/share/$name/skel/*" -exec chmod 0644 {} +
grep -v '^#' "$here/../modes" | while read -r prog _section mode; do
    [ -n "$prog" ] || continue
    chmod "$mode" "$root/usr/bin/$prefix$prog"
done

# Depends: dpkg-shlibdeps when dpkg-dev is installed; otherwise libc6 at the highest GLIBC_
# symbol version the programs use, which is what dpkg-shlibdeps derives from libc6's symbols
# file, since the programs need no other shared library (libstdc++ and libgcc are linked in).
depends=
if command -v dpkg-shlibdeps >/dev/null 2>&1; then
    work=$(mktemp -d)
    mkdir "$work/debian"
    printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$name" "$name" > "$work/debian/control"
    abs=$(cd "$root" && pwd)
    depends=$(cd "$work" && dpkg-shlibdeps -O "$abs"/usr/bin/* 2>"$work/log") ||
        { cat "$work/log" >&2; rm -rf "$work"; die "dpkg-shlibdeps failed"; }
    rm -rf "$work"
    depends=${depends#shlibs:Depends=}
else
    needed=$(for f in "$root"/usr/bin/*; do readelf -dW "$f"; done | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u)
    for lib in $needed; do
        case $lib in libc.so.6|libm.so.6|ld-linux*) ;; *) die "$lib needed: install dpkg-dev for dpkg-shlibdeps";; esac
    done
    glibc=$(for f in "$root"/usr/bin/*; do readelf --dyn-syms -W "$f"; done |
        sed -n 's/.*@GLIBC_\([0-9.]*\).*/\1/p' | sort -u -t. -k1,1n -k2,2n -k3,3n | tail -n 1)
    [ -z "$glibc" ] || depends="libc6 (>= $glibc)"
fi

# Installed-Size as dpkg-gencontrol counts it: KiB per file, rounded up, and 1 per other entry.
size=$(cd "$root" && find usr \( -type f -printf '%s\n' \) -o -printf '1024\n' |
    awk '{ s += int(($1 + 1023) / 1024) } END { print s }')

{
    printf 'Package: %s\nVersion: %s\nArchitecture: %s\n' "$name" "$version" "$arch"
    printf 'Maintainer: %s\nInstalled-Size: %s\n' "$maint" "$size"
    [ -z "$depends" ] || printf 'Depends: %s\n' "$depends"
    printf 'Section: admin\nPriority: optional\n'
    printf 'Description: %s\n' "$summary"
    sed "s/@PREFIX@/$prefix/g" "$here/description"
} > "$root/DEBIAN/control"
(cd "$root" && find usr -type f | sort | xargs md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
chmod 0755 "$root" "$root/DEBIAN"

find "$root" -exec touch -h -d "@$epoch" {} +
deb=$out/${name}_${version}_$arch.deb
rm -f "$out"/"${name}"_*.deb
dpkg-deb --build --root-owner-group -Zxz "$root" "$deb" >/dev/null
echo "  DEB   $deb"
