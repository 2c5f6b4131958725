# Shared by the tests of the final-stage helpers (kill-all, umount-all, halt-final, reap-all):
# they take a whole system down, so they run only as or under pid 1 of a fresh child PID
# namespace with its own mount namespace, and every such run checks where it is first.
# shellcheck shell=bash

# in_ns_sh 'SH SCRIPT' [ARGS...]: runs the script with sh as pid 1 of a new PID and mount
# namespace (with its own /proc), ARGS as $1...; refuses (exit 90, running nothing) unless
# it is pid 1 of a PID namespace that is not the host's. For the script: poll SECONDS 'SH
# TEST' retries TEST until it holds; ms_since NS gives the milliseconds since a date +%s%N.
# Stdin is /dev/null; the namespace dies with its pid 1, or after 60 s.
in_ns_sh() {
    local script=$1; shift
    timeout -k 5 60 unshare --pid --fork --mount --mount-proc --kill-child sh -c '
        [ "$(readlink /proc/self/ns/pid)" != "$0" ] && [ "$$" = 1 ] ||
            { echo "in_ns: not pid 1 of a child PID namespace" >&2; exit 90; }
        mount --make-rprivate /
        poll() {
            _n=$(( $1 * 50 ))
            until eval "$2"; do
                _n=$((_n - 1)); [ "$_n" -gt 0 ] || { echo "poll: timed out: $2" >&2; return 1; }
                sleep 0.02
            done
        }
        ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
        _script=$1; shift
        eval "$_script"' "$HOST_PIDNS" "$script" "$@" </dev/null 3>&-
}

# in_ns CMD...: runs CMD as a child of such a pid 1 (so kill(-1) spares nobody but the two)
# and exits with CMD's status.
in_ns() {
    # shellcheck disable=SC2016
    in_ns_sh '"$@"' "$@"
}
