// The signal handling of the waiting tools (keel/waitsig.h).
#include "keel/waitsig.h"

#include "keel/err.h"
#include "keel/num.h"
#include "keel/tai.h"

#include <cerrno>
#include <csignal>
#include <string_view>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

namespace keel {

bool WaitSignals::open(bool with_child) noexcept
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (with_child) sigaddset(&set, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &set, nullptr) < 0) return false;
    fd_.reset(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
    return fd_.valid();
}

int WaitSignals::read() noexcept
{
    int stop = 0;
    for (;;) {
        signalfd_siginfo si;
        const ssize_t r = read_some(fd_.get(), &si, sizeof si);
        if (r < 0) {
            if (errno == EAGAIN) return stop;
            return -1;
        }
        if (r != static_cast<ssize_t>(sizeof si)) return stop;
        const int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGCHLD) {
            int wstat;
            while (waitpid(-1, &wstat, WNOHANG) > 0) {}
        } else if (!stop) {
            stop = sig;
        }
    }
}

bool parse_timeout(const char* arg, std::int64_t& deadline_ms) noexcept
{
    unsigned int ms = 0;
    if (!scan_number(std::string_view(arg), ms)) return false;
    deadline_ms = ms ? mono_now_ms() + ms : -1;
    return true;
}

void die_by_signal(int sig) noexcept
{
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
    raise(sig);
    exit_now(128 + sig);
}

} // namespace keel
