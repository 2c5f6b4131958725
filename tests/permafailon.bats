#!/usr/bin/env bats
# permafailon: exit 125 if the death tally holds COUNT matching deaths from the last SECS
# seconds, else exec into prog. Tally files are written here record by record.

load helper

# If a test fails halfway, its services outlive their killed supervisor: kill every process
# still working in this test's directory.
teardown() {
    local p
    for p in /proc/[0-9]*; do
        case $(readlink "$p/cwd" 2>/dev/null) in "$T"/*) kill -9 "${p#/proc/}" 2>/dev/null ;; esac
    done
    keel_teardown
}

setup() {
    keel_setup
    mkdir -p "$T/svc/supervise"
    : > "$T/svc/supervise/death_tally"
}

# death AGE EXITBYTE SIG: appends a death_tally record for a death AGE seconds ago (14 bytes:
# TAI64N label = 2^62 + unix + 37, nanoseconds 0, then the exit byte and the signal byte).
death() {
    local label=$(( (1 << 62) + $(date +%s) - $1 + 37 ))
    printf '%016x%08x%02x%02x' "$label" 0 "$2" "$3" | xxd -r -p >> "$T/svc/supervise/death_tally"
}

# pf ARGS...: permafailon run in the service dir, as a finish script would be.
pf() { (cd "$T/svc" && permafailon "$@"); }
s6pf() { (cd "$T/svc" && s6-permafailon "$@"); }

info_line() {
    echo "permafailon: info: PERMANENT FAILURE triggered after $1 events involving $2 in the last $3 seconds"
}

@test "permafailon: too few matching deaths: exec into prog" {
    run pf 60 2 1 echo prog ran
    [ "$status" -eq 0 ] && [ "$output" = "prog ran" ]
    death 5 1 0
    run pf 60 2 1 echo prog ran
    [ "$status" -eq 0 ] && [ "$output" = "prog ran" ]
}

@test "permafailon: COUNT deaths with a listed exit code in the window: 125 and the info line" {
    death 5 1 0
    death 3 1 0
    expect_fail 125 "$(info_line 2 'exit code 1' 60)" pf 60 2 1 echo not run
    [ -z "$output" ]
}

@test "permafailon: deaths older than SECS do not count" {
    death 100 1 0
    death 90 1 0
    death 2 1 0
    run --separate-stderr pf 60 2 1 echo prog ran
    [ "$status" -eq 0 ] && [ "$output" = "prog ran" ] && [ -z "$stderr" ]
    expect_fail 125 "$(info_line 2 'exit code 1' 95)" pf 95 2 1 echo not run
    expect_fail 125 "$(info_line 3 'exit code 1' 200)" pf 200 3 1 echo not run
}

@test "permafailon: unlisted exit codes and signals do not count" {
    death 5 2 0
    death 4 137 9
    death 3 1 0
    run pf 60 2 1,SIGTERM echo prog ran
    [ "$status" -eq 0 ] && [ "$output" = "prog ran" ]
}

@test "permafailon: signals by name, SIG-less, lowercase and sigNN; the report names the signal" {
    death 5 143 15
    death 4 143 15
    for spec in SIGTERM TERM sigterm term sig15 SIG15; do
        expect_fail 125 "$(info_line 2 'signal 15' 30)" pf 30 2 "$spec" echo not run
    done
    run pf 30 2 SIGKILL echo prog ran
    [ "$status" -eq 0 ] && [ "$output" = "prog ran" ]
}

@test "permafailon: the exit byte 128+N of a signal death matches too, reported as the signal" {
    death 5 143 15
    expect_fail 125 "$(info_line 1 'signal 15' 30)" pf 30 1 143 true
}

@test "permafailon: ranges, separators, and the report names the COUNTth match" {
    death 6 3 0
    death 5 9 0
    death 4 7 0
    death 3 5 0
    expect_fail 125 "$(info_line 3 'exit code 7' 60)" pf 60 3 '2-4;7 , 8-9' true
    expect_fail 125 "$(info_line 2 'exit code 5' 60)" pf 60 2 "$(printf '5\t3\n')" true
    expect_fail 125 "$(info_line 1 'exit code 3' 60)" pf 60 1 '0-255,,' true
    run pf 60 1 4-4,6 echo prog ran
    [ "$output" = "prog ran" ]
}

@test "permafailon: COUNT above 4096 is clamped, not an error" {
    death 5 1 0
    run pf 60 5000 1 echo prog ran
    [ "$status" -eq 0 ] && [ "$output" = "prog ran" ]
}

@test "permafailon: without prog, exits 0 when there is no failure" {
    run pf 60 1 1
    [ "$status" -eq 0 ] && [ -z "$output" ]
    death 1 1 0
    expect_fail 125 "$(info_line 1 'exit code 1' 60)" pf 60 1 1
}

@test "permafailon: a missing or damaged tally is a warning, and prog runs" {
    rm "$T/svc/supervise/death_tally"
    run --separate-stderr pf 60 1 1 echo prog ran
    [ "$status" -eq 0 ] && [ "$output" = "prog ran" ]
    [ "$stderr" = "permafailon: warning: unable to stat supervise/death_tally: No such file or directory" ]
    printf 'garbage' > "$T/svc/supervise/death_tally"
    run --separate-stderr pf 60 1 1 echo prog ran
    [ "$status" -eq 0 ] && [ "$output" = "prog ran" ]
    [ "$stderr" = "permafailon: warning: invalid supervise/death_tally" ]
    # More records than any supervisor keeps (4096).
    head -c $((14 * 4097)) /dev/zero > "$T/svc/supervise/death_tally"
    run --separate-stderr pf 60 1 1 echo prog ran
    [ "$output" = "prog ran" ]
    [ "$stderr" = "permafailon: warning: invalid supervise/death_tally" ]
}

@test "permafailon: usage errors" {
    expect_usage permafailon
    expect_usage permafailon 60 1
    expect_usage permafailon x 1 1 true
    expect_usage permafailon 60 0 1 true
    expect_usage permafailon 60 -1 1 true
    expect_usage permafailon 60 1x 1 true
}

@test "permafailon: bad status lists" {
    expect_fail 100 'permafailon: fatal: invalid exit code' pf 60 1 256 true
    expect_fail 100 'permafailon: fatal: invalid exit code' pf 60 1 1-300 true
    expect_fail 100 'permafailon: fatal: invalid interval' pf 60 1 5-3 true
    expect_fail 100 'permafailon: fatal: invalid interval specification' pf 60 1 5- true
    expect_fail 100 'permafailon: fatal: invalid interval specification' pf 60 1 5-x true
    expect_fail 100 'permafailon: fatal: invalid signal' pf 60 1 sig0 true
    expect_fail 100 'permafailon: fatal: invalid signal' pf 60 1 sig99 true
    expect_fail 100 'permafailon: fatal: invalid status list specification' pf 60 1 ,1 true
    expect_fail 100 'permafailon: fatal: invalid status list specification' pf 60 1 TERM,x true
    expect_fail 100 'permafailon: fatal: invalid status list specification' pf 60 1 1x true
    expect_fail 100 'permafailon: fatal: invalid status list specification' pf 60 1 sig1x true
}

@test "permafailon: prog that cannot be run: 127, 126" {
    expect_fail 127 'permafailon: fatal: unable to exec /nonexistent: No such file or directory' \
        pf 60 1 1 /nonexistent
    printf 'x' > "$T/noexec"
    expect_fail 126 "permafailon: fatal: unable to exec $T/noexec: Permission denied" \
        pf 60 1 1 "$T/noexec"
}

@test "permafailon: same answers as s6-permafailon" {
    need_s6 s6-permafailon
    death 6 3 0
    death 5 143 15
    death 4 1 0
    death 200 1 0
    for args in "60 1 1" "60 2 1" "300 2 1" "60 1 SIGTERM" "60 2 1,SIGTERM" "60 1 143" \
        "60 2 sig15,3" "60 3 0-255" "60 4 0-255" "60 1 256" "60 1 5-3" "60 1 5-" "60 1 sig0" \
        "60 1 ,1" "60 1 TERM,x" "60 0 1" "x 1 1" "60 1 1 /nonexistent"; do
        # shellcheck disable=SC2086
        k=$(pf $args echo prog ran 2>&1; echo "exit $?")
        # shellcheck disable=SC2086
        s=$(s6pf $args echo prog ran 2>&1; echo "exit $?")
        [ "$k" = "$(sed 's/s6-permafailon/permafailon/g' <<<"$s")" ] ||
            { echo "args: $args"; echo "keel: $k"; echo "s6:   $s"; false; }
    done
}

# The status flags byte (offset 34): bit 2 is wantup.
wantup() { echo $(( $(od -An -tu1 -j34 -N1 "$1/supervise/status") >> 2 & 1 )); }

@test "permafailon as finish script: the second failure stops restarts (O, want down)" {
    for sv in $(supervisors); do
        d=$T/pf-$(basename "$sv")
        make_service "$d" 'exit 1'
        printf '#!/bin/sh\nexec %s 60 2 1 true\n' "$KEEL_BIN/permafailon" > "$d/finish"
        chmod 755 "$d/finish"
        mkdir -m 3730 "$d/event"
        record_events "$d" "$T/events"
        start_sv "$d" "$sv"
        # First death: one record, finish exits 0 (D), restart 1 s later; second: 125 (O D).
        wait_for 10 events_are "$T/events" sudDudOD
        [ "$(wantup "$d")" = 0 ]
        [ "$(stat -c %s "$d/supervise/death_tally")" = 28 ]
        grep -q "$(info_line 2 'exit code 1' 60 | sed 's/^permafailon: info: //')" "$d.log"
        stop_sv "$d"
    done
}
