// The native stand-in for a foreign keel program under qemu-user (tests/cross/run.sh), so that
// a test, or a keel program, can exec it by name or path as it would exec the real one.
//
// Installed as copies DIR/NAME of this program; the path of the copy (/proc/self/exe: what
// argv[0] says does not matter, and a symlink to the copy works too) picks the program: it execs
//   DIR/.qemu/NAME -0 ARGV0 DIR/.target/NAME ARGS...
// where DIR/.qemu/NAME is a symlink to qemu-ARCH (so the process's comm is NAME, as natively)
// and DIR/.target/NAME one to the foreign program. Everything else reaches qemu untouched:
// environment, descriptors, signal dispositions and mask (a shell script would add PWD).
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv)
{
    char self[4096];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0 || n >= static_cast<ssize_t>(sizeof self) - 1 || argc < 1) {
        std::fputs("keel-qemu-wrap: fatal: unable to read /proc/self/exe\n", stderr);
        return 111;
    }
    self[n] = '\0';
    const char* slash = std::strrchr(self, '/');
    if (!slash) return 111;
    const char* name = slash + 1;
    const int dirlen = static_cast<int>(slash - self);
    char qemu[4096], target[4096];
    if (std::snprintf(qemu, sizeof qemu, "%.*s/.qemu/%s", dirlen, self, name) >= int(sizeof qemu) ||
        std::snprintf(target, sizeof target, "%.*s/.target/%s", dirlen, self, name) >= int(sizeof target)) {
        std::fputs("keel-qemu-wrap: fatal: path too long\n", stderr);
        return 111;
    }
    char** args = static_cast<char**>(std::calloc(static_cast<size_t>(argc) + 4, sizeof *args));
    if (!args) return 111;
    args[0] = qemu;
    args[1] = const_cast<char*>("-0");
    args[2] = argv[0];
    args[3] = target;
    for (int i = 1; i < argc; i++) args[i + 3] = argv[i];
    execv(qemu, args);
    std::fprintf(stderr, "keel-qemu-wrap: fatal: unable to exec %s: %s\n", qemu, std::strerror(errno));
    return errno == ENOENT ? 127 : 126;
}
