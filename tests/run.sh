#!/bin/sh
# Runs the Bats suite (TAP on stdout, readable in CI logs), then a one-line summary:
#   217 tests, 0 failures, 3 skipped
# Exits with bats' own status.
set -u
mkdir -p build
tap=build/check.tap
{ bats --timing "$@"; echo $? > build/check.status; } | tee "$tap"
status=$(cat build/check.status)
# A test must never overwrite the build's programs (e.g. writing a stand-in through a symlink
# into bin/): every program must still be the binary make built.
for f in bin/*; do
    if [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" != '177ELF' ]; then
        echo "not ok: $f is no longer the built program (a test overwrote it)"
        status=1
    fi
done
total=$(grep -c '^\(not \)\{0,1\}ok ' "$tap")
failed=$(grep -c '^not ok ' "$tap")
skipped=$(grep -c '^ok .* # skip' "$tap")
echo "$total tests, $failed failures, $skipped skipped"
exit "$status"
