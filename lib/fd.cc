// EINTR-safe descriptor primitives for keel/fd.h.
#include "keel/fd.h"

#include <cerrno>
#include <unistd.h>

namespace keel {

void Fd::reset(int fd) noexcept
{
    if (fd_ >= 0) close_fd(fd_);
    fd_ = fd;
}

Fd open_at(int dirfd, const char* path, int flags, mode_t mode) noexcept
{
    int fd;
    do fd = openat(dirfd, path, flags | O_CLOEXEC, mode);
    while (fd < 0 && errno == EINTR);
    return Fd(fd);
}

void close_fd(int fd) noexcept
{
    const int e = errno;
    close(fd);
    errno = e;
}

ssize_t read_some(int fd, void* buf, std::size_t len) noexcept
{
    ssize_t r;
    do r = read(fd, buf, len);
    while (r < 0 && errno == EINTR);
    return r;
}

ssize_t read_full(int fd, void* buf, std::size_t len) noexcept
{
    auto* p = static_cast<char*>(buf);
    std::size_t got = 0;
    while (got < len) {
        const ssize_t r = read_some(fd, p + got, len - got);
        if (r < 0) return -1;
        if (r == 0) break;
        got += static_cast<std::size_t>(r);
    }
    return static_cast<ssize_t>(got);
}

bool write_all(int fd, const void* buf, std::size_t len) noexcept
{
    auto* p = static_cast<const char*>(buf);
    while (len) {
        const ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += w;
        len -= static_cast<std::size_t>(w);
    }
    return true;
}

bool fd_copy(int to, int from) noexcept
{
    if (to == from) return set_cloexec(to, false);
    int r;
    do r = dup2(from, to);
    while (r < 0 && (errno == EINTR || errno == EBUSY));
    return r >= 0;
}

bool fd_move(int to, int from) noexcept
{
    if (to == from) return set_cloexec(to, false);
    if (!fd_copy(to, from)) return false;
    close_fd(from);
    return true;
}

bool set_cloexec(int fd, bool on) noexcept
{
    const int f = fcntl(fd, F_GETFD);
    if (f < 0) return false;
    const int nf = on ? (f | FD_CLOEXEC) : (f & ~FD_CLOEXEC);
    return nf == f || fcntl(fd, F_SETFD, nf) == 0;
}

bool set_nonblock(int fd, bool on) noexcept
{
    const int f = fcntl(fd, F_GETFL);
    if (f < 0) return false;
    const int nf = on ? (f | O_NONBLOCK) : (f & ~O_NONBLOCK);
    return nf == f || fcntl(fd, F_SETFL, nf) == 0;
}

bool fd_is_open(int fd) noexcept
{
    return fcntl(fd, F_GETFD) >= 0;
}

bool open_std() noexcept
{
    for (int fd = 0; fd <= 2; ++fd) {
        if (fd_is_open(fd)) continue;
        int null;
        do null = open("/dev/null", O_RDWR);
        while (null < 0 && errno == EINTR);
        if (null < 0) return false;
        if (null != fd) { // cannot happen: the lowest free descriptor is fd
            close_fd(null);
            errno = EBADF;
            return false;
        }
    }
    return true;
}

bool make_pipe(Fd& rd, Fd& wr, int extra_flags) noexcept
{
    int p[2];
    if (pipe2(p, O_CLOEXEC | extra_flags) < 0) return false;
    rd.reset(p[0]);
    wr.reset(p[1]);
    return true;
}

} // namespace keel
