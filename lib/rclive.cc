// The live state of the service manager (keel/rclive.h).
#include "keel/rclive.h"

#include "keel/fd.h"
#include "keel/slurp.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace keel::rc {

bool write_state(const char* dir, std::span<const std::uint8_t> st) noexcept
{
    PathBuf<> tmp, dst;
    if (!tmp.set(dir, "/", live_state, ".new") || !dst.set(dir, "/", live_state)) return false;
    Fd fd = open_file(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (!fd) return false;
    if (!write_all(fd.get(), st.data(), st.size())) {
        const int e = errno;
        unlink(tmp.c_str());
        errno = e;
        return false;
    }
    fd.reset();
    if (rename(tmp.c_str(), dst.c_str()) < 0) {
        const int e = errno;
        unlink(tmp.c_str());
        errno = e;
        return false;
    }
    return true;
}

Live::~Live()
{
    close();
}

void Live::close() noexcept
{
    if (lock_ >= 0) close_fd(lock_);
    lock_ = -1;
    std::free(state_);
    state_ = nullptr;
}

void Live::set_up(std::uint32_t i, bool up) noexcept
{
    if (up) state_[i] |= state_up;
    else state_[i] &= static_cast<std::uint8_t>(~state_up);
}

bool Live::save_state() const noexcept
{
    return write_state(real_.c_str(), state());
}

bool Live::open(const char* live, LockKind kind, std::int64_t timeout_ms) noexcept
{
    close();
    if (!live_.set(live)) {
        failed_ = LiveStep::resolve;
        return false;
    }
    // rc-update switches LIVE while holding the old lock: whoever waited for that lock must
    // then follow LIVE to the new directory. A few rounds are plenty.
    for (int round = 0; round < 8; ++round) {
        bool again = false;
        if (open_once(live, kind, timeout_ms, again)) return true;
        if (!again) return false;
    }
    failed_ = LiveStep::lock;
    errno = EAGAIN;
    return false;
}

bool Live::open_once(const char* live, LockKind kind, std::int64_t timeout_ms,
                     bool& again) noexcept
{
    char buf[PATH_MAX];
    failed_ = LiveStep::resolve;
    if (!realpath(live, buf) || !real_.set(buf)) return false;
    failed_ = LiveStep::lock;
    PathBuf<> p;
    if (!p.set(real_.view(), "/", live_lock)) return false;
    Fd fd = open_file(p.c_str(), (kind == LockKind::Exclusive ? O_RDWR : O_RDONLY) | O_CREAT,
                      0644);
    if (!fd || !keel::lock_fd(fd.get(), kind, timeout_ms)) return false;
    lock_ = fd.release();
    failed_ = LiveStep::resolve;
    if (!realpath(live, buf)) {
        close();
        return false;
    }
    if (real_.view() != std::string_view(buf)) {
        close();
        again = true;
        return false;
    }
    if (!read_rest()) {
        close();
        return false;
    }
    return true;
}

// REAL/ENTRY into p, as the step that uses it: one copy of the path building for read_rest().
bool Live::entry(LiveStep step, const char* entry, PathBuf<>& p) noexcept
{
    failed_ = step;
    return p.set(real_.view(), "/", entry);
}

// Reads all of REAL/ENTRY into s, as the step that uses it.
bool Live::slurp(LiveStep step, const char* name, Slurp& s) noexcept
{
    PathBuf<> p;
    return entry(step, name, p) && s.read_file(p.c_str());
}

// Everything after the lock: the db, scandir, prefix, state.
bool Live::read_rest() noexcept
{
    PathBuf<> p;
    if (!entry(LiveStep::db, live_compiled, p) || !db_.load(p.c_str())) return false;

    if (!entry(LiveStep::scandir, live_scandir, p)) return false;
    char buf[PATH_MAX];
    const ssize_t r = readlink(p.c_str(), buf, sizeof buf);
    if (r < 0) return false;
    if (static_cast<std::size_t>(r) >= sizeof buf) {
        errno = ENAMETOOLONG;
        return false;
    }
    if (!scandir_.set(std::string_view(buf, static_cast<std::size_t>(r)))) return false;

    Slurp s;
    if (!slurp(LiveStep::prefix, live_prefix, s)) return false;
    if (s.view().find_first_of("/\n") != std::string_view::npos) {
        errno = EINVAL;
        return false;
    }
    if (!prefix_.set(s.view())) return false;

    if (!slurp(LiveStep::state, live_state, s)) return false;
    if (s.size() != db_.size()) {
        errno = EINVAL;
        return false;
    }
    state_ = static_cast<std::uint8_t*>(std::malloc(s.size() ? s.size() : 1));
    if (!state_) return false;
    if (s.size()) std::memcpy(state_, s.data(), s.size());
    return true;
}

bool Live::service_dir(std::uint32_t i, PathBuf<>& out) const noexcept
{
    return out.set(real_.view(), "/", live_servicedirs, "/", db_.name(i));
}

bool Live::scan_link(std::uint32_t i, PathBuf<>& out) const noexcept
{
    return out.set(scandir_.view(), "/", prefix_.view(), db_.name(i));
}

bool Live::runner_socket(PathBuf<>& out) const noexcept
{
    return out.set(real_.view(), "/", live_servicedirs, "/", oneshot_runner, "/",
                   runner_socket_name);
}

} // namespace keel::rc
