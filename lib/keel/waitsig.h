// What the tools that wait on fifodirs (svwait, svlisten1, svlisten, ftrig-wait, ftrig-listen1,
// ftrig-listen) share: their -t timeout, and their signals. SIGTERM, SIGINT and SIGHUP, plus
// SIGCHLD for those that run a child, are blocked and read from a signalfd that the tool polls
// along with its FIFOs. Being told to stop then still removes the tool's FIFOs from the
// fifodirs before it dies, and the child is reaped without a handler. Nothing here prints;
// only die_by_signal() ends the process.
#pragma once

#include "keel/fd.h"

#include <cstdint>

namespace keel {

/// The stop signals (and SIGCHLD) of a waiting tool, blocked and read from a signalfd. The
/// signals stay blocked when the object is destroyed (the tool is about to exit).
class WaitSignals {
public:
    /// Blocks SIGTERM, SIGINT, SIGHUP (and SIGCHLD if with_child) and opens a non-blocking,
    /// close-on-exec signalfd for them. Signals the process ignores stay ignored (they never
    /// reach the signalfd). False with errno.
    [[nodiscard]] bool open(bool with_child) noexcept;
    /// The descriptor to poll; -1 before open().
    [[nodiscard]] int fd() const noexcept { return fd_.get(); }
    /// Reads every pending signal. On SIGCHLD, reaps every child that has ended (their status
    /// is ignored). Returns the first stop signal read (SIGTERM, SIGINT or SIGHUP), 0 if there
    /// was none, -1 with errno if the signalfd cannot be read.
    [[nodiscard]] int read() noexcept;

private:
    Fd fd_;
};

/// Turns a -t argument (milliseconds, decimal digits only) into a CLOCK_MONOTONIC deadline
/// (see mono_now_ms()) counted from now; 0 means none (deadline_ms = -1). False if arg is not
/// such a number.
[[nodiscard]] bool parse_timeout(const char* arg, std::int64_t& deadline_ms) noexcept;

/// Ends the process the way sig does by default: restores sig's default action, unblocks it
/// and raises it, so the parent sees a death by that signal. Exits 128 + sig should the process
/// survive it.
[[noreturn]] void die_by_signal(int sig) noexcept;

} // namespace keel
