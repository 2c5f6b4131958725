#!/bin/sh
# keel demo (until the supervision tree lands): one program run under a chain of keel tools,
# each changing one thing of the process state, and the program printing what changed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/bin
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
chmod 755 "$tmp"

mkdir "$tmp/env"
echo "hello from envdir" > "$tmp/env/GREETING"
: > "$tmp/env/HOME"          # an empty file removes the variable

cat > "$tmp/show" <<'SHOW'
#!/bin/sh
echo "  GREETING   = ${GREETING-<unset>}"
echo "  HOME       = ${HOME-<unset>}"
echo "  identity   = $(id)"
echo "  open files = $(ulimit -n) (soft limit)"
echo "  session    = pid $$, session id $(ps -o sid= -p $$ | tr -d ' ')"
SHOW
chmod 755 "$tmp/show"

echo "== the program run directly"
"$tmp/show"
echo
if [ "$(id -u)" = 0 ]; then
    chain="envdir $tmp/env setuidgid nobody softlimit -o 64 setsid $tmp/show"
else
    echo "(not root: setuidgid is left out of the chain, since only root can change user)"
    chain="envdir $tmp/env softlimit -o 64 setsid $tmp/show"
fi
echo "== the same program under: $(echo "$chain" | sed "s|$tmp|\$tmp|g")"
# shellcheck disable=SC2086
PATH="$bin:$PATH" $chain
echo
echo "== and every line of a log stamped by tai64n, read back by tai64nlocal"
printf 'first line\nsecond line\n' | "$bin/tai64n" | tee "$tmp/log"
"$bin/tai64nlocal" < "$tmp/log"
