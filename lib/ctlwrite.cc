// Writing to the control FIFO of a supervisor or a scanner (keel/ctlwrite.h).
#include "keel/ctlwrite.h"

#include "keel/fd.h"
#include "keel/path.h"

#include <cerrno>

namespace keel::sv {

CtlResult write_control_at(const char* dir, const char* subdir, std::string_view cmds) noexcept
{
    PathBuf<> path;
    if (!path.set(dir, "/", subdir, "/control")) return CtlResult::error;
    Fd fd = open_file(path.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd) {
        if (!set_nonblock(fd.get(), false) || !write_all(fd.get(), cmds)) return CtlResult::error;
        return CtlResult::ok;
    }
    const int e = errno;
    if (e == ENXIO) return CtlResult::not_supervised;
    if (e != ENOENT && e != ENOTDIR && e != EISDIR) return CtlResult::error;
    // Tell "never run here" (no SUBDIR at all) from a broken SUBDIR.
    Fd d = open_file(dir, O_RDONLY | O_DIRECTORY);
    if (!d) return CtlResult::error;
    Fd sub = open_at(d.get(), subdir, O_RDONLY | O_DIRECTORY);
    if (!sub && errno == ENOENT) return CtlResult::not_supervised;
    errno = sub ? e : errno;
    return CtlResult::bad_dir;
}

} // namespace keel::sv
