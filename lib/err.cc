// Message assembly for keel/err.h: one writev per message, errno preserved.
#include "keel/err.h"

#include <cstring>
#include <sys/uio.h>
#include <unistd.h>

namespace keel {

constinit std::string_view prog = "keel";

void report(std::string_view level, std::span<const std::string_view> pieces, int err) noexcept
{
    const int saved = errno;
    constexpr std::size_t max_iov = 32;
    iovec iov[max_iov];
    std::size_t n = 0;
    auto add = [&](std::string_view s) {
        if (n < max_iov && !s.empty()) iov[n++] = {const_cast<char*>(s.data()), s.size()};
    };
    add(prog);
    add(": ");
    add(level);
    add(": ");
    // Keep room for ": ", strerror and the newline, whatever the number of pieces.
    for (std::string_view p : pieces)
        if (n < max_iov - 3) add(p);
    if (err) {
        add(": ");
        add(strerror(err));
    }
    add("\n");
    ssize_t r;
    do r = writev(2, iov, static_cast<int>(n));
    while (r < 0 && errno == EINTR);
    errno = saved;
}

void exit_now(int code) noexcept
{
    _exit(code);
}

void die_usage(std::string_view usage) noexcept
{
    const std::string_view v[] = {usage};
    report("usage", v, 0);
    _exit(exit_usage);
}

void die_exec(std::string_view name) noexcept
{
    const int e = errno;
    const std::string_view v[] = {"unable to exec ", name};
    report("fatal", v, e);
    _exit(exec_failure_code(e));
}

} // namespace keel
