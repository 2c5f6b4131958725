#!/usr/bin/env bats
# rc-init: the live state it builds for a compiled db under a real svscan (layout, state bytes,
# down files, scandir links with the -p prefix, every supervisor running and every service
# still down), idempotence, -d, -b, -t (111, everything undone), svscan not running (a
# warning), and the exact errors for bad options, paths, scandirs and databases.

load helper

# A db in $T/db from $T/src: web (longrun, depends on job), job (oneshot), p -> plog (a
# pipeline), bundle all = web + job; and web2, a longrun with a log/ service dir put into the
# compiled copy (rc-compile makes loggers separate longruns, but a service dir with log/ must
# still get both supervisors). Every run script leaves a mark if it ever runs.
setup() {
    keel_setup
    local s=$T/src n
    mkdir -p "$s/web/dependencies.d" "$s/job" "$s/all/contents.d" "$s/p" "$s/plog" "$s/web2"
    for n in web p plog web2; do
        echo longrun > "$s/$n/type"
        printf '#!/bin/sh\ntouch %s/ran-%s\nexec sleep 100000\n' "$T" "$n" > "$s/$n/run"
        chmod 755 "$s/$n/run"
    done
    : > "$s/web/dependencies.d/job"
    echo oneshot > "$s/job/type"; echo 'echo up' > "$s/job/up"
    echo bundle > "$s/all/type"; : > "$s/all/contents.d/web"; : > "$s/all/contents.d/job"
    echo plog > "$s/p/producer-for"; echo p > "$s/plog/consumer-for"
    rc-compile "$T/db" "$s"
    make_service "$T/db/servicedirs/web2/log" "touch $T/ran-web2-log; exec cat >/dev/null"
    LONGRUNS="p plog s6rc-fdholder s6rc-oneshot-runner web web2"
}

# init ARGS...: rc-init on $T/db and $T/live (plus ARGS), which must succeed silently.
init() {
    run --separate-stderr rc-init -c "$T/db" -l "$T/live" -t 10000 "$@"
    [ "$status" -eq 0 ] && [ -z "$output" ] && [ -z "$stderr" ] ||
        { echo "rc-init $*: status $status, stderr: $stderr" >&2; false; }
}

# The names in a scan dir (the scanner's .s6-svscan left out), on one line.
scan_names() { ls "$1" | tr '\n' ' '; }

@test "rc-init: the live layout, all supervisors running, every service down" {
    start_scan "$T/scan"
    init -p rc- "$T/scan"
    # LIVE -> LIVE:initial:XXXXXX, a real directory next to it
    [ -L "$T/live" ]
    real=$(readlink "$T/live")
    [[ $real == live:initial:?????? ]]
    [ -d "$T/$real" ] && [ ! -L "$T/$real" ]
    [ "$(stat -c %a "$T/$real")" = 755 ]
    [ "$(ls "$T/live" | tr '\n' ' ')" = "compiled lock prefix scandir servicedirs state " ]
    [ "$(readlink "$T/live/compiled")" = "$T/db" ]
    [ "$(readlink "$T/live/scandir")" = "$T/scan" ]
    [ "$(od -An -c "$T/live/prefix" | tr -d ' ')" = "rc-" ]
    # one zero byte per atomic service
    n=$(rc-db -c "$T/db" list services | wc -l)
    [ "$n" = 7 ]
    [ "$(stat -c %s "$T/live/state")" = 7 ]
    cmp "$T/live/state" <(head -c 7 /dev/zero)
    [ ! -e "$T/live/state.new" ]
    # the lock is free once rc-init is done
    run grep -q ":$(stat -c %i "$T/live/lock")\$" <(awk '{print $6}' /proc/locks)
    [ "$status" -eq 1 ]
    # a copy of every longrun's dir, with down (and log/down) and an event fifodir
    [ "$(ls "$T/live/servicedirs" | tr '\n' ' ')" = "$LONGRUNS " ]
    for n in $LONGRUNS; do
        d=$T/live/servicedirs/$n
        [ -f "$d/down" ] && [ ! -s "$d/down" ]
        [ "$(stat -c %a "$d/event")" = 3730 ]
        no_fifo "$d"
        cmp "$d/run" "$T/db/servicedirs/$n/run"
        [ ! -e "$T/db/servicedirs/$n/down" ]
    done
    [ -f "$T/live/servicedirs/web2/log/down" ]
    # SCANDIR/PREFIX+NAME -> LIVE/servicedirs/NAME, through the LIVE link
    [ "$(scan_names "$T/scan")" = "rc-p rc-plog rc-s6rc-fdholder rc-s6rc-oneshot-runner rc-web rc-web2 " ]
    for n in $LONGRUNS; do
        [ "$(readlink "$T/scan/rc-$n")" = "$T/live/servicedirs/$n" ]
    done
    # every supervisor (and web2's logger's) runs, and nothing was started
    for n in $LONGRUNS web2/log; do
        svok "$T/live/servicedirs/$n"
        [ "$(svstat -o up "$T/live/servicedirs/$n")" = false ]
    done
    [ -z "$(ls "$T" | grep '^ran-')" ]
    # the oneshot has no service dir, and the db is untouched
    [ ! -e "$T/live/servicedirs/job" ] && [ ! -e "$T/scan/rc-job" ]
    rc-db -c "$T/db" check
    stop_scan "$T/scan"
}

@test "rc-init: 40 longruns: waits for every supervisor (more than one poll window)" {
    local s=$T/many i
    for i in $(seq 10 49); do
        mkdir -p "$s/s$i"
        echo longrun > "$s/s$i/type"
        printf '#!/bin/sh\nexec sleep 100000\n' > "$s/s$i/run"
    done
    rc-compile "$T/mdb" "$s"
    start_scan "$T/scan"
    run --separate-stderr rc-init -c "$T/mdb" -l "$T/live" -t 20000 "$T/scan"
    [ "$status" -eq 0 ] && [ -z "$stderr" ]
    [ "$(ls "$T/scan" | wc -l)" = 41 ]
    [ "$(ls "$T/live/servicedirs" | wc -l)" = 41 ]
    for n in $(ls "$T/live/servicedirs"); do
        svok "$T/live/servicedirs/$n"
        no_fifo "$T/live/servicedirs/$n"
    done
    cmp "$T/live/state" <(head -c 41 /dev/zero)
    stop_scan "$T/scan"
}

@test "rc-init: without -p the names are the services' own" {
    start_scan "$T/scan"
    init "$T/scan"
    [ "$(scan_names "$T/scan")" = "$LONGRUNS " ]
    [ ! -s "$T/live/prefix" ]
    for n in $LONGRUNS; do svok "$T/scan/$n"; done
    stop_scan "$T/scan"
}

@test "rc-init: idempotent for the same db, scandir and prefix; 100 for another" {
    start_scan "$T/scan"
    init -p rc- "$T/scan"
    real=$(readlink "$T/live")
    printf '\001\000\000\000\000\000\000' > "$T/live/state" # as rc would have left it
    sup=$(sv_of "$T/scan" "$T/$real/servicedirs/web")
    init -p rc- "$T/scan"
    # nothing changed: same directory, same state, same supervisors, no new link
    [ "$(readlink "$T/live")" = "$real" ]
    [ "$(ls "$T" | grep -c '^live:')" = 1 ]
    [ "$(od -An -tu1 "$T/live/state" | tr -s ' ')" = " 1 0 0 0 0 0 0" ]
    [ "$(sv_of "$T/scan" "$T/$real/servicedirs/web")" = "$sup" ]
    [ "$(scan_names "$T/scan")" = "rc-p rc-plog rc-s6rc-fdholder rc-s6rc-oneshot-runner rc-web rc-web2 " ]
    # -d on a symlink to the same db counts as the same db
    ln -s db "$T/current"
    run --separate-stderr rc-init -d -c "$T/current" -l "$T/live" -p rc- "$T/scan"
    [ "$status" -eq 0 ] && [ -z "$stderr" ]
    msg="rc-init: fatal: live directory $T/live already exists with another database, scandir or prefix"
    expect_fail 100 "$msg" rc-init -c "$T/db" -l "$T/live" -p other- "$T/scan"
    expect_fail 100 "$msg" rc-init -c "$T/db" -l "$T/live" "$T/scan"
    rc-compile "$T/db2" "$T/src"
    expect_fail 100 "$msg" rc-init -c "$T/db2" -l "$T/live" -p rc- "$T/scan"
    mkdir "$T/scan2"
    expect_fail 100 "$msg" rc-init -c "$T/db" -l "$T/live" -p rc- "$T/scan2"
    [ "$(readlink "$T/live")" = "$real" ]
    stop_scan "$T/scan"
}

@test "rc-init: a locked live state: 111 at once, or -b waits for the lock" {
    start_scan "$T/scan"
    init "$T/scan"
    hold_lock "$T/live/lock"
    holder=$(tail -1 "$T/pids")
    expect_fail 111 "rc-init: fatal: unable to lock $T/live/lock: Device or resource busy" \
        rc-init -c "$T/db" -l "$T/live" "$T/scan"
    rc-init -b -c "$T/db" -l "$T/live" "$T/scan" 2>"$T/err" &
    pid=$!
    track_pid $pid
    sleep 0.3
    run gone $pid # still waiting for the lock
    [ "$status" -eq 1 ]
    kill "$holder"
    wait $pid
    [ ! -s "$T/err" ]
    stop_scan "$T/scan"
}

@test "rc-init: -d resolves the bootdb symlink first, and then takes a relative one" {
    start_scan "$T/scan"
    ln -s db "$T/current"
    (cd "$T" && rc-init -d -c current -l "$T/live" -t 10000 "$T/scan")
    [ "$(readlink "$T/live/compiled")" = "$T/db" ]
    stop_scan "$T/scan"
    rm -rf "$T/scan" "$T/live" "$T"/live:*
    start_scan "$T/scan"
    init -c "$T/current" "$T/scan"   # the last -c wins: the link, not followed
    [ "$(readlink "$T/live/compiled")" = "$T/current" ]
    for n in $LONGRUNS; do svok "$T/scan/$n"; done
    stop_scan "$T/scan"
}

@test "rc-init: -t: supervisors that do not start: 111 naming them, everything undone" {
    fake_scan "$T/scan"
    expect_fail 111 \
        "rc-init: fatal: timed out waiting for the supervisors of: p plog s6rc-fdholder s6rc-oneshot-runner web web2 web2/log" \
        rc-init -c "$T/db" -l "$T/live" -p x- -t 300 "$T/scan"
    # the scanner was told to scan, then to scan again once the links were gone
    read -r -t 2 -N 2 sent <&4
    [ "$sent" = aa ]
    [ ! -e "$T/live" ] && [ ! -L "$T/live" ] && [ ! -e "$T/live.new" ]
    [ -z "$(ls "$T" | grep '^live')" ]
    [ -z "$(scan_names "$T/scan")" ]
}

@test "rc-init: no svscan on scandir: a warning, the live state is made, nothing waited for" {
    mkdir "$T/scan"
    run --separate-stderr rc-init -c "$T/db" -l "$T/live" -t 10000 "$T/scan"
    [ "$status" -eq 0 ]
    [ "$stderr" = "rc-init: warning: svscan not running on $T/scan" ]
    [ "$(scan_names "$T/scan")" = "$LONGRUNS " ]
    cmp "$T/live/state" <(head -c 7 /dev/zero)
    # a scanner started later finds every service down
    start_scan "$T/scan"
    for n in $LONGRUNS; do wait_for 5 supervised "$T/scan/$n"; done
    [ "$(svstat -o up "$T/scan/web")" = false ]
    stop_scan "$T/scan"
}

@test "rc-init: bad options and relative paths" {
    expect_usage rc-init
    expect_usage rc-init -x /scan
    expect_usage rc-init -t 1s /scan
    expect_usage rc-init -t -5 /scan
    expect_usage rc-init /scan /other
    expect_usage rc-init -c
    expect_fail 100 "rc-init: fatal: scandir must be an absolute path" \
        rc-init -c "$T/db" -l "$T/live" scan
    expect_fail 100 "rc-init: fatal: live must be an absolute path" \
        rc-init -c "$T/db" -l live "$T/scan"
    expect_fail 100 "rc-init: fatal: bootdb must be an absolute path" \
        rc-init -c db -l "$T/live" "$T/scan"
    expect_fail 100 "rc-init: fatal: invalid prefix" \
        rc-init -c "$T/db" -l "$T/live" -p a/b "$T/scan"
    [ ! -e "$T/live" ]
}

@test "rc-init: a missing or unusable scandir, a missing or invalid db: exact errors, nothing made" {
    expect_fail 111 "rc-init: fatal: unable to stat $T/nope: No such file or directory" \
        rc-init -c "$T/db" -l "$T/live" "$T/nope"
    : > "$T/file"
    expect_fail 111 "rc-init: fatal: unable to use scandir $T/file: Not a directory" \
        rc-init -c "$T/db" -l "$T/live" "$T/file"
    mkdir "$T/scan"
    expect_fail 111 "rc-init: fatal: unable to load $T/nodb/db: No such file or directory" \
        rc-init -c "$T/nodb" -l "$T/live" "$T/scan"
    expect_fail 111 "rc-init: fatal: unable to resolve $T/nodb: No such file or directory" \
        rc-init -d -c "$T/nodb" -l "$T/live" "$T/scan"
    mkdir "$T/bad"
    printf 'keel-rc-db 1\ngarbage' > "$T/bad/db"
    expect_fail 4 "rc-init: fatal: invalid database: $T/bad/db" \
        rc-init -c "$T/bad" -l "$T/live" "$T/scan"
    # a db whose service dir is missing: undone
    rm -r "$T/db/servicedirs/web"
    run --separate-stderr rc-init -c "$T/db" -l "$T/live" "$T/scan"
    [ "$status" -eq 111 ]
    [[ $stderr == "rc-init: fatal: unable to stat $T/live:initial:"??????"/servicedirs/web: No such file or directory" ]]
    [ -z "$(ls "$T" | grep '^live')" ]
    [ -z "$(scan_names "$T/scan")" ]
    # LIVE exists but is no live state
    mkdir "$T/live"
    expect_fail 111 "rc-init: fatal: unable to read live state in $T/live: No such file or directory" \
        rc-init -c "$T/db" -l "$T/live" "$T/scan"
}
