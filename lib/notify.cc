// Readiness notification: see keel/notify.h.
#include "keel/notify.h"

#include <cerrno>
#include <climits>

#include "keel/err.h"
#include "keel/fd.h"
#include "keel/num.h"

namespace keel {

int xfd_arg(const char* arg, std::string_view usage, std::string_view what) noexcept
{
    unsigned fd = 0;
    if (!scan_number(std::string_view(arg), fd)) die_usage(usage);
    if (fd < 3) die(exit_usage, what, " must be 3 or more");
    if (fd > INT_MAX || !fd_is_open(static_cast<int>(fd))) {
        if (fd > INT_MAX) errno = EBADF;
        die_sys(exit_usage, "invalid ", what);
    }
    return static_cast<int>(fd);
}

bool notify_ready(int fd) noexcept
{
    const bool ok = write_all(fd, "\n");
    close_fd(fd);
    return ok;
}

} // namespace keel
