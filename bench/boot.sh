#!/bin/sh
# Boot and shutdown of an init-maker container tree, as pid 1 of a PID+mount namespace: time
# from exec of bin/init until the early services and one example service are up, time from
# halt until the namespace's init has exited, and the memory of the steady-state early tree
# (svscan as pid 1, two supervise, the catch-all svlog, shutdownd). s6-linux-init is not
# packaged by Debian, so there is no side-by-side run; svscan/supervise/svlog are compared with
# s6 in the other benchmarks. Needs root (PID namespace).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/bin
export PATH="$bin:$PATH" KEEL_BINDIR="$bin"
runs=${RUNS:-10}
[ "$(id -u)" = 0 ] || { echo "boot: needs root (a PID namespace); skipped"; exit 0; }
tmp=$(mktemp -d /tmp/keel-boot-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/services/svc"
printf '#!/bin/sh\nexec sleep 100000\n' > "$tmp/services/svc/run"
chmod 755 "$tmp/services/svc/run"
init-maker -C -f "$top/skel" -c "$tmp/boot" -q 1000 -p "$bin:/usr/bin:/bin" \
    -e KEEL_BINDIR="$bin" -e SERVICES_DIR="$tmp/services" "$tmp/boot"

now_us() { echo $(( $(date +%s%N) / 1000 )); }
up_total=0 down_total=0 mem=
i=0
while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    rm -f "$tmp/status"
    t0=$(now_us)
    { if unshare --pid --fork --mount --mount-proc "$tmp/boot/bin/init" </dev/null >/dev/null 2>&1
      then echo 0; else echo $?; fi > "$tmp/status"; } &
    holder=$!
    init=
    while [ -z "$init" ]; do
        u=$(pgrep -P "$holder" | head -n 1) && init=$(pgrep -P "$u" | head -n 1) || sleep 0.005
    done
    # Up: svc is up, which rc.init waits for after the early services.
    until [ "$(nsenter -t "$init" -p -m svstat -o up /run/service/svc 2>/dev/null)" = true ]; do sleep 0.005; done
    t1=$(now_us)
    if [ -z "$mem" ]; then
        sleep 0.5
        # Private memory (Private_Clean + Private_Dirty, KiB) of the early tree's processes.
        mem=$(for p in $(nsenter -t "$init" -p -m sh -c 'for d in /proc/[0-9]*; do
                      c=$(cat $d/comm 2>/dev/null) || continue
                      case $c in svscan|supervise|svlog|shutdownd) echo "${d#/proc/}:$c";; esac
                  done'); do
                  pid=${p%%:*} comm=${p#*:}
                  kb=$(nsenter -t "$init" -p -m awk '/^Private_(Clean|Dirty):/ { s += $2 } END { print s }' "/proc/$pid/smaps_rollup")
                  echo "$comm $kb"
              done | awk '{ n[$1]++; s[$1] += $2; t += $2 } END { for (k in n) printf "%s x%d: %d KiB; ", k, n[k], s[k]; printf "total %d KiB", t }')
    fi
    t2=$(now_us)
    nsenter -t "$init" -p -m "$tmp/boot/bin/halt"
    wait "$holder" || true
    t3=$(now_us)
    up_total=$((up_total + t1 - t0))
    down_total=$((down_total + t3 - t2))
done
echo "container boot (exec bin/init -> rc.init's service up), mean of $runs: $((up_total / runs / 1000)) ms"
echo "halt -> namespace's init gone (rc.shutdown, shutdownd, TERM, grace, KILL, stage 4), mean: $((down_total / runs / 1000)) ms, of which 1000 ms is the grace between TERM and KILL (init-maker -q 1000)"
echo "early tree, private memory: $mem"
