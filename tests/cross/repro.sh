#!/bin/sh
# repro.sh [MAKE VARIABLES...]: is the build reproducible? The tree is copied to two different
# absolute paths (build/repro/a and build/repro/second-copy, not even of one length), built
# in each with the same SOURCE_DATE_EPOCH and the given variables (make repro-check passes its
# own through MAKEFLAGS: make repro-check CXX=clang++, STATIC=1, CROSS=...), and every bin/*
# and lib/libkeel.a of one must be byte-identical (cmp) to the other's.
# SOURCE_DATE_EPOCH defaults to the time of the last commit.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git -C "$top" log -1 --format=%ct 2>/dev/null || echo 1700000000)
fi
export SOURCE_DATE_EPOCH
a=$top/build/repro/a
b=$top/build/repro/second-copy
rm -rf "$a" "$b"
for d in "$a" "$b"; do
    sh "$top/tests/cross/copy.sh" "$top" "$d"
    ${MAKE:-make} -C "$d" -s "$@" all
done
differ=0 n=0
for f in "$a"/bin/* "$a"/lib/libkeel.a; do
    rel=${f#"$a"/}
    n=$((n + 1))
    cmp "$f" "$b/$rel" || differ=$((differ + 1))
done
[ "$(cd "$a/bin" && ls)" = "$(cd "$b/bin" && ls)" ] || { echo "the two builds made different programs"; differ=$((differ + 1)); }
echo "repro-check ($(cat "$a/build/flags")): $n files compared, $differ differ"
[ "$differ" = 0 ]
