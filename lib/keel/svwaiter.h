// What svwait, svlisten1 and svlisten share: subscribe to every service's events and read its
// status (keel::sv::Watch), optionally spawn a program, then wait in one or two phases
// (-r/-R: first down, then up), with SIGTERM/SIGINT/SIGHUP read from a signalfd so that the
// FIFOs are removed even when the tool is told to stop. The tools only parse their options and
// turn the outcome into a message and an exit code.
#pragma once

#include "keel/svlisten.h"

#include <cstddef>
#include <cstdint>

namespace keel::sv {

/// What to do (see run_wait()); filled by wait_option() and the tool.
struct WaitPlan {
    Goal goal;                   ///< what to wait for (the second phase with restart)
    bool restart = false;        ///< -r/-R: first wait until every service is down...
    bool restart_ready = false;  ///< ...and ready to restart (svlisten, svlisten1) or not
    std::int64_t deadline_ms = -1; ///< CLOCK_MONOTONIC deadline (mono_now_ms()); < 0: none
    char* const* prog = nullptr; ///< if set, spawned once every status has been read
    /// If set, called once every status has been read (before prog is spawned), with ctx:
    /// svc -w sends its commands there. A nonzero return ends run_wait() at once, with
    /// WaitEnd::aborted and that value in WaitResult::code.
    int (*after_start)(void* ctx) noexcept = nullptr;
    void* ctx = nullptr;
};

/// Applies one option of the waiting tools to plan: U u d D r R (what to wait for: up and
/// ready, up, down, down and ready, restarted, restarted and ready; the last one given wins),
/// a o (all services or any one), t with arg (a timeout in milliseconds, decimal digits only;
/// 0 means none; the deadline counts from now). False if c is none of these or arg is bad.
[[nodiscard]] bool wait_option(WaitPlan& plan, int c, const char* arg) noexcept;

/// How a wait ended.
enum class WaitEnd {
    reached,  ///< the goal holds
    timeout,  ///< the deadline passed
    failures, ///< services failed for good or lost their supervisor (WaitResult::failures)
    error,    ///< a system call failed: errno in WaitResult::err, what in WaitResult::what
    aborted,  ///< WaitPlan::after_start said so (WaitResult::code)
};

/// The outcome of run_wait().
struct WaitResult {
    WaitEnd end = WaitEnd::reached;
    int failures = 0;        ///< with WaitEnd::failures: how many (> 0)
    int code = 0;            ///< with WaitEnd::aborted: what after_start returned
    int err = 0;             ///< with WaitEnd::error: the errno
    const char* what = "";   ///< with WaitEnd::error: "subscribe to events for ", "spawn "...
    const char* object = ""; ///< with WaitEnd::error: the service dir or program concerned
    bool status = false;     ///< with WaitEnd::error: reading object's status failed, and
                             ///< status_error(err) (keel/svstatus.h) says why
};

/// The exit code for a count of failures: the count, as s6 exits, but at most 98 so that it
/// can neither wrap to 0 nor be mistaken for 99 (timeout), 100 (usage) or 111 (system error).
[[nodiscard]] constexpr int failures_exit_code(int failures) noexcept
{
    return failures < 98 ? failures : 98;
}

/// The ending the waiting tools share, for every outcome but WaitEnd::failures (for which it
/// returns: each tool words that one its own way). Otherwise it ends the process, printing
/// like keel/err.h's die(): exit 0 when reached; the after_start code when aborted; 99
/// "timed out"; 111 "unable to ...", with status_error()'s words for a damaged status file.
void exit_unless_failures(const WaitResult& r) noexcept;

/// Runs the plan on the n service dirs (n >= 1). Blocks the stop signals first; if one arrives
/// while waiting, every FIFO is removed and the process dies of that signal (die_by_signal).
/// Every FIFO is removed before returning, whatever the outcome. Spawned programs are reaped
/// while waiting and their exit status ignored. Allocates the n watch entries with malloc.
[[nodiscard]] WaitResult run_wait(const WaitPlan& plan, char* const* dirs, std::size_t n) noexcept;

} // namespace keel::sv
