#!/bin/sh
# Every benchmark of keel, in one run. Figures go to stdout for the closing notes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
echo "== binary sizes"
sh "$here/sizes.sh" || true
echo
echo "== chainloader chain"
sh "$here/chain.sh"
echo; echo "== supervisor: keel vs s6"; sh "$here/supervise.sh"
echo; echo "== scanner: keel vs s6"; sh "$here/svscan.sh"
echo; echo "== logger: keel vs s6-log, multilog, svlogd"; sh "$here/svlog.sh"
echo; echo "== service manager: rc -u change on a 200-service diamond"; sh "$here/rc-change.sh"
echo; echo "== container boot and halt (init-maker -C tree, PID namespace)"; sh "$here/boot.sh"
echo; echo "== a real kernel under qemu: keel vs a bare busybox /init"; sh "$here/vm.sh"
