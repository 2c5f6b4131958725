#!/bin/sh
# keel booting a real kernel under qemu (software emulation), next to the kernel's floor: a
# bare busybox /init that mounts /proc, prints and powers off, booted from the same kernel and
# initramfs (tests/vm/run.sh timing, RUNS times). Figures: when the kernel ran /init (from
# its log), the guest's uptime when stage 2 is ready (every example service started, the
# ready one ready) against the bare /init's marker, the same seen from the host (from qemu's
# start), boot to power-off; then one pair with -icount, where the guest's clock counts
# instructions (repeatable to the millisecond).
# Needs qemu-system-x86_64 and busybox-static; the kernel is fetched once (tests/vm/run.sh).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-5}
if ! command -v qemu-system-x86_64 >/dev/null 2>&1 || [ ! -x /bin/busybox ]; then
    echo "vm: needs qemu-system-x86_64 and busybox-static; skipped"
    exit 0
fi
out=$(mktemp /tmp/keel-vm-bench.XXXXXX)
trap 'rm -f "$out"' EXIT
bash "$top/tests/vm/run.sh" prepare >/dev/null
i=0
while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    KEEL_VM_PREPARED=1 bash "$top/tests/vm/run.sh" timing | sed -n 's/^vm: timing-data //p' >> "$out"
done
# One line per run: bare_exec=... bare_ready=... keel_exec=... ...; medians of each field.
awk '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1], NR] = kv[2] } }
    function median(name,   n, i, j, t, a) {
        n = 0
        for (i = 1; i <= NR; i++) if ((name, i) in v && v[name, i] != "?") a[++n] = v[name, i] + 0
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return n == 0 ? -1 : (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2)
    }
    END {
        for (i = 1; i <= NR; i++) {
            v["bare_cost", i] = v["bare_ready", i] - v["bare_exec", i]
            v["keel_cost", i] = v["keel_ready", i] - v["keel_exec", i]
            v["floor", i] = v["bare_exec", i]; v["floor", NR + i] = v["keel_exec", i]
        }
        br = median("bare_ready"); kr = median("keel_ready")
        bc = median("bare_cost"); kc = median("keel_cost")
        NR2 = NR; NR = 2 * NR2; fl = median("floor"); NR = NR2
        printf "runs: %d, medians; qemu TCG, no KVM, 1 vCPU (times are emulated, not native)\n", NR
        printf "kernel runs /init at uptime %.2f s (the floor: kernel boot and the 18 MB initramfs, the same for both)\n", fl
        printf "init to ready: bare busybox /init %.0f ms, keel stage 1 + stage 2 %.0f ms\n", bc * 1000, kc * 1000
        printf "ready at uptime: bare %.2f s, keel %.2f s: ratio %.3f; on the common floor (%.2f + %.3f) / (%.2f + %.3f) = %.3f (target <= 1.10)\n", br, kr, kr / br, fl, kc, fl, bc, (fl + kc) / (fl + bc)
        printf "seen from the host, from qemu start: bare ready %.2f s, keel ready %.2f s: ratio %.3f\n", median("bare_ready_host"), median("keel_ready_host"), median("keel_ready_host") / median("bare_ready_host")
        printf "boot to power-off (host): bare %.2f s, keel %.2f s (keel: stage 3 with a 1 s grace, stage 4)\n", median("bare_off_host"), median("keel_off_host")
        for (i = 1; i <= NR; i++) printf "  run %d: floor %.2f/%.2f s, bare cost %.0f ms, keel cost %.0f ms\n", i, v["bare_exec", i], v["keel_exec", i], v["bare_cost", i] * 1000, v["keel_cost", i] * 1000
    }' "$out"
echo "instruction count (qemu -icount shift=4: guest seconds = 2^4 ns per instruction):"
KEEL_VM_PREPARED=1 bash "$top/tests/vm/run.sh" timing-icount | sed -n 's/^vm: timing: the init.s own cost: /  own cost: /p'
