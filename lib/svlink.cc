// The pieces svlink and svunlink share (keel/svlink.h).
#include "keel/svlink.h"

#include "keel/svcontrol.h"
#include "keel/loop.h"
#include "keel/path.h"

#include <cerrno>
#include <poll.h>
#include <sys/stat.h>

namespace keel::sv {

bool valid_link_name(std::string_view name) noexcept
{
    return !name.empty() && name[0] != '.' && name.find('/') == name.npos;
}

bool pair_state(const char* dir, PairState& st) noexcept
{
    const int h = supervised(dir);
    if (h < 0) return false;
    st.supervised = h > 0;
    st.logged = false;
    PathBuf<> log;
    if (!log.set(dir, "/log")) return false;
    struct stat sb;
    if (stat(log.c_str(), &sb) < 0) return errno == ENOENT;
    if (!S_ISDIR(sb.st_mode)) {
        errno = ENOTDIR;
        return false;
    }
    const int r = supervised(log.c_str());
    if (r < 0) return false;
    if (r != h) {
        errno = EINVAL;
        return false;
    }
    st.logged = true;
    return true;
}

bool write_scan_control(const char* scandir, std::string_view cmds) noexcept
{
    // Every outcome but ok leaves the errno that says why: ENXIO, ENOENT, or the failure.
    return write_control_at(scandir, scanner_ctl_dir, cmds) == CtlResult::ok;
}

bool LetterWait::add(const char* fifodir) noexcept
{
    if (n_ == subs_.size()) {
        errno = E2BIG;
        return false;
    }
    if (!subs_[n_].subscribe(fifodir)) return false;
    seen_[n_++] = false;
    return true;
}

LetterEnd LetterWait::wait(char letter, std::int64_t deadline_ms) noexcept
{
    const std::int64_t deadline = deadline_ms < 0 ? no_deadline : deadline_ms;
    // At most `window` subscriptions are polled at a time: the others' events wait in their
    // FIFOs, so a fixed array serves any number of them.
    constexpr std::size_t window = 16;
    for (;;) {
        std::array<pollfd, window + 1> fds{};
        std::array<std::size_t, window> which{}; // fds[k] is subscription which[k]
        std::size_t nfds = 0;
        for (std::size_t i = 0; i < n_ && nfds < window; ++i) {
            if (seen_[i]) continue;
            which[nfds] = i;
            fds[nfds++] = {.fd = subs_[i].fd(), .events = POLLIN, .revents = 0};
        }
        if (!nfds) return LetterEnd::seen;
        const std::size_t sig_at = nfds;
        if (sigs_.fd() >= 0) fds[nfds++] = {.fd = sigs_.fd(), .events = POLLIN, .revents = 0};
        const int r = poll_until(std::span(fds.data(), nfds), deadline);
        if (r < 0) return LetterEnd::error;
        if (r == 0) return LetterEnd::timeout;
        if (nfds > sig_at && fds[sig_at].revents) {
            if (const int sig = sigs_.read(); sig > 0) {
                stop();
                die_by_signal(sig);
            }
        }
        for (std::size_t k = 0; k < sig_at; ++k) {
            if (!fds[k].revents) continue;
            const std::size_t i = which[k];
            char buf[64];
            const ssize_t got = subs_[i].read(buf, sizeof buf);
            if (got < 0) return LetterEnd::error;
            if (std::string_view(buf, static_cast<std::size_t>(got)).find(letter) !=
                std::string_view::npos) {
                seen_[i] = true;
                subs_[i].unsubscribe();
            }
        }
    }
}

void LetterWait::stop() noexcept
{
    for (ftrig::Listener& s : subs_) s.unsubscribe();
}

} // namespace keel::sv
