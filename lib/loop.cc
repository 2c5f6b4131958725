// signalfd and deadline-bounded poll for keel/loop.h.
#include "keel/loop.h"

#include "keel/tai.h"

#include <cerrno>
#include <climits>
#include <sys/signalfd.h>

namespace keel {

std::int64_t deadline_in(std::int64_t ms) noexcept
{
    const std::int64_t now = mono_now_ms();
    if (ms <= 0) return now;
    return ms >= no_deadline - now ? no_deadline : now + ms;
}

int poll_until(std::span<pollfd> fds, std::int64_t deadline_ms) noexcept
{
    for (;;) {
        int timeout = -1;
        if (deadline_ms != no_deadline) {
            const std::int64_t left = deadline_ms - mono_now_ms();
            if (left <= 0) return 0;
            timeout = left > INT_MAX ? INT_MAX : static_cast<int>(left);
        }
        const int r = poll(fds.data(), static_cast<nfds_t>(fds.size()), timeout);
        if (r > 0) return r;
        if (r < 0 && errno != EINTR) return -1;
        // 0: poll's own rounding may wake us a hair early; the clock decides.
    }
}

bool SignalFd::open(std::span<const int> sigs) noexcept
{
    sigemptyset(&set_);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (const int s : sigs) {
        if (sigaddset(&set_, s) < 0 || sigaction(s, &dfl, nullptr) < 0) return false;
    }
    if (sigprocmask(SIG_BLOCK, &set_, nullptr) < 0) return false;
    const int fd = signalfd(-1, &set_, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) return false;
    fd_.reset(fd);
    return true;
}

int SignalFd::next() noexcept
{
    signalfd_siginfo si;
    const ssize_t n = read_some(fd_.get(), &si, sizeof si);
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    if (n != static_cast<ssize_t>(sizeof si)) {
        errno = EIO; // the kernel always hands out whole records
        return -1;
    }
    return static_cast<int>(si.ssi_signo);
}

} // namespace keel
