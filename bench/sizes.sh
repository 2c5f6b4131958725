#!/bin/sh
# Stripped size of every program, in bytes; chainloaders must stay under 64 KiB.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
limit=65536
printf '%-20s %10s %10s\n' program bytes stripped
over=0
for b in "$top"/bin/*; do
    n=$(basename "$b")
    cp "$b" "$tmp/$n"
    strip "$tmp/$n"
    s=$(wc -c < "$b"); ss=$(wc -c < "$tmp/$n")
    mark=; [ "$ss" -le "$limit" ] || { mark=' > 64 KiB'; over=1; }
    printf '%-20s %10d %10d%s\n' "$n" "$s" "$ss" "$mark"
done
exit $over
