// Waiting for a pattern of events on fifodirs, as s6's ftrigr does for s6-ftrig-wait,
// s6-ftrig-listen1 and s6-ftrig-listen: a Matcher subscribes to a fifodir and, after each read,
// searches everything it has received so far for a POSIX extended regular expression. The
// search is not anchored and "^" and "$" never match (s6 runs regexec with REG_NOTBOL and
// REG_NOTEOL). The received events are kept in a malloc'd buffer that grows until the match:
// meant for one-shot tools.
#pragma once

#include "keel/fifodir.h"

#include <cstddef>
#include <cstdint>
#include <regex.h>

namespace keel::ftrig {

/// One subscription and its regex, with the events received so far. Not copyable; stopped
/// (unsubscribed, memory freed) when destroyed.
class Matcher {
public:
    Matcher() noexcept = default;
    Matcher(const Matcher&) = delete;
    Matcher& operator=(const Matcher&) = delete;
    ~Matcher() { stop(); }

    /// Compiles regex (POSIX ERE) and subscribes to fifodir. False with errno: EINVAL for an
    /// empty or malformed regex, ENOMEM, or as Listener::subscribe().
    [[nodiscard]] bool start(const char* fifodir, const char* regex) noexcept;
    /// The descriptor to poll; -1 when not subscribed (never started, stopped, or matched).
    [[nodiscard]] int fd() const noexcept { return events_.fd(); }
    /// Reads the events available and searches them: 1 if they match (now or before), 0 if not
    /// yet, -1 with errno on a read or memory error. Once matched, the subscription is dropped
    /// (the FIFO is removed) and the received events are freed.
    [[nodiscard]] int update() noexcept;
    [[nodiscard]] bool matched() const noexcept { return matched_; }
    /// The last byte of the match, which s6 reports as "the last event"; a NUL byte for a
    /// match of no characters.
    [[nodiscard]] char last() const noexcept { return last_; }
    /// Unsubscribes (removes the FIFO) and frees everything. Safe to call twice.
    void stop() noexcept;

private:
    Listener events_;
    regex_t re_{};
    bool compiled_ = false;
    bool matched_ = false;
    char last_ = 0;
    char* buf_ = nullptr; // the events received so far, NUL-terminated
    std::size_t len_ = 0;
    std::size_t cap_ = 0;
};

/// Outcomes of wait_match() besides 0 (the wait is over).
inline constexpr int match_timeout = -1;
inline constexpr int match_error = -2;

/// Follows the n matchers until all of them (or, with any, one) have matched: returns 0, or
/// match_timeout once deadline_ms (CLOCK_MONOTONIC, see mono_now_ms(); < 0: none) has passed,
/// or match_error with errno. Blocks in poll(2), never polls by timer. If extra_fd >= 0 it is
/// polled too, and on_extra(ctx) is called whenever it is readable.
[[nodiscard]] int wait_match(Matcher* m, std::size_t n, bool any, std::int64_t deadline_ms,
                             int extra_fd = -1, void (*on_extra)(void*) = nullptr,
                             void* ctx = nullptr) noexcept;

/// What ftrig-wait, ftrig-listen1 and ftrig-listen do (see run_match()).
struct MatchPlan {
    bool any = false;              ///< one match suffices (-o) instead of all (-a)
    std::int64_t deadline_ms = -1; ///< CLOCK_MONOTONIC deadline (mono_now_ms()); < 0: none
    char* const* prog = nullptr;   ///< if set, spawned once every subscription is made
};

/// How run_match() ended.
enum class MatchEnd {
    matched,   ///< every (or one) regex matched; MatchResult::last is the last byte matched
    timeout,   ///< the deadline passed
    subscribe, ///< subscribing to pair MatchResult::index failed (errno in err)
    spawn,     ///< the program could not be spawned (errno in err)
    error,     ///< another system call failed (errno in err; what says which)
};

struct MatchResult {
    MatchEnd end = MatchEnd::matched;
    char last = 0;         ///< with matched: the last byte of a match (see Matcher::last())
    std::size_t index = 0; ///< with subscribe: the pair that failed
    int err = 0;           ///< with subscribe, spawn, error: the errno
    const char* what = ""; ///< with error: what failed ("wait for events"...)
};

/// Subscribes to the n fifodirs of pairs (fifodir, regex, fifodir, regex...), spawns
/// plan.prog if set, and waits. Blocks SIGTERM, SIGINT and SIGHUP (and SIGCHLD with a
/// program) first; if one of them arrives while waiting, every FIFO is removed and the process
/// dies of that signal (die_by_signal). Every FIFO is removed before returning. The spawned
/// program is reaped while waiting; its exit status is ignored. Allocates with malloc.
[[nodiscard]] MatchResult run_match(const MatchPlan& plan, char* const* pairs,
                                    std::size_t n) noexcept;

} // namespace keel::ftrig
