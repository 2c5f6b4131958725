// reap-all: wait until this process has no child left (waitpid(-1) until ECHILD), then exec
// prog. As pid 1 of a PID namespace, every orphan of the namespace is its child, so prog runs
// only once the namespace is empty: the container finish and crash scripts use it instead of
// execline's `wait { }`. With -t, it gives up waiting after timeout_ms and execs prog anyway.
#include "keel/err.h"
#include "keel/exec.h"
#include "keel/loop.h"
#include "keel/num.h"
#include "keel/opt.h"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <poll.h>
#include <string_view>
#include <sys/wait.h>

namespace {

constexpr std::string_view usage = "reap-all [ -t timeout_ms ] prog...";

// Reaps until no child is left (true) or the deadline passes with children still running
// (false). Never dies: as pid 1 a failure here must still end in prog.
bool reap_until(std::int64_t deadline) noexcept
{
    keel::SignalFd sigchld;
    constexpr int sigs[] = {SIGCHLD};
    if (!sigchld.open(sigs)) {
        keel::warn_sys("unable to watch SIGCHLD");
        return false;
    }
    for (;;) {
        int wstat;
        const pid_t pid = waitpid(-1, &wstat, WNOHANG);
        if (pid > 0 || (pid < 0 && errno == EINTR)) continue;
        if (pid < 0) {
            if (errno == ECHILD) return true;
            keel::warn_sys("unable to wait for children");
            return false;
        }
        // Children left: sleep until one of them changes state or the deadline.
        pollfd pfd{sigchld.fd(), POLLIN, 0};
        const int r = keel::poll_until({&pfd, 1}, deadline);
        if (r == 0) {
            keel::warn("timed out waiting for children to exit");
            return false;
        }
        if (r < 0) {
            keel::warn_sys("unable to poll");
            return false;
        }
        while (sigchld.next() > 0) {}
    }
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "reap-all";
    std::int64_t deadline = keel::no_deadline;
    keel::OptParser opts(argc, argv, "t:");
    while (int c = opts.next()) {
        std::uint32_t ms = 0;
        switch (c) {
        case 't':
            if (!keel::scan_number(std::string_view(opts.arg()), ms)) keel::die_usage(usage);
            deadline = keel::deadline_in(ms);
            break;
        default: keel::die_usage(usage);
        }
    }
    if (opts.index() >= argc) keel::die_usage(usage);

    // prog inherits the signal state we were given, not the one used for waiting.
    sigset_t mask;
    struct sigaction action {};
    sigprocmask(SIG_SETMASK, nullptr, &mask);
    sigaction(SIGCHLD, nullptr, &action);
    (void)reap_until(deadline);
    sigaction(SIGCHLD, &action, nullptr);
    sigprocmask(SIG_SETMASK, &mask, nullptr);
    keel::xexec(argv + opts.index());
}
