// Waiting for services to reach a state, s6's way (s6-svwait, s6-svlisten, s6-svc -w): subscribe
// to each service's event/ fifodir first, then read its status, then follow its events until
// every service (or, with `any`, one of them) is up / up and ready / down / down and ready.
// Never polls: it blocks on the listeners' FIFOs until an event or the deadline.
// Used by svwait, svlisten1, svlisten and svc -w.
#pragma once

#include "keel/fifodir.h"

#include <cstddef>
#include <cstdint>

namespace keel::sv {

/// What to wait for.
struct Goal {
    bool up = true;     ///< up (true) or down (false)
    bool ready = false; ///< and ready (U) / down and ready to restart (D)
    bool any = false;   ///< one service suffices (-o) instead of all (-a)
};

/// Whether one service whose state is up/ready meets goal g (g.any does not matter here).
[[nodiscard]] constexpr bool goal_holds(bool up, bool ready, const Goal& g) noexcept
{
    return up == g.up && (!g.ready || ready);
}

/// The race-free start of following one service: makes DIR/event if missing (restricted to
/// the caller's group), subscribes events to it, then reads DIR/supervise/status into up and
/// ready. False with errno; step then says what failed: "subscribe to events for " or
/// "read status for " (events stays subscribed in the second case).
[[nodiscard]] bool follow_start(const char* dir, ftrig::Listener& events, bool& up, bool& ready,
                                const char*& step) noexcept;

/// Applies one event byte (d D u U O x; others are ignored) to a followed service's up and
/// ready flags, waited for goal g. True if it counts as a failure: a permanent failure (O)
/// while waited up, or the supervisor exiting (x) before the goal was met; both also set the
/// flags to the goal's, since the service will not get there by itself.
[[nodiscard]] bool apply_event(bool& up, bool& ready, char ev, const Goal& g) noexcept;

/// The outcome of Watch::wait().
inline constexpr int wait_timeout = -1;
inline constexpr int wait_error = -2;

/// The services being watched. Storage for n services is given by the caller (one-shot tools
/// malloc it; nothing is allocated here).
class Watch {
public:
    struct Entry {
        ftrig::Listener events;
        bool up = false;
        bool ready = false;
        // Events read but not applied yet: wait() stops at the byte that reaches its goal,
        // and the next wait() (-r's second phase) goes on from there.
        char pending[256];
        unsigned short pos = 0, len = 0;
    };

    Watch(Entry* storage, std::size_t n) noexcept : e_(storage), n_(n) {}

    /// For service dir dirs[i]: makes DIR/event if missing (restricted to the caller's group),
    /// subscribes to it, then reads DIR/supervise/status. On failure returns false with errno,
    /// and failed_index() and failed_step() say where ("subscribe to events for" / "read
    /// status for").
    [[nodiscard]] bool start(char* const* dirs) noexcept;
    [[nodiscard]] std::size_t failed_index() const noexcept { return failed_; }
    [[nodiscard]] const char* failed_step() const noexcept { return step_; }

    /// True if the goal holds now.
    [[nodiscard]] bool reached(const Goal& g) const noexcept;

    /// Follows events until the goal holds: returns the number of failures seen on the way
    /// (a service that reported a permanent failure while waited for up, or whose supervisor
    /// exited), wait_timeout once deadline_ms (CLOCK_MONOTONIC, see mono_now_ms(); < 0: none)
    /// passes, or wait_error with errno. If extra_fd >= 0 it is polled too and on_extra(ctx) is
    /// called whenever it is readable (svlisten uses it to reap its child).
    [[nodiscard]] int wait(const Goal& g, std::int64_t deadline_ms, int extra_fd = -1,
                           void (*on_extra)(void*) = nullptr, void* ctx = nullptr) noexcept;

    /// Stops listening (removes every FIFO). Also done by the destructor of the entries.
    void stop() noexcept;

private:
    Entry* e_;
    std::size_t n_;
    std::size_t failed_ = 0;
    const char* step_ = "";
};

} // namespace keel::sv
