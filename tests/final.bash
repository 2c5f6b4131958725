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

# --- A root of the test's own -----------------------------------------------------------------
# umount-all remounts file systems read-only, which changes them even from a private mount
# namespace: it runs only after pivot_root into a tmpfs root where every mount is the test's.
# Both strings are pieces of an in_ns_sh script that sets R (the new root's path) first.

# ROOT_COPY defines root_copy PROG [DEST]: copies PROG to $R/DEST (default: the same path), and
# every library that ldd lists for it to the same path under $R.
# shellcheck disable=SC2016,SC2034
ROOT_COPY='
root_copy_file() { mkdir -p "$R${2%/*}"; cp -L "$1" "$R$2"; }
root_copy() {
    root_copy_file "$1" "${2:-$1}"
    for _lib in $(ldd "$1" 2>/dev/null | awk '\''$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'\''); do
        [ -e "$R$_lib" ] || root_copy_file "$_lib" "$_lib"
    done
}
'

# ROOT_PIVOT: pivot_root into $R, detach the old root, and refuse (exit 92) unless every mount
# left is a test tmpfs (source keeltest-*, or a bind of one) or a test proc (keeltest-proc),
# with exactly one root. PATH is /bin afterwards.
# shellcheck disable=SC2016,SC2034
ROOT_PIVOT='
mkdir -p "$R/old"
cd "$R"
pivot_root . old
cd /
umount -l /old
set +e
export PATH=/bin
_roots=0
while read -r _id _parent _dev _root _mp _opts _rest; do
    set -- ${_rest#*- }
    case "$1:$2" in
        tmpfs:keeltest-*|proc:keeltest-proc) ;;
        *) printf "foreign mount: %s %s %s\n" "$_mp" "$1" "$2" >&2; exit 92 ;;
    esac
    [ "$_mp" != / ] || _roots=$((_roots + 1))
done < /proc/self/mountinfo
[ "$_roots" = 1 ] || { echo "no test root" >&2; exit 92; }
'
