#!/usr/bin/env bats
# Composition as users write it: the chainloaders as one chain, from a POSIX sh script, from an
# execline script, and mixed with s6's own tools (replacing one program at a time).

load helper

setup() {
    keel_setup
    mkdir "$T/env"
    echo "chained value" > "$T/env/VAR"
    : > "$T/env/HOME"
    need_root
}

@test "chain from a POSIX sh run script" {
    cat > "$T/run" <<EOF
#!/bin/sh
exec envdir $T/env setuidgid nobody softlimit -o 64 sh -c 'echo "\$VAR|\${HOME-unset}|\$(id -u)|\$(id -G)|\$(ulimit -n)"'
EOF
    chmod 755 "$T/run"
    run "$T/run"
    [ "$status" -eq 0 ]
    [ "$output" = "chained value|unset|$(id -u nobody)|$(id -G nobody)|64" ]
}

@test "chain from an execline script" {
    need_cmd execlineb
    cat > "$T/run" <<EOF
#!$(command -v execlineb) -P
envdir $T/env
setuidgid nobody
softlimit -o 64
setsid
sh -c "echo \"\$VAR|\$(id -u)|\$(ulimit -n)\""
EOF
    chmod 755 "$T/run"
    run "$T/run"
    [ "$status" -eq 0 ]
    [ "$output" = "chained value|$(id -u nobody)|64" ]
}

@test "chain given to execlineb -c" {
    need_cmd execlineb
    run execlineb -Pc "envdir $T/env softlimit -o 50 sh -c \"echo \\\$VAR \\\$(ulimit -n)\""
    [ "$status" -eq 0 ]
    [ "$output" = "chained value 50" ]
}

@test "keel and s6 tools mix in one chain" {
    need_s6 s6-envdir
    need_s6 s6-softlimit
    run s6-envdir "$T/env" setuidgid nobody s6-softlimit -o 64 softlimit -o 32 \
        s6-setsid sh -c 'echo "$VAR|$(id -u)|$(ulimit -n)"'
    [ "$status" -eq 0 ]
    [ "$output" = "chained value|$(id -u nobody)|32" ]
}

@test "an exec failure at the end of a chain is reported by the last link" {
    expect_fail 127 "softlimit: fatal: unable to exec /nonexistent/keel-missing: No such file or directory" \
        envdir "$T/env" setuidgid nobody softlimit -o 64 /nonexistent/keel-missing
    # after setuidgid, nobody may not even look into a private directory
    mkdir -m 700 "$T/private"
    expect_fail 126 "softlimit: fatal: unable to exec $T/private/missing: Permission denied" \
        envdir "$T/env" setuidgid nobody softlimit -o 64 "$T/private/missing"
}

@test "setlock in a chain holds the lock only while the program runs" {
    run --separate-stderr setlock -n "$T/lock" envdir "$T/env" sh -c 'setlock -n "$1" true; echo inner=$?' sh "$T/lock"
    [ "$status" -eq 0 ]
    [ "$output" = "inner=1" ]
    [ "$stderr" = "setlock: fatal: unable to lock $T/lock: Device or resource busy" ]
    run setlock -n "$T/lock" true
    [ "$status" -eq 0 ]
}

@test "tai64n stamps survive a round trip through tai64nlocal" {
    run sh -c "printf 'one\ntwo\n' | tai64n | TZ=UTC tai64nlocal"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2 ]
    [[ "${lines[0]}" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}\ one$ ]]
    [[ "${lines[1]}" =~ \ two$ ]]
}
