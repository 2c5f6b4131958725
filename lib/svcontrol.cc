// The client side of supervise's control FIFO and lock (keel/svcontrol.h).
#include "keel/svcontrol.h"

#include "keel/fd.h"
#include "keel/lock.h"
#include "keel/path.h"

#include <cerrno>

namespace keel::sv {

CtlResult write_control(const char* dir, std::string_view cmds) noexcept
{
    PathBuf<> path;
    if (!path.set(dir, "/supervise/control")) return CtlResult::error;
    Fd fd = open_file(path.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd) {
        // Blocking again: the whole command goes in one write even if the FIFO is busy.
        if (!set_nonblock(fd.get(), false) || !write_all(fd.get(), cmds)) return CtlResult::error;
        return CtlResult::ok;
    }
    const int e = errno;
    if (e == ENXIO) return CtlResult::not_supervised;
    if (e != ENOENT && e != ENOTDIR && e != EISDIR) return CtlResult::error;
    // Tell "never supervised" (no supervise/ at all) from a broken supervise/ directory.
    Fd d = open_file(dir, O_RDONLY | O_DIRECTORY);
    if (!d) return CtlResult::error;
    Fd sub = open_at(d.get(), "supervise", O_RDONLY | O_DIRECTORY);
    if (!sub && errno == ENOENT) return CtlResult::not_supervised;
    errno = sub ? e : errno;
    return CtlResult::bad_dir;
}

int supervised(const char* dir) noexcept
{
    PathBuf<> path;
    if (!path.set(dir, "/supervise/lock")) return -1;
    Fd fd = open_read(path.c_str());
    if (!fd) return errno == ENOENT ? 0 : -1;
    const pid_t holder = lock_holder(fd.get(), LockKind::Exclusive);
    return holder < 0 ? -1 : holder > 0;
}

} // namespace keel::sv
