// The pieces of a long-running event loop (supervise, svscan): signals read from a signalfd
// instead of handlers, and poll(2) until a CLOCK_MONOTONIC deadline in milliseconds (the
// clock of keel::mono_now_ms). No framework: the caller owns its pollfd array and its state.
// Nothing here allocates, prints or exits.
#pragma once

#include "keel/fd.h"

#include <csignal>
#include <cstdint>
#include <poll.h>
#include <span>

namespace keel {

/// A deadline that never comes.
inline constexpr std::int64_t no_deadline = INT64_MAX;

/// mono_now_ms() + ms, saturating at no_deadline (ms < 0 counts as 0).
[[nodiscard]] std::int64_t deadline_in(std::int64_t ms) noexcept;

/// The earlier of two deadlines.
[[nodiscard]] constexpr std::int64_t earliest(std::int64_t a, std::int64_t b) noexcept
{
    return a < b ? a : b;
}

/// poll(2) on fds until one is ready or the monotonic deadline (ms) is reached. EINTR is
/// retried with the time left. A deadline already reached returns 0 at once, without
/// polling, so a busy descriptor can never starve a timer. Returns the number of ready
/// descriptors, 0 at the deadline, or -1 with errno.
[[nodiscard]] int poll_until(std::span<pollfd> fds, std::int64_t deadline_ms) noexcept;

/// A set of signals delivered through a descriptor: they are blocked, and read one at a time.
/// Children should get an empty signal mask before they exec (see set()).
class SignalFd {
public:
    /// Sets each signal of sigs to SIG_DFL (an ignored signal would be discarded, never
    /// pending), blocks them all, and opens a non-blocking, close-on-exec signalfd for them.
    /// False with errno; the signal state may then be partly changed.
    [[nodiscard]] bool open(std::span<const int> sigs) noexcept;
    /// The descriptor to poll for POLLIN; -1 before open().
    [[nodiscard]] int fd() const noexcept { return fd_.get(); }
    /// The signals opened with.
    [[nodiscard]] const sigset_t& set() const noexcept { return set_; }
    /// Reads the next pending signal: its number, 0 if none is pending, -1 with errno.
    /// Several instances of one standard signal may come out as one (SIGCHLD: reap in a loop).
    [[nodiscard]] int next() noexcept;

private:
    Fd fd_;
    sigset_t set_{};
};

} // namespace keel
