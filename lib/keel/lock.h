// Whole-file advisory locks: classic POSIX record locks (fcntl F_SETLK / F_SETLKW), never OFD
// or flock(2) locks, so they conflict with s6-setlock and with the supervisor's lock-fd.
// Such a lock belongs to the process, not to the descriptor: it survives exec (if the fd is
// not close-on-exec), is not inherited by fork, and is released as soon as the process closes
// ANY descriptor on the file. Functions return false / -1 with errno set; none prints.
#pragma once

#include <cstdint>
#include <sys/types.h>

namespace keel {

enum class LockKind : bool {
    Shared,    ///< F_RDLCK: needs an fd open for reading
    Exclusive, ///< F_WRLCK: needs an fd open for writing
};

/// Timeouts for lock_fd().
inline constexpr std::int64_t lock_no_wait = 0;
inline constexpr std::int64_t lock_forever = -1;

/// Locks the whole of fd's file (start 0, length 0 = to EOF and beyond).
/// timeout_ms == lock_no_wait: one try; if another process holds a conflicting lock, false
///   with errno EBUSY (the EAGAIN/EACCES of fcntl are folded into EBUSY).
/// timeout_ms == lock_forever (< 0): blocks until the lock is granted; EINTR is retried.
/// timeout_ms > 0: blocks at most that long, then false with errno ETIMEDOUT. While it waits,
///   a CLOCK_MONOTONIC POSIX timer sends SIGALRM to a no-op handler installed without
///   SA_RESTART, which interrupts F_SETLKW; the timer repeats every 10 ms after the deadline so
///   a signal landing just before the call cannot be lost. The previous SIGALRM disposition
///   and signal mask are restored before returning; alarm()/ITIMER_REAL are not touched.
///   Not thread-safe (it borrows process-wide SIGALRM), which keel programs never need.
/// Other failures (EBADF for a mode the fd was not opened for, EDEADLK, ENOLCK...): false.
[[nodiscard]] bool lock_fd(int fd, LockKind kind, std::int64_t timeout_ms) noexcept;

/// Releases this process's lock on fd's file. False with errno on error.
[[nodiscard]] bool unlock_fd(int fd) noexcept;

/// Which process holds a lock that would conflict with a `kind` lock on fd's file (F_GETLK):
/// its pid, 0 if none (locks of this process never conflict), -1 with errno on error.
[[nodiscard]] pid_t lock_holder(int fd, LockKind kind) noexcept;

} // namespace keel
