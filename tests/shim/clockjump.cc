// Fault injection for tests (LD_PRELOAD): the wall clock jumps. CLOCK_REALTIME (and its
// coarse variant), gettimeofday() and time() return the real time plus a number of seconds
// read, at every call, from the file named by $KEEL_CLOCK_OFFSET (absent or unreadable: 0).
// CLOCK_MONOTONIC and the other clocks are left alone: tests/fault-clock.bats checks that
// restart throttling and timeouts follow them, not the wall clock.
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

namespace {

long offset()
{
    const int e = errno;
    long v = 0;
    if (const char* file = std::getenv("KEEL_CLOCK_OFFSET")) {
        const int fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            char buf[32];
            const ssize_t n = read(fd, buf, sizeof buf - 1);
            close(fd);
            if (n > 0) {
                buf[n] = 0;
                v = std::strtol(buf, nullptr, 10);
            }
        }
    }
    errno = e;
    return v;
}

using ClockFn = int (*)(clockid_t, timespec*);

ClockFn real_clock()
{
    static ClockFn f = reinterpret_cast<ClockFn>(dlsym(RTLD_NEXT, "clock_gettime"));
    return f;
}

} // namespace

extern "C" int clock_gettime(clockid_t id, timespec* ts)
{
    const int r = real_clock()(id, ts);
    if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) ts->tv_sec += offset();
    return r;
}

// glibc declares tv nonnull; callers that pass NULL get what glibc would give them.
extern "C" int gettimeofday(timeval* tv, void*)
{
    timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) < 0) return -1;
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
    return 0;
}

extern "C" time_t time(time_t* t)
{
    timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) < 0) return static_cast<time_t>(-1);
    if (t) *t = ts.tv_sec;
    return ts.tv_sec;
}
