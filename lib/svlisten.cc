// The event-following loop shared by the waiting tools (keel/svlisten.h).
#include "keel/svlisten.h"

#include "keel/path.h"
#include "keel/svstatus.h"
#include "keel/tai.h"

#include <cerrno>
#include <poll.h>
#include <unistd.h>

namespace keel::sv {

bool follow_start(const char* dir, ftrig::Listener& events, bool& up, bool& ready,
                  const char*& step) noexcept
{
    PathBuf<> event;
    step = "subscribe to events for ";
    if (!event.set(dir, "/event")) return false;
    if (!ftrig::make_fifodir(event.c_str(), false, getegid(), false)) return false;
    if (!events.subscribe(event.c_str())) return false;
    step = "read status for ";
    Status st;
    if (!status_read(dir, st)) return false;
    up = st.up();
    ready = st.ready;
    return true;
}

bool apply_event(bool& up, bool& ready, char ev, const Goal& g) noexcept
{
    switch (ev) {
    case 'd': up = false, ready = false; return false;
    case 'D': up = false, ready = true; return false;
    case 'u': up = true, ready = false; return false;
    case 'U': up = true, ready = true; return false;
    case 'O':
    case 'x': {
        // The service will not get there by itself: count it, and stop waiting for it.
        if (ev == 'O' && !g.up) return false;
        const bool failed = ev == 'O' || !goal_holds(up, ready, g);
        up = g.up;
        ready = g.ready;
        return failed;
    }
    default: return false;
    }
}

bool Watch::start(char* const* dirs) noexcept
{
    for (std::size_t i = 0; i < n_; ++i) {
        failed_ = i;
        Entry& s = e_[i];
        if (!follow_start(dirs[i], s.events, s.up, s.ready, step_)) return false;
    }
    return true;
}

bool Watch::reached(const Goal& g) const noexcept
{
    std::size_t ok = 0;
    for (std::size_t i = 0; i < n_; ++i)
        if (goal_holds(e_[i].up, e_[i].ready, g)) ++ok;
    return g.any ? ok > 0 : ok == n_;
}

int Watch::wait(const Goal& g, std::int64_t deadline_ms, int extra_fd, void (*on_extra)(void*),
                void* ctx) noexcept
{
    int failures = 0;
    // Applies the pending events of every service, stopping at the first byte that reaches the
    // goal (as s6 does) and keeping the rest for a later wait().
    auto drain = [&]() {
        for (std::size_t i = 0; i < n_; ++i) {
            Entry& s = e_[i];
            while (s.pos < s.len) {
                if (apply_event(s.up, s.ready, s.pending[s.pos++], g)) ++failures;
                if (reached(g)) return true;
            }
        }
        return reached(g);
    };
    // One pollfd per service, plus the extra one; the caller bounds n (argv).
    constexpr std::size_t max_fds = 1024;
    if (n_ + 1 > max_fds) {
        errno = EMFILE;
        return wait_error;
    }
    pollfd fds[max_fds];
    for (;;) {
        if (drain()) return failures;
        std::size_t nfds = 0;
        for (std::size_t i = 0; i < n_; ++i) fds[nfds++] = {e_[i].events.fd(), POLLIN, 0};
        if (extra_fd >= 0) fds[nfds++] = {extra_fd, POLLIN, 0};
        int timeout = -1;
        if (deadline_ms >= 0) {
            const std::int64_t left = deadline_ms - mono_now_ms();
            if (left <= 0) return wait_timeout;
            timeout = left > 0x7fffffff ? 0x7fffffff : static_cast<int>(left);
        }
        const int r = poll(fds, nfds, timeout);
        if (r < 0) {
            if (errno == EINTR) continue;
            return wait_error;
        }
        if (extra_fd >= 0 && fds[n_].revents && on_extra) on_extra(ctx);
        for (std::size_t i = 0; i < n_; ++i) {
            if (!fds[i].revents) continue;
            Entry& s = e_[i];
            const ssize_t n = s.events.read(s.pending, sizeof s.pending);
            if (n < 0) return wait_error;
            s.pos = 0;
            s.len = static_cast<unsigned short>(n);
        }
    }
}

void Watch::stop() noexcept
{
    for (std::size_t i = 0; i < n_; ++i) e_[i].events.unsubscribe();
}

} // namespace keel::sv
