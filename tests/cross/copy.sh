#!/bin/sh
# copy.sh SRC DEST: DEST becomes a copy of the source tree SRC (everything but .git, build/,
# bin/ and lib/libkeel.a: what `make` in SRC would build from), for a build of its own there.
# An existing copy is updated in place (tar keeps the mtimes, so its make rebuilds only what
# changed), unless the list of files changed: then it starts over, so no removed file lingers.
set -eu
src=$1 dest=$2
list=$(cd "$src" && find . \( -path ./.git -o -path ./build -o -path ./bin \) -prune -o \
    \( -type f -o -type l \) ! -path ./lib/libkeel.a -print | LC_ALL=C sort)
if [ ! -f "$dest/.keel-sources" ] || [ "$(cat "$dest/.keel-sources")" != "$list" ]; then
    rm -rf "$dest"
fi
mkdir -p "$dest"
printf '%s\n' "$list" | tar -C "$src" -cf - -T - | tar -C "$dest" -xf -
printf '%s\n' "$list" > "$dest/.keel-sources"
