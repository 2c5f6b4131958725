// Child processes for tools that stay around (fghack, background-watch, later supervise and
// svscan): spawn with a clean signal state and exec failures reported back to the parent,
// EINTR-safe waiting, and s6's convention for turning a wait status into an exit code.
// Nothing here allocates, prints or exits the calling process; errors come back in errno.
#pragma once

#include <sys/types.h>
#include <sys/wait.h>

namespace keel {

/// Work done in the child between fork and exec (dup2, close, setsid...). It runs with every
/// signal blocked and must only make async-signal-safe calls; it must not touch descriptors it
/// does not own (spawn keeps a close-on-exec pipe of its own open). Return false with errno
/// set to abort: spawn() then fails as if the exec had failed with that errno.
using ChildSetup = bool (*)(void* ctx) noexcept;

struct SpawnOptions {
    char* const* envp = nullptr; ///< the child's environment; nullptr means the current one
    ChildSetup setup = nullptr;  ///< optional, see ChildSetup
    void* ctx = nullptr;         ///< handed to setup
    bool reset_ignored = false;  ///< also turn ignored (SIG_IGN) signals back to SIG_DFL
};

/// spawn() failures: the child could not be created (pipe2, fork), or it could not exec.
inline constexpr pid_t spawn_failed = -1;
inline constexpr pid_t spawn_exec_failed = -2;

/// Forks a child that execs argv (PATH searched as by exec_search) with an empty signal mask.
/// Signals that have a handler in the parent are reset to SIG_DFL before anything is unblocked
/// in the child, so no parent handler ever runs there; ignored signals stay ignored (as across
/// a plain exec) unless opts.reset_ignored. Returns the pid once the exec has succeeded (a
/// close-on-exec pipe tells the parent). Otherwise:
///   spawn_failed (-1): no child; errno from pipe2/fork.
///   spawn_exec_failed (-2): the exec (or setup) failed in the child, which has been reaped;
///     errno is the child's errno, so exec_failure_code(errno) gives 127 for ENOENT, else 126.
/// The caller's signal mask and dispositions are left as they were.
[[nodiscard]] pid_t spawn(char* const* argv, const SpawnOptions& opts = {}) noexcept;

/// waitpid(2) retried on EINTR: the pid reaped, 0 (only with WNOHANG) if nothing is ready,
/// -1 with errno (ECHILD: no such child).
[[nodiscard]] pid_t wait_pid(pid_t pid, int& wstat, int flags = 0) noexcept;

/// s6's exit-code convention for a terminated process: its exit code if it exited, 128 + the
/// signal number if a signal killed it (so SIGKILL gives 137).
[[nodiscard]] constexpr int wait_estatus(int wstat) noexcept
{
    return WIFSIGNALED(wstat) ? 128 + WTERMSIG(wstat) : WEXITSTATUS(wstat);
}

} // namespace keel
