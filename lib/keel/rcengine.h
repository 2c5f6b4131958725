// The service manager's transition engine (rc change/start/stop, rc-update), in namespace
// keel::rc: from a wanted state per atomic service to the transitions that reach it, started
// as soon as their prerequisites are done, independent ones in parallel, in one poll loop.
//
// Semantics (s6-rc's): bringing a service up needs every service it depends on up first;
// bringing one down needs every service that depends on it (and is up) down first. A longrun
// goes up by 'u' on its supervisor's control FIFO and is up when the supervisor reports it up
// (and ready, if its live service dir has a notification-fd file); its `down` file is then
// removed. It goes down by 'd' and is down when the supervisor reports it down and its finish
// script done (event 'D'); its `down` file is then created. A longrun that fails to come up
// (permanent failure reported, supervisor gone, its timeout-up passed) is sent 'd'. A oneshot
// runs its up/down script through the oneshot runner (keel/rconeshot.h) and succeeds on exit
// 0. A transition that fails fails everything that waits on it (they are skipped); the rest
// goes on. The live state's `state` file is saved after each success.
// Nothing here exits; messages go to stderr through keel/err.h, as the calling tool.
#pragma once

#include "keel/rclive.h"

#include <cstdint>
#include <span>

namespace keel::rc {

/// What change() should do with each atomic service (one byte per service, db index order).
enum Want : std::uint8_t {
    want_keep = 0, ///< leave it as it is
    want_up = 1,   ///< bring it up (if down)
    want_down = 2, ///< bring it down (if up)
};

/// Options of change().
struct ChangeOptions {
    int verbosity = 1;              ///< 0 quiet, 1 warnings, 2 a line per transition, 3 debug
    std::int64_t deadline_ms = -1;  ///< overall CLOCK_MONOTONIC deadline (keel/loop.h); < 0 none
    std::int64_t dryrun_ms = -1;    ///< >= 0: print what would run, each transition "takes" that
                                    ///< long, and change neither the services nor the state
};

/// change()'s outcome, also rc's exit code for it.
enum class ChangeResult : int {
    ok = 0,        ///< every transition succeeded
    failed = 1,    ///< some transitions failed (and what depends on them was skipped)
    timeout = 2,   ///< the overall deadline passed (transitions in progress are left running)
    error = 111,   ///< a system error prevented the change (message printed)
};

/// Closes a set over dependencies: for every i with sel[i] != 0, marks (sets to 1) everything
/// i depends on, directly or not (down = false), or everything that depends on i (down = true).
void close_over(const Db& db, std::span<std::uint8_t> sel, bool down) noexcept;

/// Runs the transitions that take the live services from their current state (live.is_up())
/// to want: a want_up service whose dependencies are not all wanted up or already up gets
/// them added (closure), a want_down one the services depending on it. Where the two sets
/// meet, down wins: a service in the down set (closed over reverse dependencies) is never
/// brought up, and neither is anything that depends on it. The caller has the live state
/// open with an exclusive lock. SIGTERM and SIGINT are blocked and read from a signalfd (they
/// stay blocked afterwards, so one that comes between two calls is seen by the second);
/// one received meanwhile ends the longrun transitions in progress as failures and starts no
/// new ones (oneshots in progress are waited for). SIGPIPE is ignored. RLIMIT_NOFILE's soft
/// limit is raised to the hard one; starts that find no descriptor wait for one to be freed.
/// Allocates only before the loop. Returns the outcome (see ChangeResult).
[[nodiscard]] ChangeResult change(Live& live, std::span<const std::uint8_t> want,
                                  const ChangeOptions& opt) noexcept;

} // namespace keel::rc
