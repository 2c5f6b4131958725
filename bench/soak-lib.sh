# Sourced by bench/soak.sh and bench/soak-valgrind.sh: the program their services run.
#
# soak_program PATH: compiles it to PATH (with ${CC:-cc}, static when it can: a static run
# shares no page with the supervisors measured). Run and finish at once, chosen by argv[0]:
#   ./finish ...  appends a byte to data/finishes, exits 0;
#   ./run NAME    appends a byte to data/starts (the start counter); with l in the FLAGS of its
#                 NAME (svNNN-FLAGS), writes 5 lines on stdout; with n, writes the readiness
#                 newline on fd 3, 3 times in 4; if data/hold exists, waits for a signal for ever;
#                 with s, sleeps a random 0-400 ms; then dies: exit 0, 1 or 2, or one time in 8
#                 SIGTERM, one in 8 SIGKILL.
soak_program() {
    cat > "$1.c" <<'EOF'
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void bump(const char *file)
{
    int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        if (write(fd, ".", 1) < 0) { /* nothing to do */ }
        close(fd);
    }
}

int main(int argc, char **argv)
{
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    if (strcmp(base, "finish") == 0) {
        bump("data/finishes");
        return 0;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    unsigned r = (unsigned)getpid() * 2654435761u ^ (unsigned)now.tv_nsec;
    r ^= r >> 13;
    r *= 0x5bd1e995u;
    r ^= r >> 15;
    const char *name = argc > 1 ? argv[1] : "";
    const char *flags = strchr(name, '-');
    flags = flags ? flags + 1 : "";
    bump("data/starts");
    if (strchr(flags, 'l')) {
        char line[512];
        int n = 0;
        for (int k = 1; k <= 5; k++)
            n += snprintf(line + n, sizeof line - (size_t)n, "%s: start, pid %d, line %d of 5\n",
                          name, (int)getpid(), k);
        if (write(1, line, (size_t)n) < 0) { /* the logger is gone: nothing to do */ }
    }
    if (strchr(flags, 'n') && r % 4 != 0 && write(3, "\n", 1) < 0) { /* nothing to do */ }
    if (access("data/hold", F_OK) == 0)
        for (;;) pause(); /* held up: until a signal kills it */
    if (strchr(flags, 's')) {
        struct timespec d = {0, (long)((r >> 4) % 400) * 1000000L};
        nanosleep(&d, 0);
    }
    switch ((r >> 12) % 8) {
    case 0: raise(SIGKILL); break;
    case 1: raise(SIGTERM); break;
    default: break;
    }
    return (int)((r >> 16) % 3);
}
EOF
    ${CC:-cc} -static -Os -o "$1" "$1.c" 2>/dev/null || ${CC:-cc} -Os -o "$1" "$1.c"
}
