#!/bin/sh
# rc-compile on 1000 generated services (longruns, oneshots and bundles with dependencies):
# prints the time it takes. The target is well under a second (no quadratic name lookups).
set -e
bin=${KEEL_BIN:-$(dirname "$0")/../bin}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
i=0
while [ $i -lt 1000 ]; do
    d=$t/src/svc$i
    mkdir -p "$d/dependencies.d"
    if [ $((i % 10)) -eq 9 ]; then
        printf 'bundle\n' > "$d/type"
        mkdir "$d/contents.d"
        : > "$d/contents.d/svc$((i - 1))"; : > "$d/contents.d/svc$((i - 2))"
    elif [ $((i % 2)) -eq 0 ]; then
        printf 'longrun\n' > "$d/type"; printf '#!/bin/sh\nexec sleep 1\n' > "$d/run"
    else
        printf 'oneshot\n' > "$d/type"; printf 'echo "up %s"\n' $i > "$d/up"
    fi
    [ $i -gt 0 ] && : > "$d/dependencies.d/svc$((i - 1))"
    [ $i -gt 7 ] && : > "$d/dependencies.d/svc$((i / 2))"
    i=$((i + 1))
done
start=$(date +%s%N)
KEEL_BINDIR=$bin "$bin/rc-compile" -v 0 "$t/out" "$t/src"
end=$(date +%s%N)
echo "rc-compile: 1000 services in $(( (end - start) / 1000000 )) ms"
