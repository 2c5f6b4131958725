// Child spawning and waiting for keel/proc.h: fork + exec with an errno pipe, no allocation.
#include "keel/proc.h"

#include "keel/exec.h"
#include "keel/fd.h"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char** environ;

namespace keel {
namespace {

// In the child: report errno e on the pipe (the parent reads it) and leave.
[[noreturn]] void child_fail(int report_fd, int e) noexcept
{
    (void)write_all(report_fd, &e, sizeof e);
    _exit(127);
}

// The kernel's struct sigaction: the handler comes first on every architecture keel builds
// for (x86, arm, riscv; not mips). Only "all zeros" is written (SIG_DFL, no flags, an empty
// mask), which reads the same whatever the order of the other fields.
struct KernelSigaction {
    unsigned long words[4];
};

void reset_reserved(int s) noexcept
{
    KernelSigaction cur{}, dfl{};
    constexpr unsigned long ksigset_size = 8; // the kernel's sigset_t: 64 signals
    if (syscall(SYS_rt_sigaction, s, nullptr, &cur, ksigset_size) < 0) return;
    if (cur.words[0] == reinterpret_cast<unsigned long>(SIG_IGN))
        syscall(SYS_rt_sigaction, s, &dfl, nullptr, ksigset_size);
}

[[noreturn]] void child(char* const* argv, const SpawnOptions& o, int report_fd) noexcept
{
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int s = 1; s < NSIG; ++s) {
        struct sigaction cur;
        if (sigaction(s, nullptr, &cur) < 0) {
            // glibc refuses its own reserved signals (32, 33); an ignored one would still be
            // ignored in the new program, so ask the kernel directly.
            if (o.reset_ignored) reset_reserved(s);
            continue;
        }
        if (cur.sa_handler == SIG_DFL) continue;
        if (cur.sa_handler == SIG_IGN && !o.reset_ignored) continue;
        sigaction(s, &dfl, nullptr);
    }
    if (o.setup && !o.setup(o.ctx)) child_fail(report_fd, errno);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    exec_search(argv, o.envp ? o.envp : environ);
    child_fail(report_fd, errno);
}

} // namespace

pid_t spawn(char* const* argv, const SpawnOptions& opts) noexcept
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) return spawn_failed;
    // Everything stays blocked across fork so that no handler of ours runs in the child
    // before its dispositions are reset.
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    const pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        child(argv, opts, p[1]);
    }
    const int fork_errno = errno;
    sigprocmask(SIG_SETMASK, &old, nullptr);
    close_fd(p[1]);
    if (pid < 0) {
        close_fd(p[0]);
        errno = fork_errno;
        return spawn_failed;
    }
    // EOF: the exec succeeded and closed the write end. An int: the child's errno.
    int child_errno = 0;
    const ssize_t r = read_full(p[0], &child_errno, sizeof child_errno);
    close_fd(p[0]);
    if (r != static_cast<ssize_t>(sizeof child_errno)) return pid;
    int wstat;
    (void)wait_pid(pid, wstat);
    errno = child_errno;
    return spawn_exec_failed;
}

pid_t wait_pid(pid_t pid, int& wstat, int flags) noexcept
{
    pid_t r;
    do r = waitpid(pid, &wstat, flags);
    while (r < 0 && errno == EINTR);
    return r;
}

} // namespace keel
