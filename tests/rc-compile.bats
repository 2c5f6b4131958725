#!/usr/bin/env bats
# rc-compile: the compiled layout (db, servicedirs, oneshot argv files, the generated runner),
# every source error with its exact message and exit 1 (COMPILED removed), usage and system
# errors. The db's content is read back with rc-db.

load helper

# longrun SRC NAME [DEP...]: a longrun definition depending on DEP... (dependencies.d).
longrun() {
    local d=$1/$2; shift 2
    mkdir -p "$d/dependencies.d"
    echo longrun > "$d/type"
    printf '#!/bin/sh\nexec sleep 1000\n' > "$d/run"
    chmod 755 "$d/run"
    for x in "$@"; do : > "$d/dependencies.d/$x"; done
}

# oneshot SRC NAME 'UP SCRIPT' [DEP...]
oneshot() {
    local d=$1/$2 up=$3; shift 3
    mkdir -p "$d/dependencies.d"
    echo oneshot > "$d/type"
    printf '%s\n' "$up" > "$d/up"
    for x in "$@"; do : > "$d/dependencies.d/$x"; done
}

# bundle SRC NAME MEMBER...
bundle() {
    local d=$1/$2; shift 2
    mkdir -p "$d/contents.d"
    printf bundle > "$d/type"
    for x in "$@"; do : > "$d/contents.d/$x"; done
}

# compile_fails 'MESSAGE' SOURCE...: exit 1 with that message, COMPILED gone.
compile_fails() {
    local msg=$1; shift
    expect_fail 1 "rc-compile: fatal: $msg" rc-compile "$T/out" "$@"
    [ ! -e "$T/out" ]
}

@test "rc-compile: usage errors exit 100" {
    expect_usage rc-compile
    expect_usage rc-compile "$T/out"
    expect_usage rc-compile -x "$T/out" "$T"
    expect_usage rc-compile -v x "$T/out" "$T"
    [ ! -e "$T/out" ]
}

@test "rc-compile: the compiled layout, the runner, modes and copied files" {
    longrun "$T/s" web db
    oneshot "$T/s" db 'mkdir -p "/run/my db" # comment'
    echo 'rm -rf /tmp/x' > "$T/s/db/down"
    mkdir -p "$T/s/web/data/sub" "$T/s/web/env" "$T/s/web/log" "$T/s/web/other"
    echo 3 > "$T/s/web/notification-fd"
    echo v > "$T/s/web/env/VAR"
    echo x > "$T/s/web/data/sub/f"
    chmod 600 "$T/s/web/data/sub/f"
    touch "$T/s/web/down" "$T/s/web/finish"
    chmod 700 "$T/s/web/finish"
    run rc-compile "$T/out" "$T/s"
    [ "$status" -eq 0 ] && [ -z "$output" ]
    [ -f "$T/out/db" ]
    [ "$(cd "$T/out/servicedirs" && ls)" = "$(printf 's6rc-oneshot-runner\nweb')" ]
    [ "$(cd "$T/out/servicedirs/web" && ls | tr '\n' ' ')" = "data env finish notification-fd run " ]
    [ "$(stat -c %a "$T/out/servicedirs/web/run")" = 755 ]
    [ "$(stat -c %a "$T/out/servicedirs/web/finish")" = 700 ]
    [ "$(stat -c %a "$T/out/servicedirs/web/data/sub/f")" = 600 ]
    [ "$(cat "$T/out/servicedirs/web/env/VAR")" = v ]
    cmp "$T/s/web/run" "$T/out/servicedirs/web/run"
    # oneshot argv files: words, each NUL-terminated; no reload file for no reload script.
    [ "$(tr '\0' '|' < "$T/out/oneshots/db/up")" = 'mkdir|-p|/run/my db|' ]
    [ "$(tr '\0' '|' < "$T/out/oneshots/db/down")" = 'rm|-rf|/tmp/x|' ]
    [ ! -e "$T/out/oneshots/db/reload" ]
    # The runner runs rc-oneshotd (this build's, sh-quoted) on the live compiled db.
    r=$T/out/servicedirs/s6rc-oneshot-runner
    [ "$(cat "$r/run")" = "$(printf '#!/bin/sh\nexec %s -d 3 -- s ../../compiled/oneshots' "$KEEL_BIN/rc-oneshotd")" ]
    [ -x "$r/run" ] && [ "$(cat "$r/notification-fd")" = 3 ]
    run rc-db -c "$T/out" dependencies db
    [ "$output" = s6rc-oneshot-runner ]
}

@test "rc-compile: legacy files, flags, timeouts, bundles flattened, dots and files ignored" {
    longrun "$T/s" a
    oneshot "$T/s" b true
    rmdir "$T/s/b/dependencies.d"
    printf '  # comment\n\n\ta\n' > "$T/s/b/dependencies"
    printf '500\n' > "$T/s/a/timeout-up"
    echo 0 > "$T/s/a/timeout-down"
    mkdir -p "$T/s/inner" "$T/s/outer"
    echo bundle > "$T/s/inner/type"
    printf 'a\n#x\n' > "$T/s/inner/contents"
    bundle "$T/s" outer inner b
    touch "$T/s/outer/flag-essential" "$T/s/a/flag-recommended" "$T/s/plainfile"
    mkdir "$T/s/.hidden"
    rc-compile "$T/out" "$T/s"
    [ "$(rc-db -c "$T/out" list all | tr '\n' ' ')" = "a b s6rc-oneshot-runner inner outer " ]
    [ "$(rc-db -c "$T/out" contents outer | tr '\n' ' ')" = "a b " ]
    [ "$(rc-db -c "$T/out" dependencies b | tr '\n' ' ')" = "a s6rc-oneshot-runner " ]
    [ "$(rc-db -c "$T/out" timeout a)" = 500 ]
    [ "$(rc-db -c "$T/out" -d timeout a)" = 0 ]
    [ "$(rc-db -c "$T/out" flags a)" = 3 ]
    [ "$(rc-db -c "$T/out" flags b)" = 1 ]
    [ "$(rc-db -c "$T/out" flags s6rc-oneshot-runner)" = 0 ]
}

@test "rc-compile: pipelines, pipeline-name bundle, producers depend on consumers" {
    longrun "$T/s" p1
    longrun "$T/s" p2
    longrun "$T/s" mid
    longrun "$T/s" log
    echo mid > "$T/s/p1/producer-for"
    echo mid > "$T/s/p2/producer-for"
    printf 'p1\np2\n' > "$T/s/mid/consumer-for"
    echo log > "$T/s/mid/producer-for"
    echo mid > "$T/s/log/consumer-for"
    echo everything > "$T/s/log/pipeline-name"
    rc-compile "$T/out" "$T/s"
    [ "$(rc-db -c "$T/out" contents everything | tr '\n' ' ')" = "log mid p1 p2 " ]
    [ "$(rc-db -c "$T/out" pipeline p2 | tr '\n' ' ')" = "p1 p2 mid log " ]
    # every longrun of a pipeline depends on the generated holder, and its run is wrapped
    [ "$(rc-db -c "$T/out" dependencies p1 | tr '\n' ' ')" = "mid s6rc-fdholder " ]
    [ "$(rc-db -c "$T/out" dependencies log)" = s6rc-fdholder ]
    [ "$(rc-db -c "$T/out" -d dependencies s6rc-fdholder | tr '\n' ' ')" = "log mid p1 p2 " ]
    [ "$(cd "$T/out/servicedirs" && ls | tr '\n' ' ')" = "log mid p1 p2 s6rc-fdholder s6rc-oneshot-runner " ]
    local pipe=$KEEL_BIN/rc-pipe sock=../s6rc-fdholder/s
    [ "$(cat "$T/out/servicedirs/p1/run")" = "$(printf '#!/bin/sh\nexec %s -w mid %s ./run.user' "$pipe" "$sock")" ]
    [ "$(cat "$T/out/servicedirs/mid/run")" = "$(printf '#!/bin/sh\nexec %s -r mid -w log %s ./run.user' "$pipe" "$sock")" ]
    [ "$(cat "$T/out/servicedirs/log/run")" = "$(printf '#!/bin/sh\nexec %s -r log %s ./run.user' "$pipe" "$sock")" ]
    cmp "$T/s/log/run" "$T/out/servicedirs/log/run.user"
    [ -x "$T/out/servicedirs/log/run" ] && [ -x "$T/out/servicedirs/log/run.user" ]
    local h=$T/out/servicedirs/s6rc-fdholder
    [ "$(cat "$h/run")" = "$(printf '#!/bin/sh\nexec %s -d 3 -- s' "$KEEL_BIN/rc-fdholderd")" ]
    [ -x "$h/run" ] && [ "$(cat "$h/notification-fd")" = 3 ]
    [ "$(rc-db -c "$T/out" flags s6rc-fdholder)" = 0 ]
    # -h: the holder runs as that user, from a directory of its own; names are sh-quoted
    rm -r "$T/out"
    mv "$T/s/log" "$T/s/it's log"
    echo "it's log" > "$T/s/mid/producer-for"
    rc-compile -h 'fd user' "$T/out" "$T/s"
    [ "$(cat "$h/run")" = "$(printf '#!/bin/sh\nmkdir -p h && chown %s h && chmod 0700 h && ln -sfn h/s s || exit 111\nexec %s %s %s -d 3 -- h/s' \
        "'fd user'" "$KEEL_BIN/setuidgid" "'fd user'" "$KEEL_BIN/rc-fdholderd")" ]
    [ "$(cat "$T/out/servicedirs/mid/run")" = "$(printf '#!/bin/sh\nexec %s -r mid -w %s %s ./run.user' "$pipe" "'it'\\''s log'" "$sock")" ]
}

@test "rc-compile: no pipeline, no fd holder" {
    longrun "$T/s" a
    rc-compile "$T/out" "$T/s"
    [ "$(rc-db -c "$T/out" list services | tr '\n' ' ')" = "a s6rc-oneshot-runner " ]
    [ ! -e "$T/out/servicedirs/s6rc-fdholder" ]
    [ ! -e "$T/out/servicedirs/a/run.user" ]
}

@test "rc-compile: -v2 prints one line per service; a pipeline-name elsewhere is ignored" {
    longrun "$T/s" a
    echo x > "$T/s/a/pipeline-name"
    run --separate-stderr rc-compile -v 2 -h nobody -b "$T/out" "$T/s"
    [ "$status" -eq 0 ]
    [ "$stderr" = "rc-compile: warning: $T/s/a/pipeline-name: ignored: a is not the last consumer of a pipeline
rc-compile: info: compiled longrun a
rc-compile: info: compiled longrun s6rc-oneshot-runner" ]
    rm -rf "$T/out"
    run --separate-stderr rc-compile -v 0 "$T/out" "$T/s"
    [ "$status" -eq 0 ] && [ -z "$stderr" ]
}

@test "rc-compile: type errors" {
    mkdir -p "$T/s/web"
    compile_fails "$T/s/web/type: missing" "$T/s"
    echo daemon > "$T/s/web/type"
    compile_fails "$T/s/web/type: unknown type: daemon" "$T/s"
    printf 'Longrun\n' > "$T/s/web/type"
    compile_fails "$T/s/web/type: unknown type: Longrun" "$T/s"
}

@test "rc-compile: missing run, run not a file, missing up" {
    mkdir -p "$T/s/web"
    echo longrun > "$T/s/web/type"
    compile_fails "$T/s/web/run: missing: a longrun needs a run script" "$T/s"
    mkdir "$T/s/web/run"
    compile_fails "$T/s/web/run: not a regular file" "$T/s"
    rm -r "$T/s/web"
    mkdir "$T/s/job"
    echo oneshot > "$T/s/job/type"
    compile_fails "$T/s/job/up: missing: a oneshot needs an up script" "$T/s"
}

@test "rc-compile: unknown dependencies and bundle members, bundle without contents" {
    longrun "$T/s" a ghost
    compile_fails "$T/s/a/dependencies.d: unknown service: ghost" "$T/s"
    rm -r "$T/s/a/dependencies.d"
    echo ghost2 > "$T/s/a/dependencies"
    compile_fails "$T/s/a/dependencies: unknown service: ghost2" "$T/s"
    rm "$T/s/a/dependencies"
    bundle "$T/s" all a nobody
    compile_fails "$T/s/all/contents.d: unknown service: nobody" "$T/s"
    rm -r "$T/s/all/contents.d"
    compile_fails "$T/s/all: a bundle needs contents.d or contents" "$T/s"
}

@test "rc-compile: dependency cycles are spelled out" {
    longrun "$T/s" a b
    longrun "$T/s" b c
    oneshot "$T/s" c true a
    compile_fails "$T/s/a/dependencies.d: dependency cycle: a -> b -> c -> a" "$T/s"
    rm -rf "$T/s"
    longrun "$T/s" self self
    compile_fails "$T/s/self/dependencies.d: dependency cycle: self -> self" "$T/s"
    rm -rf "$T/s"
    # Through a bundle.
    longrun "$T/s" x grp
    bundle "$T/s" grp x
    compile_fails "$T/s/x/dependencies.d: dependency cycle: x -> x" "$T/s"
}

@test "rc-compile: bundle cycles are spelled out" {
    longrun "$T/s" a
    bundle "$T/s" one a two
    bundle "$T/s" two three
    bundle "$T/s" three one
    compile_fails "$T/s/one/contents.d: bundle cycle: one -> two -> three -> one" "$T/s"
}

@test "rc-compile: reserved prefixes, duplicates across sources, bad names" {
    longrun "$T/s" s6rc-mine
    compile_fails "$T/s/s6rc-mine: reserved name prefix (s6rc- or s6-rc-): s6rc-mine" "$T/s"
    rm -rf "$T/s"
    longrun "$T/s" a s6-rc-x
    compile_fails "$T/s/a/dependencies.d: reserved name prefix (s6rc- or s6-rc-): s6-rc-x" "$T/s"
    rm -rf "$T/s"
    longrun "$T/s" a
    oneshot "$T/s2" a true
    compile_fails "$T/s2/a: duplicate service: a is already defined in $T/s/a" "$T/s" "$T/s2"
    rm -rf "$T/s2"
    mkdir "$T/s/a/dependencies.d/.hidden" # ignored
    printf 'x/y\n' > "$T/s/a/dependencies"
    rm -r "$T/s/a/dependencies.d"
    compile_fails "$T/s/a/dependencies: invalid service name: x/y" "$T/s"
    rm "$T/s/a/dependencies"
    mkdir "$T/s/$(printf 'new\nline')"
    compile_fails "$T/s: a service name contains a newline" "$T/s"
}

@test "rc-compile: bad timeouts" {
    longrun "$T/s" a
    for v in -1 abc 1.5 4294967296 ' 5' +5; do
        printf '%s\n' "$v" > "$T/s/a/timeout-up"
        compile_fails "$T/s/a/timeout-up: invalid timeout: $v" "$T/s"
    done
    rm "$T/s/a/timeout-up"
    echo x > "$T/s/a/timeout-down"
    compile_fails "$T/s/a/timeout-down: invalid timeout: x" "$T/s"
}

@test "rc-compile: a bundle's dependencies are ignored, with a warning" {
    longrun "$T/s" a
    bundle "$T/s" grp a
    mkdir "$T/s/grp/dependencies.d"
    run --separate-stderr rc-compile "$T/out" "$T/s"
    [ "$status" -eq 0 ]
    [ "$stderr" = "rc-compile: warning: $T/s/grp: a bundle has no dependencies: dependencies ignored" ]
}

@test "rc-compile: pipeline errors" {
    longrun "$T/s" p
    longrun "$T/s" c
    oneshot "$T/s" o true
    echo c > "$T/s/p/producer-for"
    compile_fails "$T/s/p/producer-for: c does not list p in its consumer-for" "$T/s"
    echo o > "$T/s/p/producer-for"
    compile_fails "$T/s/p/producer-for: o is a oneshot, not a longrun" "$T/s"
    printf 'c\nc2\n' > "$T/s/p/producer-for"
    compile_fails "$T/s/p/producer-for: must name exactly one service" "$T/s"
    rm "$T/s/p/producer-for"
    echo p > "$T/s/c/consumer-for"
    compile_fails "$T/s/c/consumer-for: p has no producer-for" "$T/s"
    # A producer claimed by two consumers.
    echo c > "$T/s/p/producer-for"
    longrun "$T/s" c2
    echo p > "$T/s/c2/consumer-for"
    compile_fails "$T/s/c2/consumer-for: p is the producer for c, not for c2" "$T/s"
    rm -r "$T/s/c2" "$T/s/c/consumer-for"
    echo nowhere > "$T/s/p/producer-for"
    compile_fails "$T/s/p/producer-for: unknown service: nowhere" "$T/s"
}

@test "rc-compile: pipeline cycles and pipeline-name clashes" {
    longrun "$T/s" a
    longrun "$T/s" b
    echo b > "$T/s/a/producer-for"
    echo a > "$T/s/b/consumer-for"
    echo a > "$T/s/b/producer-for"
    echo b > "$T/s/a/consumer-for"
    compile_fails "$T/s/a/producer-for: pipeline cycle: a -> b -> a" "$T/s"
    rm "$T/s/b/producer-for" "$T/s/a/consumer-for"
    echo a > "$T/s/b/pipeline-name"
    compile_fails "$T/s/b/pipeline-name: a is already defined in $T/s/a" "$T/s"
}

@test "rc-compile: oneshot script syntax errors" {
    oneshot "$T/s" o 'echo "open'
    compile_fails "$T/s/o/up: syntax error" "$T/s"
    oneshot "$T/s" o 'if { true'
    compile_fails "$T/s/o/up: syntax error: unmatched {" "$T/s"
    oneshot "$T/s" o 'true }'
    compile_fails "$T/s/o/up: syntax error: unmatched }" "$T/s"
    oneshot "$T/s" o true
    echo '"x' > "$T/s/o/reload"
    compile_fails "$T/s/o/reload: syntax error" "$T/s"
}

@test "rc-compile: system errors exit 111; an existing COMPILED is left alone" {
    expect_fail 111 "rc-compile: fatal: unable to open directory $T/none: No such file or directory" \
        rc-compile "$T/out" "$T/none"
    [ ! -e "$T/out" ]
    longrun "$T/s" a
    mkdir "$T/out"
    touch "$T/out/keep"
    expect_fail 111 "rc-compile: fatal: unable to create directory $T/out: File exists" \
        rc-compile "$T/out" "$T/s"
    [ -f "$T/out/keep" ]
    run --separate-stderr rc-compile "$T/s2" "$T/s/a/run"
    [ "$status" -eq 111 ]
    [ "$stderr" = "rc-compile: fatal: unable to open directory $T/s/a/run: Not a directory" ]
}

@test "rc-compile: an empty source warns; several sources merge" {
    mkdir "$T/empty"
    longrun "$T/s1" a
    longrun "$T/s2" b a
    run --separate-stderr rc-compile "$T/out" "$T/empty" "$T/s1" "$T/s2"
    [ "$status" -eq 0 ]
    [ "$stderr" = "rc-compile: warning: source $T/empty is empty" ]
    [ "$(rc-db -c "$T/out" all-dependencies b | tr '\n' ' ')" = "a b " ]
}
