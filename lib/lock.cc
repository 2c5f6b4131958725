// POSIX record locks for keel/lock.h, with a timed wait built on a SIGALRM POSIX timer.
#include "keel/lock.h"

#include <cerrno>
#include <csignal>
#include <ctime>
#include <fcntl.h>

namespace keel {
namespace {

constexpr long ns_per_ms = 1000000;
constexpr long ns_per_s = 1000000000;
// After the deadline the timer keeps firing at this period, in case the first signal arrived
// between our deadline check and the F_SETLKW call and so interrupted nothing.
constexpr long refire_ns = 10 * ns_per_ms;

struct flock whole_file(short type) noexcept
{
    struct flock fl {};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 0;
    return fl;
}

short type_of(LockKind kind) noexcept
{
    return kind == LockKind::Exclusive ? F_WRLCK : F_RDLCK;
}

void on_alarm(int) noexcept {}

timespec now_monotonic() noexcept
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
}

bool reached(const timespec& deadline) noexcept
{
    const timespec now = now_monotonic();
    return now.tv_sec > deadline.tv_sec ||
           (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
}

// F_SETLKW until granted, a real error, or the deadline (errno ETIMEDOUT).
bool lock_until(int fd, struct flock& fl, std::int64_t timeout_ms) noexcept
{
    timespec deadline = now_monotonic();
    deadline.tv_sec += static_cast<time_t>(timeout_ms / 1000);
    deadline.tv_nsec += static_cast<long>(timeout_ms % 1000) * ns_per_ms;
    if (deadline.tv_nsec >= ns_per_s) {
        deadline.tv_nsec -= ns_per_s;
        ++deadline.tv_sec;
    }

    struct sigaction sa {}, old_sa;
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; // no SA_RESTART: the signal must make F_SETLKW fail with EINTR
    if (sigaction(SIGALRM, &sa, &old_sa) < 0) return false;

    sigevent sev {};
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGALRM;
    timer_t timer;
    if (timer_create(CLOCK_MONOTONIC, &sev, &timer) < 0) {
        const int e = errno;
        sigaction(SIGALRM, &old_sa, nullptr);
        errno = e;
        return false;
    }
    itimerspec its {};
    its.it_value = deadline;
    its.it_interval.tv_nsec = refire_ns;

    sigset_t alrm, old_mask;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigprocmask(SIG_UNBLOCK, &alrm, &old_mask);

    bool ok = false;
    if (timer_settime(timer, TIMER_ABSTIME, &its, nullptr) == 0) {
        for (;;) {
            if (fcntl(fd, F_SETLKW, &fl) == 0) {
                ok = true;
                break;
            }
            if (errno != EINTR) break;
            // EINTR from our timer or from any other handled signal: only the clock decides.
            if (reached(deadline)) {
                errno = ETIMEDOUT;
                break;
            }
        }
    }
    // The timer goes first; SIGALRM is unblocked, so nothing it sent can still be pending.
    const int e = errno;
    timer_delete(timer);
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    sigaction(SIGALRM, &old_sa, nullptr);
    errno = e;
    return ok;
}

} // namespace

bool lock_fd(int fd, LockKind kind, std::int64_t timeout_ms) noexcept
{
    struct flock fl = whole_file(type_of(kind));
    if (timeout_ms < 0) {
        int r;
        do r = fcntl(fd, F_SETLKW, &fl);
        while (r < 0 && errno == EINTR);
        return r == 0;
    }
    // Try once first: a free lock needs no timer.
    int r;
    do r = fcntl(fd, F_SETLK, &fl);
    while (r < 0 && errno == EINTR);
    if (r == 0) return true;
    if (errno != EAGAIN && errno != EACCES) return false;
    if (timeout_ms == 0) {
        errno = EBUSY;
        return false;
    }
    return lock_until(fd, fl, timeout_ms);
}

bool unlock_fd(int fd) noexcept
{
    struct flock fl = whole_file(F_UNLCK);
    return fcntl(fd, F_SETLK, &fl) == 0;
}

pid_t lock_holder(int fd, LockKind kind) noexcept
{
    struct flock fl = whole_file(type_of(kind));
    if (fcntl(fd, F_GETLK, &fl) < 0) return -1;
    return fl.l_type == F_UNLCK ? 0 : fl.l_pid;
}

} // namespace keel
