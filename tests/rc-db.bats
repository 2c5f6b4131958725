#!/usr/bin/env bats
# rc-db: every command's output on a small compiled db, -u/-d, -c and -l, and the exit codes
# for unknown names (3), invalid databases (4), wrong types (5), usage (100), system (111).

load helper

# A db in $T/out: web (longrun) -> job (oneshot, up/down scripts); bundle all = web + job;
# pipeline p -> plog named "pipe".
setup() {
    keel_setup
    local s=$T/src
    mkdir -p "$s/web/dependencies.d" "$s/job" "$s/all/contents.d" "$s/p" "$s/plog"
    echo longrun > "$s/web/type"; echo 'exec true' > "$s/web/run"
    : > "$s/web/dependencies.d/job"
    echo 250 > "$s/web/timeout-down"
    echo oneshot > "$s/job/type"
    echo 'echo "a b" c' > "$s/job/up"
    echo 'echo down' > "$s/job/down"
    echo bundle > "$s/all/type"; : > "$s/all/contents.d/web"; : > "$s/all/contents.d/job"
    touch "$s/all/flag-essential"
    echo longrun > "$s/p/type"; echo x > "$s/p/run"; echo plog > "$s/p/producer-for"
    echo longrun > "$s/plog/type"; echo x > "$s/plog/run"; echo p > "$s/plog/consumer-for"
    echo pipe > "$s/plog/pipeline-name"
    rc-compile "$T/out" "$s"
}

db() { run --separate-stderr rc-db -c "$T/out" "$@"; }
is() { [ "$status" -eq 0 ] && [ "$(echo "$output" | tr '\n' ' ')" = "$1" ]; }

@test "rc-db: help and list" {
    run rc-db help
    [ "$status" -eq 0 ] && [[ $output == *"rc-db [ -c compiled | -l live ] check"* ]]
    db list all;       is "job p plog s6rc-fdholder s6rc-oneshot-runner web all pipe "
    db list services;  is "job p plog s6rc-fdholder s6rc-oneshot-runner web "
    db list oneshots;  is "job "
    db list longruns;  is "p plog s6rc-fdholder s6rc-oneshot-runner web "
    db list bundles;   is "all pipe "
}

@test "rc-db: type, timeout, flags, contents" {
    db type web; is "longrun "
    db type job; is "oneshot "
    db type all; is "bundle "
    db timeout web; is "0 "
    db -d timeout web; is "250 "
    db flags web; is "1 "
    db flags p; is "0 "
    db contents all; is "job web "
    db contents pipe; is "p plog "
}

@test "rc-db: dependencies, all-dependencies, atomics, with -u and -d" {
    db dependencies web; is "job "
    db -u dependencies job; is "s6rc-oneshot-runner "
    db -d dependencies job; is "web "
    db dependencies all; is "job s6rc-oneshot-runner "
    db all-dependencies web; is "job s6rc-oneshot-runner web "
    db -d all-dependencies s6rc-oneshot-runner; is "job s6rc-oneshot-runner web "
    db atomics all p; is "job p web "
}

@test "rc-db: script, pipeline, check" {
    db script job; is "echo a b c "
    db -d script job; is "echo down "
    db pipeline plog; is "p plog "
    db pipeline p; is "p plog "
    db pipeline web; is "web "
    db check; [ "$status" -eq 0 ] && [ -z "$output" ] && [ -z "$stderr" ]
}

@test "rc-db: -l reads LIVE/compiled; -c wins over -l" {
    mkdir "$T/live"
    ln -s "$T/out" "$T/live/compiled"
    run rc-db -l "$T/live" type web
    [ "$status" -eq 0 ] && [ "$output" = longrun ]
    run rc-db -l "$T/nowhere" -c "$T/out" type web
    [ "$status" -eq 0 ] && [ "$output" = longrun ]
}

@test "rc-db: unknown names exit 3, wrong types exit 5" {
    expect_fail 3 "rc-db: fatal: unknown service: nope" rc-db -c "$T/out" type nope
    expect_fail 3 "rc-db: fatal: unknown service: nope" rc-db -c "$T/out" atomics web nope
    expect_fail 3 "rc-db: fatal: unknown service: nope" rc-db -c "$T/out" all-dependencies nope
    expect_fail 5 "rc-db: fatal: web is an atomic service, not a bundle" rc-db -c "$T/out" contents web
    expect_fail 5 "rc-db: fatal: all is a bundle, not an atomic service" rc-db -c "$T/out" timeout all
    expect_fail 5 "rc-db: fatal: web is not a oneshot" rc-db -c "$T/out" script web
    expect_fail 5 "rc-db: fatal: job is not a longrun" rc-db -c "$T/out" pipeline job
}

@test "rc-db: invalid databases exit 4, missing ones 111" {
    cp "$T/out/db" "$T/db.orig"
    head -c 40 "$T/db.orig" > "$T/out/db"
    expect_fail 4 "rc-db: fatal: invalid database: $T/out/db" rc-db -c "$T/out" list all
    printf 'garbage\n' > "$T/out/db"
    expect_fail 4 "rc-db: fatal: invalid database: $T/out/db" rc-db -c "$T/out" check
    : > "$T/out/db"
    expect_fail 4 "rc-db: fatal: invalid database: $T/out/db" rc-db -c "$T/out" type web
    expect_fail 111 "rc-db: fatal: unable to load $T/none/db: No such file or directory" \
        rc-db -c "$T/none" list all
}

@test "rc-db: usage errors exit 100" {
    expect_usage rc-db
    expect_usage rc-db -c "$T/out" frobnicate
    expect_usage rc-db -c "$T/out" list
    expect_usage rc-db -c "$T/out" list things
    expect_usage rc-db -c "$T/out" type
    expect_usage rc-db -c "$T/out" type a b
    expect_usage rc-db -c "$T/out" atomics
    expect_usage rc-db -x list all
}
