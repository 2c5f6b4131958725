#!/bin/sh
# Cost of a chain of chainloaders, side by side in one run:
#   envdir D setuidgid nobody softlimit -m 100000000 true
# with keel's tools, s6's, and daemontools' where installed, against `true` alone.
# Uses hyperfine (no shell: -N) when installed, else a timed loop.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/bin
runs=${RUNS:-500}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/env"
echo value > "$tmp/env/VAR"
truebin=$(command -v true)

user=nobody
if [ "$(id -u)" != 0 ]; then
    echo "(not root: setuidgid runs as the current user $(id -un) instead of nobody)"
    user=$(id -un)
fi

set -- "true alone|$truebin"
set -- "$@" "keel|$bin/envdir $tmp/env $bin/setuidgid $user $bin/softlimit -m 100000000 $truebin"
if command -v s6-envdir >/dev/null 2>&1; then
    set -- "$@" "s6|s6-envdir $tmp/env s6-setuidgid $user s6-softlimit -m 100000000 $truebin"
else
    echo "(s6 not installed: no s6 column)"
fi
if [ -x /usr/bin/envdir ] && [ -x /usr/bin/setuidgid ] && [ -x /usr/bin/softlimit ]; then
    set -- "$@" "daemontools|/usr/bin/envdir $tmp/env /usr/bin/setuidgid $user /usr/bin/softlimit -m 100000000 $truebin"
else
    echo "(daemontools not installed: no daemontools column)"
fi

# As root, the same comparison again with an nsswitch.conf whose group line is "files" only, in a
# private mount namespace: this shows how much of setuidgid's cost is the NSS modules that the
# machine's nsswitch.conf makes libc load for the group list (nss_systemd here), for every
# implementation alike.
if [ "${KEEL_BENCH_INNER:-}" = "" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 &&
    grep -Eq '^group:.*[^[:space:]]+[[:space:]]+[^[:space:]]+' /etc/nsswitch.conf 2>/dev/null; then
    nss_files_only=1
fi

echo "chain: envdir D setuidgid $user softlimit -m 100000000 true ($runs runs each)"
[ "${KEEL_BENCH_INNER:-}" = "" ] || echo "(nsswitch.conf here: $(grep '^group:' /etc/nsswitch.conf))"
if command -v hyperfine >/dev/null 2>&1; then
    args=
    for c in "$@"; do
        name=${c%%|*}; cmd=${c#*|}
        hyperfine -N --style none --warmup 20 --runs "$runs" --export-json "$tmp/$name.json" \
            "$cmd" >/dev/null 2>&1
        python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%-12s mean %7.3f ms  stddev %6.3f ms  min %7.3f ms" % (sys.argv[2], r["mean"]*1e3, r["stddev"]*1e3, r["min"]*1e3))' "$tmp/$name.json" "$name"
    done
else
    for c in "$@"; do
        name=${c%%|*}; cmd=${c#*|}
        start=$(date +%s%N)
        i=0
        while [ $i -lt "$runs" ]; do $cmd; i=$((i + 1)); done
        end=$(date +%s%N)
        echo "$name $(( (end - start) / runs / 1000 ))" |
            awk '{ printf "%-12s mean %7.3f ms (shell loop, includes fork)\n", $1, $2 / 1000 }'
    done
fi

if [ -n "${nss_files_only:-}" ]; then
    echo
    sed -E 's/^(passwd|group|shadow):.*/\1: files/' /etc/nsswitch.conf > "$tmp/nsswitch.conf"
    unshare -m sh -c 'mount --bind "$1" /etc/nsswitch.conf && KEEL_BENCH_INNER=1 sh "$2"' \
        sh "$tmp/nsswitch.conf" "$0"
fi
