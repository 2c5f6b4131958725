#!/usr/bin/env bats
# rc-update: switching a live state under a real svscan to another compiled db. What stays up
# keeps its process (same pid) and its supervisor, even with new definition files or a new
# name; what the convfile restarts, what changes type and what depends on a restarted or newly
# needed service restarts; what is gone is stopped and its supervisor exits; new longruns get
# a supervisor, down. LIVE ends on a LIVE:update:* dir, the old dir removed. -n changes
# nothing; the convfile's errors (3, 5, 6, 100) name the line; an invalid db is 4.

load helper

# src_service DIR NAME TYPE: a service definition; a longrun sleeps, and touches
# $T/ran-NAME first so a (re)start can be seen; a oneshot touches $T/up-NAME / $T/down-NAME.
src_service() {
    local d=$1/$2
    mkdir -p "$d"
    echo "$3" > "$d/type"
    if [ "$3" = longrun ]; then
        printf '#!/bin/sh\necho x >> %s/ran-%s\nexec sleep 100000\n' "$T" "$2" > "$d/run"
        chmod 755 "$d/run"
    else
        echo "touch $T/up-$2" > "$d/up"
        echo "rm -f $T/up-$2" > "$d/down"
    fi
}
dep() { mkdir -p "$1/$2/dependencies.d" && : > "$1/$2/dependencies.d/$3"; }

# The first db, $T/db1: longruns a, b (depends on a), c and gone; oneshot o.
setup() {
    keel_setup
    S1=$T/src1
    for n in a b c gone; do src_service "$S1" $n longrun; done
    src_service "$S1" o oneshot
    dep "$S1" b a
    rc-compile "$T/db1" "$S1"
}

# copy_src NAME: $T/NAME, a copy of the first source tree to edit into the next db.
copy_src() { cp -a "$S1" "$T/$1"; }

# boot: svscan on $T/scan, rc-init on db1 with the prefix rc-.
boot() {
    start_scan "$T/scan"
    rc-init -c "$T/db1" -l "$T/live" -p rc- -t 10000 "$T/scan"
}

# up NAMES...: rc brings them up.
up() { rc -l "$T/live" -t 20000 -u change "$@"; }

sd() { echo "$T/live/servicedirs/$1"; }
pid_of() { up_pid "$(sd "$1")"; }
sv_pid_of() { sv_of "$T/scan" "$(readlink -f "$(sd "$1")")"; }
upl() { rc -l "$T/live" -a list | tr '\n' ' '; }
real() { readlink "$T/live"; }

# update ARGS...: rc-update -l $T/live ARGS, which must succeed silently.
update() {
    run --separate-stderr rc-update -l "$T/live" -t 20000 "$@"
    [ "$status" -eq 0 ] && [ -z "$stderr" ] ||
        { echo "rc-update $*: status $status, stdout: $output, stderr: $stderr" >&2; false; }
}

@test "rc-update: changed run script, new oneshot, removed longrun: only what must change does" {
    boot
    up a b c gone o
    for n in a b c gone; do wait_for 5 is_up "$(sd $n)"; done
    pa=$(pid_of a); pb=$(pid_of b); pc=$(pid_of c)
    sva=$(sv_pid_of a); svgone=$(sv_pid_of gone)
    old=$(real)
    copy_src src2
    rm -r "$T/src2/gone"
    printf '#!/bin/sh\necho new >> %s/ran-a\nexec sleep 100001\n' "$T" > "$T/src2/a/run"
    src_service "$T/src2" n oneshot
    rc-compile "$T/db2" "$T/src2"
    update "$T/db2"
    # the same processes, a still runs its old program but has the new run file
    [ "$(pid_of a)" = "$pa" ] && [ "$(pid_of b)" = "$pb" ] && [ "$(pid_of c)" = "$pc" ]
    [ "$(sv_pid_of a)" = "$sva" ]
    [ "$(cat "$T/ran-a")" = x ]
    cmp "$(sd a)/run" "$T/db2/servicedirs/a/run"
    # nothing blocked: a still wanted up (no down file), restarted by its supervisor if killed
    [ ! -e "$(sd a)/down" ]
    kill "$pa"
    wait_for 5 grep -qx new "$T/ran-a"
    # the removed longrun: stopped, supervisor gone, link gone
    wait_for 5 gone "$svgone"
    [ ! -L "$T/scan/rc-gone" ] && [ ! -e "$(sd gone)" ]
    [ "$(ls "$T/scan" | tr '\n' ' ')" = "rc-a rc-b rc-c rc-s6rc-oneshot-runner " ]
    # LIVE switched, the old dir gone, the state in the new db's order
    [[ $(real) == live:update:?????? ]]
    [ ! -e "$T/$old" ]
    [ "$(readlink "$T/live/compiled")" = "$T/db2" ]
    [ "$(upl)" = "a b c o s6rc-oneshot-runner " ]
    [ -e "$T/up-o" ] && [ ! -e "$T/up-n" ]
    # the new oneshot runs through the (moved) oneshot runner with the new db
    up n
    [ -e "$T/up-n" ]
    stop_scan "$T/scan"
}

@test "rc-update: restart in the convfile restarts the service and what depends on it" {
    boot
    up a b c
    for n in a b c; do wait_for 5 is_up "$(sd $n)"; done
    pa=$(pid_of a); pb=$(pid_of b); pc=$(pid_of c)
    echo 'a restart  # forced' > "$T/conv"
    rc-compile "$T/db2" "$S1"
    update -f "$T/conv" "$T/db2"
    wait_for 5 is_up "$(sd a)"
    wait_for 5 is_up "$(sd b)"
    [ "$(pid_of a)" != "$pa" ] && [ "$(pid_of b)" != "$pb" ] && [ "$(pid_of c)" = "$pc" ]
    [ "$(grep -c x "$T/ran-a")" = 2 ] && [ "$(grep -c x "$T/ran-c")" = 1 ]
    [ "$(upl)" = "a b c " ]
    stop_scan "$T/scan"
}

@test "rc-update: a new dependency on a new or down service restarts the dependent" {
    boot
    up a b c
    for n in a b c; do wait_for 5 is_up "$(sd $n)"; done
    pa=$(pid_of a); pb=$(pid_of b); pc=$(pid_of c)
    copy_src src2
    src_service "$T/src2" d longrun
    dep "$T/src2" c d      # d is new
    dep "$T/src2" a gone   # gone is down
    rc-compile "$T/db2" "$T/src2"
    run rc-update -n -l "$T/live" "$T/db2"
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'stop a\nstop b\nstop c\nadd d\nstart a\nstart b\nstart c')" ]
    update "$T/db2"
    for n in a b c d gone; do wait_for 5 is_up "$(sd $n)"; done
    [ "$(pid_of a)" != "$pa" ] && [ "$(pid_of b)" != "$pb" ] && [ "$(pid_of c)" != "$pc" ]
    [ "$(upl)" = "a b c d gone " ]
    stop_scan "$T/scan"
}

@test "rc-update: a rename keeps the process; rc shows the new name" {
    boot
    up a b c
    for n in a b c; do wait_for 5 is_up "$(sd $n)"; done
    pc=$(pid_of c); svc=$(sv_pid_of c)
    copy_src src2
    mv "$T/src2/c" "$T/src2/c2"
    rc-compile "$T/db2" "$T/src2"
    printf '# rename\n\n"c" -> c2\n' > "$T/conv"
    run rc-update -n -f "$T/conv" -l "$T/live" "$T/db2"
    [ "$output" = "rename c c2" ]
    update -f "$T/conv" "$T/db2"
    [ "$(pid_of c2)" = "$pc" ] && [ "$(sv_pid_of c2)" = "$svc" ]
    [ ! -e "$(sd c)" ] && [ ! -L "$T/scan/rc-c" ]
    [ "$(readlink "$T/scan/rc-c2")" = "$T/live/servicedirs/c2" ]
    [ "$(upl)" = "a b c2 " ]
    [ ! -e "$(sd c2)/down" ]
    # without the convfile, c would be gone and c2 new: c stops, c2 stays down
    update "$T/db1"
    wait_for 5 gone "$svc"
    [ "$(upl)" = "a b " ]
    stop_scan "$T/scan"
}

@test "rc-update: a type change stops the old service and starts the new one" {
    boot
    up o a
    wait_for 5 is_up "$(sd a)"
    [ -e "$T/up-o" ]
    copy_src src2
    rm -r "$T/src2/o"
    src_service "$T/src2" o longrun
    rc-compile "$T/db2" "$T/src2"
    update "$T/db2"
    [ ! -e "$T/up-o" ]   # the oneshot's down ran
    wait_for 5 is_up "$(sd o)"
    [ "$(upl)" = "a o s6rc-oneshot-runner " ]
    # and back: the longrun becomes a oneshot again
    update "$T/db1"
    [ -e "$T/up-o" ] && [ ! -e "$(sd o)" ] && [ ! -L "$T/scan/rc-o" ]
    [ "$(upl)" = "a o s6rc-oneshot-runner " ]
    stop_scan "$T/scan"
}

@test "rc-update: everything down: the dir rebuilt, supervisors kept, added and removed" {
    boot
    sva=$(sv_pid_of a); svgone=$(sv_pid_of gone)
    old=$(real)
    copy_src src2
    rm -r "$T/src2/gone"
    src_service "$T/src2" d longrun
    rc-compile "$T/db2" "$T/src2"
    run rc-update -n -l "$T/live" "$T/db2"
    [ "$output" = "$(printf 'remove gone\nadd d')" ]
    [ "$(real)" = "$old" ]
    update "$T/db2"
    [ "$(sv_pid_of a)" = "$sva" ]
    wait_for 5 gone "$svgone"
    svok "$(sd d)"
    for n in a b c d; do [ -e "$(sd $n)/down" ] && [ "$(svstat -o up "$(sd $n)")" = false ]; done
    [ "$(ls "$T/scan" | tr '\n' ' ')" = "rc-a rc-b rc-c rc-d rc-s6rc-oneshot-runner " ]
    cmp "$T/live/state" <(head -c 6 /dev/zero)
    [ ! -e "$T/$old" ] && [ "$(ls "$T" | grep -c '^live:')" = 1 ]
    [ -z "$(ls "$T" | grep '^ran-')" ]
    # twice in a row, back to db1
    update "$T/db1"
    [ "$(sv_pid_of a)" = "$sva" ]
    svok "$(sd gone)"
    [ ! -e "$(sd d)" ] && [ "$(ls "$T" | grep -c '^live:')" = 1 ]
    [ "$(readlink "$T/live/compiled")" = "$T/db1" ]
    stop_scan "$T/scan"
}

@test "rc-update: -n prints the plan and changes nothing" {
    boot
    up a b c
    for n in a b c; do wait_for 5 is_up "$(sd $n)"; done
    pa=$(pid_of a); old=$(real)
    cp -a "$T/live/state" "$T/state.before"
    echo 'a restart' > "$T/conv"
    rc-compile "$T/db2" "$S1"
    run --separate-stderr rc-update -n -f "$T/conv" -l "$T/live" "$T/db2"
    [ "$status" -eq 0 ] && [ -z "$stderr" ]
    [ "$output" = "$(printf 'stop a\nstop b\nstart a\nstart b')" ]
    [ "$(real)" = "$old" ] && [ "$(pid_of a)" = "$pa" ]
    cmp "$T/live/state" "$T/state.before"
    [ "$(readlink "$T/live/compiled")" = "$T/db1" ]
    stop_scan "$T/scan"
}

@test "rc-update: essential services: -E (default) refuses to stop them (9), -e stops them" {
    : > "$S1/a/flag-essential"
    rm -rf "$T/db1"
    rc-compile "$T/db1" "$S1"
    boot
    up a b
    wait_for 5 is_up "$(sd b)"
    pa=$(pid_of a); old=$(real)
    echo 'a restart' > "$T/conv"
    expect_fail 9 "rc-update: fatal: refusing to stop essential service a (use -e)" \
        rc-update -f "$T/conv" -l "$T/live" "$T/db1"
    [ "$(real)" = "$old" ] && [ "$(pid_of a)" = "$pa" ]
    update -e -f "$T/conv" "$T/db1"
    wait_for 5 is_up "$(sd a)"
    [ "$(pid_of a)" != "$pa" ]
    stop_scan "$T/scan"
}

@test "rc-update: convfile errors name the line: 3, 5, 6, 100; nothing changed" {
    boot
    old=$(real)
    mkdir -p "$T/src1/all/contents.d"
    echo bundle > "$T/src1/all/type"; : > "$T/src1/all/contents.d/a"
    rc-compile "$T/db2" "$S1"
    conv() {
        printf "$1" > "$T/conv"
        expect_fail "$2" "rc-update: fatal: $T/conv line $3: $4" \
            rc-update -f "$T/conv" -l "$T/live" "$T/db2"
    }
    conv 'a\nnope\n' 3 2 "unknown service: nope"
    conv 'a -> zz\n' 3 1 "unknown service in $T/db2: zz"
    conv 'b restart\ns6rc-oneshot-runner\nb\n' 6 3 "service b appears more than once"
    conv 'a -> c\n' 6 1 "new service c would replace both a and c"
    conv 'a "unterminated\n' 100 1 "syntax error"
    conv 'a bounce\n' 100 1 "unknown keyword: bounce"
    conv 'a ->\n' 100 1 "-> without a new name"
    # a bundle of the live db is no atomic service (db2 as the live db)
    update "$T/db2"
    old=$(real)
    conv '\n\nall restart\n' 5 3 "all is a bundle, not an atomic service"
    [ "$(real)" = "$old" ]
    stop_scan "$T/scan"
}

@test "rc-update: invalid or missing db, locked live state, bad options" {
    boot
    old=$(real)
    mkdir "$T/bad"
    printf 'keel-rc-db 1\ngarbage' > "$T/bad/db"
    expect_fail 4 "rc-update: fatal: invalid database: $T/bad/db" rc-update -l "$T/live" "$T/bad"
    expect_fail 111 "rc-update: fatal: unable to load $T/nodb/db: No such file or directory" \
        rc-update -l "$T/live" "$T/nodb"
    expect_fail 111 "rc-update: fatal: unable to read $T/noconv: No such file or directory" \
        rc-update -f "$T/noconv" -l "$T/live" "$T/db1"
    expect_fail 111 "rc-update: fatal: unable to read live state in $T/nolive: No such file or directory" \
        rc-update -l "$T/nolive" "$T/db1"
    hold_lock "$T/live/lock"
    expect_fail 111 "rc-update: fatal: unable to lock $T/live/lock: Device or resource busy" \
        rc-update -l "$T/live" "$T/db1"
    expect_fail 100 "rc-update: fatal: newdb must be an absolute path" rc-update -l "$T/live" db1
    expect_fail 100 "rc-update: fatal: live must be an absolute path" rc-update -l live "$T/db1"
    expect_usage rc-update
    expect_usage rc-update -x "$T/db1"
    expect_usage rc-update -v x "$T/db1"
    expect_usage rc-update -t 1s "$T/db1"
    expect_usage rc-update "$T/db1" "$T/db1"
    expect_usage rc-update -f
    [ "$(real)" = "$old" ] && [ "$(ls "$T" | grep -c '^live:')" = 1 ]
    stop_scan "$T/scan"
}

@test "rc-update: a failure while building: moved dirs put back with their definitions, 111" {
    boot
    sva=$(sv_pid_of a); old=$(real)
    copy_src src2
    printf '#!/bin/sh\nexec sleep 100001\n' > "$T/src2/a/run"
    src_service "$T/src2" zz longrun
    rc-compile "$T/db2" "$T/src2"
    rm -r "$T/db2/servicedirs/zz"
    run --separate-stderr rc-update -l "$T/live" "$T/db2"
    [ "$status" -eq 111 ]
    [[ $stderr == "rc-update: fatal: unable to copy $T/db2/servicedirs/zz to $T/live:update:"??????"/servicedirs/zz: No such file or directory" ]]
    [ "$(real)" = "$old" ] && [ "$(ls "$T" | grep -c '^live:')" = 1 ]
    [ "$(sv_pid_of a)" = "$sva" ]
    cmp "$(sd a)/run" "$T/db1/servicedirs/a/run"
    [ "$(ls "$T/scan" | tr '\n' ' ')" = "rc-a rc-b rc-c rc-gone rc-s6rc-oneshot-runner " ]
    for n in a b c gone; do [ -e "$(sd $n)/down" ]; svok "$(sd $n)"; done
    stop_scan "$T/scan"
}
