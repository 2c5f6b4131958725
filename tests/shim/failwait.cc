// Fault injection for tests (LD_PRELOAD): waitpid() fails with EINVAL in the process whose pid
// is written in the file named by $KEEL_FAIL_WAIT, once that file exists. Other processes
// that inherit the preload are left alone. Used by tests/svscan.bats to reach svscan's crash
// path, which no outside event can trigger.
#include <cerrno>
#include <cstdlib>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

namespace {

bool should_fail()
{
    const char* file = std::getenv("KEEL_FAIL_WAIT");
    if (!file) return false;
    const int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buf[32];
    const ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return false;
    buf[n] = 0;
    return std::atol(buf) == static_cast<long>(getpid());
}

} // namespace

extern "C" pid_t waitpid(pid_t pid, int* wstat, int options)
{
    using Fn = pid_t (*)(pid_t, int*, int);
    static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "waitpid"));
    const int e = errno;
    if (should_fail()) {
        errno = EINVAL;
        return -1;
    }
    errno = e;
    return real(pid, wstat, options);
}
