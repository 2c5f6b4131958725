// Message assembly for keel/err.h: one writev per message, errno preserved.
#include "keel/err.h"

#include "keel/fd.h"

#include <cstring>
#include <sys/uio.h>
#include <unistd.h>

namespace keel {

// string_view literals: their length is known here, no strlen() at run time.
using namespace std::string_view_literals;

constinit std::string_view prog = "keel";

namespace {

// writev to stderr; after a short write (a full pipe, a signal), the rest piece by piece.
void write_iov(const iovec* v, std::size_t n) noexcept
{
    ssize_t r;
    do r = writev(2, v, static_cast<int>(n));
    while (r < 0 && errno == EINTR);
    if (r < 0) return;
    auto done = static_cast<std::size_t>(r);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t len = v[i].iov_len;
        if (done >= len) {
            done -= len;
            continue;
        }
        if (!write_all(2, static_cast<const char*>(v[i].iov_base) + done, len - done)) return;
        done = 0;
    }
}

} // namespace

void report(std::string_view level, std::span<const std::string_view> pieces, int err) noexcept
{
    const int saved = errno;
    // One writev for any message the die/warn templates can build (they allow at most
    // max_pieces); a longer span from a direct caller still comes out whole, in several writes.
    constexpr std::size_t max_iov = max_pieces + 8;
    iovec iov[max_iov];
    std::size_t n = 0;
    auto flush = [&] {
        write_iov(iov, n);
        n = 0;
    };
    auto add = [&](std::string_view s) {
        if (s.empty()) return;
        if (n == max_iov) flush();
        iov[n++] = {const_cast<char*>(s.data()), s.size()};
    };
    add(prog);
    add(": "sv);
    add(level);
    add(": "sv);
    for (std::string_view p : pieces) add(p);
    if (err) {
        add(": "sv);
        add(strerror(err));
    }
    add("\n"sv);
    flush();
    errno = saved;
}

void exit_now(int code) noexcept
{
    _exit(code);
}

void die_pieces(int code, bool sys, std::span<const std::string_view> pieces) noexcept
{
    report("fatal"sv, pieces, sys ? errno : 0);
    _exit(code);
}

void warn_pieces(bool sys, std::span<const std::string_view> pieces) noexcept
{
    report("warning"sv, pieces, sys ? errno : 0);
}

void info_pieces(std::span<const std::string_view> pieces) noexcept
{
    report("info"sv, pieces, 0);
}

void die_usage(std::string_view usage) noexcept
{
    const std::string_view v[] = {usage};
    report("usage"sv, v, 0);
    _exit(exit_usage);
}

void die_exec(std::string_view name) noexcept
{
    const int e = errno;
    const std::string_view v[] = {"unable to exec "sv, name};
    report("fatal"sv, v, e);
    _exit(exec_failure_code(e));
}

} // namespace keel
