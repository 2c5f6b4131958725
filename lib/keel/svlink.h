// What svlink and svunlink share (s6-svlink / s6-svunlink compatible): the rule for a name in a
// scan directory, how a service dir and its log/ are supervised, the scanner's control FIFO
// (SCANDIR/.s6-svscan/control, through keel/svcontrol.h), and waiting for one event letter from
// the supervisors of a service and its logger (s: started, x: exited) without polling, with
// SIGTERM, SIGINT and SIGHUP read from a signalfd so that the FIFOs are removed even then.
// Nothing here prints, exits (except by a stop signal, see LetterWait) or allocates.
#pragma once

#include "keel/fifodir.h"
#include "keel/waitsig.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace keel::sv {

/// Whether name may name a service in a scan directory: not empty, not starting with '.'
/// (svscan ignores those), and without '/' (a single directory entry).
[[nodiscard]] bool valid_link_name(std::string_view name) noexcept;

/// How a service dir and its logger are supervised.
struct PairState {
    bool supervised = false; ///< a supervisor holds DIR/supervise/lock
    bool logged = false;     ///< DIR/log is a directory (a logger service)
};

/// Fills st for dir (followed if it is a symlink). False with errno: from the lock checks
/// (see supervised() in keel/svcontrol.h), from stat(DIR/log) other than ENOENT, ENOTDIR if
/// DIR/log exists and is not a directory, EINVAL if DIR/log is supervised and DIR is not, or
/// the other way round (s6 refuses such a pair).
[[nodiscard]] bool pair_state(const char* dir, PairState& st) noexcept;

/// Writes cmds, in one write, to SCANDIR/.s6-svscan/control (write_control_at()). False with
/// errno when it is not written: ENXIO if nobody reads the FIFO, ENOENT if there is none.
[[nodiscard]] bool write_scan_control(const char* scandir, std::string_view cmds) noexcept;

/// How LetterWait::wait() ended.
enum class LetterEnd {
    seen,    ///< the letter came from every subscription
    timeout, ///< the deadline passed first
    error,   ///< reading a FIFO or polling failed (errno set)
};

/// Waits for one event letter from each of several fifodirs: at most `max` (a service and its
/// logger) with the default constructor, or as many as the caller's storage holds (rc-init
/// waits for every supervisor it started). Subscriptions are removed when the object is
/// destroyed, or by stop().
class LetterWait {
public:
    static constexpr std::size_t max = 2;

    LetterWait() noexcept : subs_(own_subs_.data(), max), seen_(own_seen_.data(), max) {}
    /// Uses subs and seen (the same size) for the subscriptions instead of the inner arrays.
    LetterWait(std::span<ftrig::Listener> subs, std::span<bool> seen) noexcept
        : subs_(subs.first(subs.size() < seen.size() ? subs.size() : seen.size())),
          seen_(seen.first(subs_.size()))
    {
    }
    LetterWait(const LetterWait&) = delete;
    LetterWait& operator=(const LetterWait&) = delete;

    /// Blocks SIGTERM, SIGINT and SIGHUP, to be read from a signalfd from now on (call it before
    /// subscribing, so that no stop signal can leave a FIFO behind). False with errno.
    [[nodiscard]] bool open() noexcept { return sigs_.open(false); }
    /// Subscribes to fifodir (which must exist). False with errno; E2BIG beyond the capacity.
    [[nodiscard]] bool add(const char* fifodir) noexcept;
    /// How many subscriptions were made.
    [[nodiscard]] std::size_t size() const noexcept { return n_; }
    /// Whether subscription i (in the order of add()) has seen the letter.
    [[nodiscard]] bool seen(std::size_t i) const noexcept { return seen_[i]; }
    /// Follows the subscriptions until letter has come from each of them, or until deadline_ms
    /// (CLOCK_MONOTONIC, see mono_now_ms(); < 0: none). Other letters are ignored. If a stop
    /// signal arrives (open() must have been called), every FIFO is removed and the process
    /// dies of that signal (die_by_signal()).
    [[nodiscard]] LetterEnd wait(char letter, std::int64_t deadline_ms) noexcept;
    /// Removes every FIFO. Safe to call twice.
    void stop() noexcept;

private:
    WaitSignals sigs_;
    std::array<ftrig::Listener, max> own_subs_;
    std::array<bool, max> own_seen_{};
    std::span<ftrig::Listener> subs_;
    std::span<bool> seen_;
    std::size_t n_ = 0;
};

} // namespace keel::sv
