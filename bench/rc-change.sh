#!/bin/sh
# rc -u change on a 200-service diamond (1 root, layers widening to 20, then narrowing to 1):
# even services are longruns that tell their readiness (notification-fd) N ms after they
# start, odd ones oneshots that sleep N ms, N from 40 to 160 ms. Prints rc's wall time, the
# critical path (the longest chain of N's through the graph, computed from it) and their
# ratio: with every transition started the moment its dependencies are done, the ratio stays
# near 1 (target <= 1.2). Then the same with s6-rc, if it is installed.
set -eu
bin=$(cd "${KEEL_BIN:-$(dirname "$0")/../bin}" && pwd)
export KEEL_BINDIR="$bin"
t=$(mktemp -d /tmp/keel-bench-rc.XXXXXX)
widths="1 3 6 10 14 18 20 20 20 20 20 18 14 10 5 1"

# Everything that runs under $t (scanners, supervisors, services) goes at the end.
cleanup() {
    for s in "$t"/scan*; do
        [ -p "$s/.s6-svscan/control" ] &&
            timeout 2 sh -c 'printf t > "$1/.s6-svscan/control"' sh "$s" 2>/dev/null || true
    done
    sleep 0.5
    for p in /proc/[0-9]*; do
        case $(readlink "$p/cwd" 2>/dev/null) in "$t"/*) kill -9 "${p#/proc/}" 2>/dev/null || true ;; esac
    done
    rm -rf "$t"
}
trap cleanup EXIT

# The source: service L_J of layer L depends on every I of layer L-1 with I mod width(L) = J,
# and on (J mod width(L-1)), so every service but the last has a dependent.
awk -v widths="$widths" -v src="$t/src" -v graph="$t/graph" '
BEGIN {
    nl = split(widths, w, " ")
    id = 0
    for (l = 1; l <= nl; l++)
        for (j = 0; j < w[l]; j++) {
            name = "s" l "_" j
            ms = 40 + (id * 37) % 121
            type = id % 2 == 0 ? "longrun" : "oneshot"
            d = src "/" name
            system("mkdir -p " d "/dependencies.d")
            print type > (d "/type"); close(d "/type")
            if (type == "longrun") {
                printf "#!/bin/sh\nsleep %.3f\necho >&3\nexec sleep 100000\n", ms / 1000 > (d "/run")
                close(d "/run")
                system("chmod 755 " d "/run")
                print 3 > (d "/notification-fd"); close(d "/notification-fd")
            } else {
                printf "/bin/sleep %.3f\n", ms / 1000 > (d "/up"); close(d "/up")
            }
            line = name " " ms
            if (l > 1) {
                for (i = 0; i < w[l - 1]; i++)
                    if (i % w[l] == j || i == j % w[l - 1]) {
                        dep = "s" (l - 1) "_" i
                        printf "" > (d "/dependencies.d/" dep); close(d "/dependencies.d/" dep)
                        line = line " " dep
                    }
            }
            print line > graph
            id++
        }
    system("mkdir -p " src "/all/contents.d")
    print "bundle" > (src "/all/type")
    printf "" > (src "/all/contents.d/s" nl "_0")
}'
n=$(wc -l < "$t/graph")
# Critical path: layers come in order, so one pass gives every service's finish time.
crit=$(awk '{ f = 0; for (i = 3; i <= NF; i++) if (fin[$i] > f) f = fin[$i]; fin[$1] = f + $2
              if (fin[$1] > m) m = fin[$1] } END { print m }' "$t/graph")

# wait_scan DIR: until a scanner listens on DIR (at most 5 s).
wait_scan() {
    i=0
    until [ -p "$1/.s6-svscan/control" ]; do
        [ $i -lt 100 ] || { echo "no scanner on $1" >&2; exit 1; }
        sleep 0.05
        i=$((i + 1))
    done
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

"$bin/rc-compile" -v 0 "$t/db" "$t/src"
mkdir "$t/scan"
(cd "$t" && exec "$bin/svscan" "$t/scan" </dev/null >"$t/scan.log" 2>&1) &
wait_scan "$t/scan"
"$bin/rc-init" -c "$t/db" -l "$t/live" -t 30000 "$t/scan"
start=$(now_ms)
"$bin/rc" -l "$t/live" -u change all
wall=$(( $(now_ms) - start ))
echo "rc -u change: $n services, $wall ms; critical path $crit ms; ratio $(ratio "$wall" "$crit")"

if command -v s6-rc >/dev/null 2>&1 && command -v s6-rc-compile >/dev/null 2>&1 &&
    command -v s6-svscan >/dev/null 2>&1; then
    s6-rc-compile "$t/s6db" "$t/src"
    mkdir "$t/scan6"
    (cd "$t" && exec s6-svscan "$t/scan6" </dev/null >"$t/scan6.log" 2>&1) &
    wait_scan "$t/scan6"
    s6-rc-init -c "$t/s6db" -l "$t/s6live" "$t/scan6"
    start=$(now_ms)
    s6-rc -l "$t/s6live" -u change all
    wall6=$(( $(now_ms) - start ))
    echo "s6-rc -u change: $n services, $wall6 ms; ratio $(ratio "$wall6" "$crit")"
else
    echo "s6-rc: not installed, skipped"
fi
